//! A ZenML schedule as a Vertex AI `Schedule` request body (`POST
//! https://{LOCATION}-aiplatform.googleapis.com/v1/projects/{P}/locations/{LOCATION}/schedules`),
//! the shape `aiplatform.PipelineJobSchedule` sends, with the compiled IR inline.

use serde::Serialize;

use super::{codes, SCHEDULE_SUFFIX};
use crate::backend::interval::interval_cron;
use crate::backend::duration::go_duration;
use crate::backend::kfp::{PipelineSpec, PipelineSpecJson};
use crate::error::Warning;
use crate::ir::{Concurrency, FailureMode, Pipeline, Schedule as IrSchedule, Trigger};

/// Longest `displayName` of a Schedule and a PipelineJob.
const MAX_DISPLAY_NAME: usize = 128;

/// The schedule's fields (the pipeline spec is added when the documents are laid out).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub display_name: String,
    /// `TZ=<zone> ` + five fields; Vertex AI reads it in that zone (UTC without one).
    pub cron: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Runs the schedule may start at once: required; 1, as the SDK sends.
    pub max_concurrent_run_count: String,
    /// Runs that may be active at once: 1 for Forbid (and Replace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_active_run_count: Option<String>,
    #[serde(skip)]
    pipeline_display_name: String,
    #[serde(skip)]
    failure_policy: &'static str,
}

/// The whole body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleBody<'a> {
    #[serde(flatten)]
    schedule: &'a Schedule,
    create_pipeline_job_request: CreatePipelineJobRequest<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatePipelineJobRequest<'a> {
    pipeline_job: PipelineJob<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PipelineJob<'a> {
    display_name: &'a str,
    pipeline_spec: PipelineSpecJson<'a>,
    runtime_config: RuntimeConfig,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeConfig {
    failure_policy: &'static str,
}

impl<'a> ScheduleBody<'a> {
    pub fn new(schedule: &'a Schedule, spec: &'a PipelineSpec) -> ScheduleBody<'a> {
        let pipeline_job = PipelineJob {
            display_name: &schedule.pipeline_display_name,
            pipeline_spec: spec.json(),
            runtime_config: RuntimeConfig { failure_policy: schedule.failure_policy },
        };
        ScheduleBody { schedule, create_pipeline_job_request: CreatePipelineJobRequest { pipeline_job } }
    }
}

/// Schedule → body fields; `None` (plus a warning) when Vertex AI has no cron for it.
pub fn lower(p: &Pipeline, s: &IrSchedule, warnings: &mut Vec<Warning>) -> Option<Schedule> {
    let cron = cron(s, warnings)?;
    let unsupported = [
        (s.catchup(), &codes::CATCHUP, "Vertex AI schedules do not replay missed runs (only a resumed paused schedule catches up)"),
        (
            s.starting_deadline_seconds().is_some() || s.successful_history_limit().is_some() || s.failed_history_limit().is_some(),
            &codes::SCHEDULE_LIMITS,
            "Vertex AI schedules have no starting deadline or history limits: ignored",
        ),
        (
            s.concurrency() == Some(Concurrency::Replace),
            &codes::CONCURRENCY,
            "Vertex AI cannot replace a running run: `Replace` became at most one active run (Forbid)",
        ),
    ];
    for (applies, code, message) in unsupported {
        if applies {
            warnings.push(Warning::new(code, message));
        }
    }
    let forbid = matches!(s.concurrency(), Some(Concurrency::Forbid | Concurrency::Replace));
    let schedule = Schedule {
        display_name: display_name(s.name().unwrap_or(p.name())),
        cron,
        start_time: s.start().map(|t| t.to_rfc3339()),
        end_time: s.end().map(|t| t.to_rfc3339()),
        max_concurrent_run_count: "1".into(),
        max_concurrent_active_run_count: forbid.then(|| "1".into()),
        pipeline_display_name: display_name(p.name()),
        failure_policy: match p.failure_mode() {
            FailureMode::ContinueOnFailure => "PIPELINE_FAILURE_POLICY_FAIL_SLOW",
            FailureMode::StopOnFailure | FailureMode::FailFast => "PIPELINE_FAILURE_POLICY_FAIL_FAST",
        },
    };
    warnings.push(Warning::new(&codes::SCHEDULE, schedule_help(s.active())));
    Some(schedule)
}

/// Five cron fields, with the zone as Vertex AI's `TZ=` prefix; an interval as an exact cron.
fn cron(s: &IrSchedule, warnings: &mut Vec<Warning>) -> Option<String> {
    match s.trigger() {
        Trigger::Cron(c) => Some(match s.timezone() {
            Some(zone) => format!("TZ={zone} {}", c.five_fields()),
            None => c.five_fields().to_string(),
        }),
        // Interval arithmetic is in UTC, Vertex AI's default zone.
        Trigger::Interval { seconds } => interval_cron(*seconds, s.start().as_ref()).or_else(|| {
            warnings.push(Warning::new(
                &codes::INTERVAL,
                format!(
                    "Vertex AI schedules are cron expressions, and an interval of {} is not a whole number of minutes or hours dividing a day (or 1 day / 1 week): no schedule written",
                    go_duration(*seconds)
                ),
            ));
            None
        }),
        Trigger::Once { at } => {
            warnings.push(Warning::new(
                &codes::RUN_ONCE,
                format!("no one-off schedule written: create a PipelineJob from the spec at {}", at.to_rfc3339()),
            ));
            None
        }
    }
}

/// At most 128 characters.
fn display_name(name: &str) -> String {
    name.chars().take(MAX_DISPLAY_NAME).collect()
}

fn schedule_help(active: bool) -> String {
    let pause = if active { "" } else { "; the ZenML schedule is inactive: pause it after creating it (POST …/schedules/ID:pause)" };
    format!(
        "the schedule is not part of the pipeline spec: add the location and the pipeline root to the `{SCHEDULE_SUFFIX}` body and POST it to https://LOCATION-aiplatform.googleapis.com/v1/projects/PROJECT/locations/LOCATION/schedules, e.g. `jq --arg p projects/PROJECT/locations/LOCATION --arg r gs://BUCKET/root '.createPipelineJobRequest.parent = $p | .createPipelineJobRequest.pipelineJob.runtimeConfig.gcsOutputDirectory = $r'`{pause}"
    )
}
