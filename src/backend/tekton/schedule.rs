//! A ZenML schedule as a Kubernetes CronJob whose pod (the launcher) creates the PipelineRuns,
//! with the ServiceAccount, Role, RoleBinding and ConfigMap it needs.

use std::collections::BTreeMap;

use crate::backend::interval::interval_cron;
use super::{codes, CronContext, KUBECTL_IMAGE, LAUNCHER_SCRIPT, MANIFEST_KEY};
use crate::backend::k8s::cron::{CronFields, Unsupported};
use crate::backend::k8s::{self, EnvEntry};
use crate::backend::names::{self, NameRule};
use crate::backend::{EngineOptions, ObjectKind};
use crate::error::Warning;
use crate::backend::duration::go_duration;
use crate::ir::{Concurrency, Pipeline, Schedule, Trigger};

/// CronJob names: Kubernetes appends an 11-character suffix to the Jobs it creates.
const CRON_RULE: NameRule = NameRule::dns_label(52);
/// Where the ConfigMap (PipelineRun manifest + launcher script) is mounted in the CronJob pod.
const MANIFEST_DIR: &str = "/etc/zenc";
const LAUNCHER_KEY: &str = "launch.sh";

/// Schedule → CronJob fields; `None` (plus a warning) for a run-once schedule.
pub fn lower(p: &Pipeline, s: &Schedule, opts: &EngineOptions, warnings: &mut Vec<Warning>) -> Option<CronContext> {
    let (schedule, time_zone) = trigger(s, opts, warnings)?;
    Unsupported {
        window: Warning::new(
            &codes::SCHEDULE_WINDOW,
            "Kubernetes CronJobs have no start/end time: the schedule runs from when it is applied until it is deleted or suspended",
        ),
        catchup: Warning::new(
            &codes::CATCHUP,
            "Kubernetes CronJobs do not catch up missed runs (startingDeadlineSeconds starts at most one late run)",
        ),
    }
    .report(s, warnings);
    let name = names::sanitize(p.name(), &CRON_RULE);
    Some(CronContext {
        header: crate::backend::header(p),
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: k8s::pipeline_annotations(p),
        schedule,
        time_zone,
        cron: CronFields::of(s),
        verbs: verbs(s),
        image: opts.tekton_launcher_image.clone().unwrap_or_else(|| KUBECTL_IMAGE.to_string()),
        command: vec![
            "/bin/sh".into(),
            format!("{MANIFEST_DIR}/{LAUNCHER_KEY}"),
            format!("{MANIFEST_DIR}/{MANIFEST_KEY}"),
        ],
        env: launcher_env(s, &name),
        mount_path: MANIFEST_DIR,
        data: BTreeMap::from([(LAUNCHER_KEY, LAUNCHER_SCRIPT.to_string())]),
        name,
    })
}

/// The CronJob's `schedule` and `timeZone`; `None` for a run-once schedule.
fn trigger(s: &Schedule, opts: &EngineOptions, warnings: &mut Vec<Warning>) -> Option<(String, Option<String>)> {
    match s.trigger() {
        Trigger::Cron(c) => Some((c.as_str().to_string(), s.timezone().map(String::from))),
        Trigger::Interval { seconds } => {
            // Interval arithmetic is in UTC, whatever zone a cron would be read in.
            let zone = Some("Etc/UTC".to_string());
            if let Some(cron) = interval_cron(*seconds, s.start().as_ref()) {
                return Some((cron, zone));
            }
            warnings.push(Warning::new(
                &codes::INTERVAL,
                format!(
                    "an interval of {} is not a whole number of minutes or hours dividing a day (or 1 day / 1 week): emitted `@every {0}`, counted from when the CronJob controller last scheduled it, not from the start time",
                    go_duration(*seconds)
                ),
            ));
            Some((format!("@every {}", go_duration(*seconds)), zone))
        }
        Trigger::Once { at } => {
            let what = match opts.kind {
                ObjectKind::Run => "emitted the PipelineRun; `kubectl create` it",
                ObjectKind::Template => "emitted the Pipeline; start it (`tkn pipeline start`)",
            };
            warnings.push(Warning::new(
                &codes::RUN_ONCE,
                format!("Tekton and Kubernetes CronJobs have no one-off schedule: {what} at {}", at.to_rfc3339()),
            ));
            None
        }
    }
}

/// Role verbs on `pipelineruns`: the script lists this schedule's PipelineRuns and creates one;
/// it cancels running ones only for Replace (`kubectl patch` reads the object first: get +
/// patch), and deletes old ones only when a history limit is set. Checked against the requests
/// kubectl sends.
fn verbs(s: &Schedule) -> Vec<&'static str> {
    let mut verbs = vec!["create", "list"];
    if s.concurrency() == Some(Concurrency::Replace) {
        verbs.extend(["get", "patch"]);
    }
    if s.successful_history_limit().is_some() || s.failed_history_limit().is_some() {
        verbs.push("delete");
    }
    verbs
}

/// The launcher's settings (our own values: no `$` in them).
fn launcher_env(s: &Schedule, name: &str) -> Vec<EnvEntry> {
    let mut env = vec![
        EnvEntry::literal("ZENC_SCHEDULE", name),
        EnvEntry::literal("ZENC_CONCURRENCY_POLICY", s.concurrency().unwrap_or(Concurrency::Allow).as_str()),
        // kubectl caches API discovery under $HOME; the root filesystem is read-only.
        EnvEntry::literal("HOME", "/tmp"),
    ];
    // Unset rather than empty: Kubernetes drops an empty `value`, and `kubectl apply` would
    // then see a change on every run.
    for (key, limit) in
        [("ZENC_KEEP_SUCCEEDED", s.successful_history_limit()), ("ZENC_KEEP_FAILED", s.failed_history_limit())]
    {
        env.extend(limit.map(|n| EnvEntry::literal(key, n.to_string())));
    }
    env
}
