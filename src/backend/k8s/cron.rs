//! Schedules as CronJob-style objects (Argo's CronWorkflow, Kubernetes' CronJob): the fields
//! both have, and what neither can hold.

use serde::Serialize;

use crate::error::Warning;
use crate::ir::Schedule;

/// The fields a CronWorkflow and a CronJob share, with the same meaning.
#[derive(Debug, Serialize)]
pub struct CronFields {
    /// `Allow`, `Forbid` or `Replace`.
    pub concurrency_policy: Option<&'static str>,
    pub starting_deadline_seconds: Option<u64>,
    pub successful_jobs_history_limit: Option<u32>,
    pub failed_jobs_history_limit: Option<u32>,
    /// Created suspended (ZenML schedule inactive).
    pub suspend: bool,
}

impl CronFields {
    pub fn of(s: &Schedule) -> CronFields {
        CronFields {
            concurrency_policy: s.concurrency().map(crate::ir::schedule::Concurrency::as_str),
            starting_deadline_seconds: s.starting_deadline_seconds(),
            successful_jobs_history_limit: s.successful_history_limit(),
            failed_jobs_history_limit: s.failed_history_limit(),
            suspend: !s.active(),
        }
    }
}

/// What a CronJob-style object cannot hold, as the engine words it: a start/end window, and
/// catching up missed runs.
pub struct Unsupported {
    pub window: Warning,
    pub catchup: Warning,
}

impl Unsupported {
    /// The warnings that apply to `s`.
    pub fn report(self, s: &Schedule, warnings: &mut Vec<Warning>) {
        if s.start().is_some() || s.end().is_some() {
            warnings.push(self.window);
        }
        if s.catchup() {
            warnings.push(self.catchup);
        }
    }
}
