//! A ZenML schedule as a KFP `RecurringRun` request body (`POST /apis/v2beta1/recurringruns`),
//! as the kfp SDK client sends it: the compiled IR inline, so only an experiment is left to
//! choose.

use serde::Serialize;

use super::codes;
use super::platform::PlatformSpecJson;
use super::RECURRING_RUN_SUFFIX;
use crate::backend::kfp::PipelineSpecJson;
use crate::error::Warning;
use crate::ir::{Concurrency, Cron, Pipeline, Schedule, Trigger};

/// The body, without the pipeline spec (added when the documents are laid out).
#[derive(Debug, Serialize)]
pub struct RecurringRun {
    pub display_name: String,
    pub description: String,
    pub trigger: RecurringTrigger,
    /// `ENABLE`, or `DISABLE` for an inactive ZenML schedule.
    pub mode: &'static str,
    pub no_catchup: bool,
    /// 1 to 10, as a string (int64 in the proto's JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
}

/// The whole body: `pipeline_spec` is `{pipeline_spec, platform_spec}`.
#[derive(Debug, Serialize)]
pub struct RecurringRunBody<'a> {
    #[serde(flatten)]
    pub run: &'a RecurringRun,
    pub pipeline_spec: PipelineAndPlatform<'a>,
}

#[derive(Debug, Serialize)]
pub struct PipelineAndPlatform<'a> {
    pub pipeline_spec: PipelineSpecJson<'a>,
    pub platform_spec: PlatformSpecJson<'a>,
}

/// `trigger`: one of the two.
#[derive(Debug, Serialize)]
pub struct RecurringTrigger {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cron_schedule: Option<TriggerFields>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periodic_schedule: Option<TriggerFields>,
}

/// A trigger's schedule and window (RFC 3339, UTC).
#[derive(Debug, Serialize)]
pub struct TriggerFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// Seconds, as a string (int64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_second: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
}

/// KFP's recurring-run cron (robfig/cron v1 `cron.Parse`): six fields, seconds first. The IR
/// already wrote Sunday as `0` (robfig's day-of-week is 0-6).
pub fn six_field_cron(cron: &Cron) -> String {
    format!("0 {}", cron.five_fields())
}

/// Schedule → recurring run; `None` (plus a warning) for a run-once schedule.
pub fn lower(p: &Pipeline, s: &Schedule, warnings: &mut Vec<Warning>) -> Option<RecurringRun> {
    let mut fields = TriggerFields {
        cron: None,
        interval_second: None,
        start_time: s.start().map(|t| t.to_rfc3339()),
        end_time: s.end().map(|t| t.to_rfc3339()),
    };
    let (trigger, flag) = match s.trigger() {
        Trigger::Cron(c) => {
            let cron = six_field_cron(c);
            let flag = format!("--cron-expression '{cron}'");
            fields.cron = Some(cron);
            (RecurringTrigger { cron_schedule: Some(fields), periodic_schedule: None }, flag)
        }
        Trigger::Interval { seconds } => {
            fields.interval_second = Some(seconds.to_string());
            let flag = format!("--interval-second {seconds}");
            (RecurringTrigger { cron_schedule: None, periodic_schedule: Some(fields) }, flag)
        }
        Trigger::Once { at } => {
            warnings.push(Warning::new(
                &codes::RUN_ONCE,
                format!(
                    "KFP has no one-off schedule: create a run at {} from the IR (`kfp run create`)",
                    at.to_rfc3339()
                ),
            ));
            return None;
        }
    };
    if s.timezone().is_some() {
        warnings.push(Warning::new(
            &codes::TIMEZONE,
            "KFP reads every cron schedule in one cluster-wide zone (CRON_SCHEDULE_TIMEZONE of the scheduledworkflow controller, UTC by default): the schedule's timezone is ignored",
        ));
    }
    let max_concurrency = max_concurrency(s, warnings);
    if s.starting_deadline_seconds().is_some() || s.successful_history_limit().is_some() || s.failed_history_limit().is_some()
    {
        warnings.push(Warning::new(
            &codes::SCHEDULE_LIMITS,
            "KFP recurring runs have no starting deadline or history limits: ignored",
        ));
    }
    let run = RecurringRun {
        display_name: s.name().unwrap_or(p.name()).to_string(),
        description: format!("ZenML pipeline `{}`, snapshot {}", p.name(), p.snapshot_id()),
        trigger,
        mode: if s.active() { "ENABLE" } else { "DISABLE" },
        no_catchup: !s.catchup(),
        max_concurrency: max_concurrency.map(|n| n.to_string()),
        service_account: p.service_account().map(String::from),
    };
    warnings.push(Warning::new(
        &codes::SCHEDULE,
        format!("the schedule is not part of the KFP IR: POST the `{RECURRING_RUN_SUFFIX}` body to /apis/v2beta1/recurringruns (add `experiment_id`), or run `{}`", command(&run, s, &flag)),
    ));
    Some(run)
}

/// KFP's `max_concurrency` for the schedule's concurrency policy.
fn max_concurrency(s: &Schedule, warnings: &mut Vec<Warning>) -> Option<u32> {
    match s.concurrency() {
        None => None,
        Some(Concurrency::Forbid) => Some(1),
        Some(Concurrency::Allow) => {
            warnings.push(Warning::new(
                &codes::CONCURRENCY,
                "KFP allows at most 10 concurrent runs of a recurring run: `Allow` became 10",
            ));
            Some(10)
        }
        Some(Concurrency::Replace) => {
            warnings.push(Warning::new(
                &codes::CONCURRENCY,
                "KFP cannot replace a running run: `Replace` became max_concurrency 1 (Forbid)",
            ));
            Some(1)
        }
    }
}

/// The `kfp recurring-run create` command that does what the body does.
fn command(run: &RecurringRun, s: &Schedule, flag: &str) -> String {
    let mut command = format!(
        "kfp recurring-run create --experiment-name <EXPERIMENT> --job-name '{}' {flag}",
        run.display_name.replace('\'', "'\\''")
    );
    if let Some(start) = s.start() {
        command.push_str(&format!(" --start-time {}", start.to_rfc3339()));
    }
    if let Some(end) = s.end() {
        command.push_str(&format!(" --end-time {}", end.to_rfc3339()));
    }
    if let Some(n) = &run.max_concurrency {
        command.push_str(&format!(" --max-concurrency {n}"));
    }
    command.push_str(if s.catchup() { " --catchup" } else { " --no-catchup" });
    if !s.active() {
        command.push_str(" --disabled");
    }
    command.push_str(" --pipeline-package-path <IR FILE>");
    command
}
