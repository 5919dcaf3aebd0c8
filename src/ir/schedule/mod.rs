//! Schedules: cron expressions, UTC datetimes and intervals, validated once for every engine.

mod cron;
mod interval;
mod time;

pub use cron::Cron;
pub use interval::parse_interval;
pub use time::UtcDateTime;

use serde::Serialize;

/// A validated, engine-neutral schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// ZenML schedule name, if any.
    pub(super) name: Option<String>,
    /// What triggers runs.
    pub(super) trigger: Trigger,
    /// First moment runs may happen (UTC).
    pub(super) start: Option<UtcDateTime>,
    /// Last moment runs may happen (UTC).
    pub(super) end: Option<UtcDateTime>,
    /// Run missed intervals after `start` (ZenML `catchup`).
    pub(super) catchup: bool,
    /// IANA time zone the cron expression is read in; `None` = the engine's default.
    pub(super) timezone: Option<String>,
    /// What to do when a run is still going at the next tick.
    pub(super) concurrency: Option<Concurrency>,
    /// Seconds after a missed tick during which the run may still start.
    pub(super) starting_deadline_seconds: Option<u64>,
    /// Finished runs to keep.
    pub(super) successful_history_limit: Option<u32>,
    pub(super) failed_history_limit: Option<u32>,
    /// False when ZenML has the schedule deactivated: engines create it suspended.
    pub(super) active: bool,
}

impl Schedule {
    /// ZenML schedule name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }
    /// First moment runs may happen (UTC).
    pub fn start(&self) -> Option<UtcDateTime> {
        self.start
    }
    /// Last moment runs may happen (UTC).
    pub fn end(&self) -> Option<UtcDateTime> {
        self.end
    }
    /// Run missed intervals after `start`.
    pub fn catchup(&self) -> bool {
        self.catchup
    }
    /// IANA time zone the cron expression is read in; `None` = the engine's default.
    pub fn timezone(&self) -> Option<&str> {
        self.timezone.as_deref()
    }
    pub fn concurrency(&self) -> Option<Concurrency> {
        self.concurrency
    }
    pub fn starting_deadline_seconds(&self) -> Option<u64> {
        self.starting_deadline_seconds
    }
    pub fn successful_history_limit(&self) -> Option<u32> {
        self.successful_history_limit
    }
    pub fn failed_history_limit(&self) -> Option<u32> {
        self.failed_history_limit
    }
    /// False when ZenML has the schedule deactivated: engines create it suspended.
    pub fn active(&self) -> bool {
        self.active
    }
}

/// When runs happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Five-field cron expression, or a macro like `@daily`.
    Cron(Cron),
    /// Every N seconds.
    Interval { seconds: u64 },
    /// Exactly once, at this time.
    Once { at: UtcDateTime },
}

/// Concurrency policy (the Kubernetes CronJob vocabulary, shared by Argo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Concurrency {
    Allow,
    Forbid,
    Replace,
}

impl Concurrency {
    pub fn parse(s: &str) -> Option<Concurrency> {
        match s {
            "Allow" | "allow" => Some(Concurrency::Allow),
            "Forbid" | "forbid" => Some(Concurrency::Forbid),
            "Replace" | "replace" => Some(Concurrency::Replace),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Concurrency::Allow => "Allow",
            Concurrency::Forbid => "Forbid",
            Concurrency::Replace => "Replace",
        }
    }
}
