//! A ZenML schedule as an Argo CronWorkflow.

use super::{codes, pipeline_annotations, CronContext};
use crate::backend::k8s::cron::{CronFields, Unsupported};
use crate::backend::k8s;
use crate::backend::names::{self, NameRule};
use crate::error::Warning;
use crate::backend::duration::go_duration;
use crate::ir::{Pipeline, Schedule, Trigger};

/// Schedule → CronWorkflow fields; `None` (plus a warning) when Argo has no cron form for it.
/// `template_name` is left for the caller, who names the WorkflowTemplate.
pub fn lower(p: &Pipeline, s: &Schedule, warnings: &mut Vec<Warning>) -> Option<CronContext> {
    let schedule = match s.trigger() {
        Trigger::Cron(c) => c.as_str().to_string(),
        // robfig/cron's `@every`: runs every interval, counted from when the controller loads it.
        Trigger::Interval { seconds } => format!("@every {}", go_duration(*seconds)),
        Trigger::Once { at } => {
            warnings.push(Warning::new(
                &codes::RUN_ONCE,
                format!("Argo has no one-off schedule: emitted a WorkflowTemplate; submit it at {} with `argo submit --from workflowtemplate/<name>`", at.to_rfc3339()),
            ));
            return None;
        }
    };
    Unsupported {
        window: Warning::new(
            &codes::SCHEDULE_WINDOW,
            "Argo CronWorkflows have no start/end time: the schedule runs from when it is applied until it is deleted or suspended",
        ),
        catchup: Warning::new(
            &codes::CATCHUP,
            "Argo does not catch up missed runs (startingDeadlineSeconds starts at most one late run; `argo cron backfill` replays a range)",
        ),
    }
    .report(s, warnings);
    if matches!(s.trigger(), Trigger::Interval { .. }) && s.start().is_some() {
        warnings.push(Warning::new(
            &codes::INTERVAL_ANCHOR,
            "`@every` intervals are counted from when the controller loads the CronWorkflow, not from the start time",
        ));
    }
    Some(CronContext {
        header: crate::backend::header(p),
        name: names::sanitize(p.name(), &NameRule::dns_label(52)),
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: pipeline_annotations(p),
        template_name: String::new(),
        schedules: vec![schedule],
        timezone: s.timezone().map(String::from),
        cron: CronFields::of(s),
    })
}
