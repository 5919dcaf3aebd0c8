//! One step as an Argo container template.

use serde_json::Value;

use super::{Backoff, RetryStrategy, StepTemplate, RUN_ID};
use crate::backend::k8s::{self, protect_braces, verbatim, EnvText, LBRACE};
use crate::error::{Error, ErrorKind, Result};
use crate::backend::duration::go_duration;
use crate::ir::{Pipeline, Step};

/// Escaping for Argo containers: `$` for Kubernetes, `{{` through `ZENC_LBRACE`.
pub struct ArgoText;

impl EnvText for ArgoText {
    fn literal(&self, s: &str) -> String {
        k8s::escape_literal(s)
    }
    fn native(&self, s: &str) -> String {
        protect_braces(s)
    }
    fn run_id(&self) -> String {
        RUN_ID.to_string()
    }
}

/// The container template of step `s`, named `name`; `reject_templating` is left to the
/// caller, who runs it once per set of alike steps.
pub fn template(p: &Pipeline, s: &Step, name: &str) -> Result<StepTemplate> {
    LBRACE.reserve(s, "Argo", "`{{` past Argo's templating")?;
    let text = ArgoText;
    let mut env = k8s::env_entries(s, &text);
    let command: Vec<String> = s.command().iter().map(|c| text.literal(c)).collect();
    let args: Vec<String> = s.args().iter().map(|a| text.literal(a)).collect();
    LBRACE.add_if_used(&mut env, command.iter().chain(&args));

    let mut annotations = s.pod().annotations().clone();
    if !s.name().contains("{{") {
        annotations.insert(k8s::STEP_NAME_ANNOTATION.into(), s.name().to_string());
    }
    let mut extra = s.pod().extra_pod_spec().clone();
    let priority_class_name = extra.remove("priorityClassName").and_then(|v| v.as_str().map(str::to_string));
    if s.pod().host_ipc() {
        extra.insert("hostIPC".into(), Value::Bool(true));
    }
    if let Some(grace) = s.pod().termination_grace_period_seconds() {
        extra.insert("terminationGracePeriodSeconds".into(), grace.into());
    }
    let pod_spec_patch = (!extra.is_empty()).then(|| serde_json::to_string(&extra).expect("JSON values serialize"));
    let t = StepTemplate {
        name: name.to_string(),
        inputs: Vec::new(),
        labels: k8s::pod_labels(p, s),
        annotations,
        image: s.image().to_string(),
        command,
        args,
        env,
        env_from: s.env_from().to_vec(),
        resources: k8s::resources(s.resources()),
        volume_mounts: s.pod().volume_mounts().to_vec(),
        security_context: s.pod().security_context().cloned(),
        node_selector: s.pod().node_selector().clone(),
        affinity: s.pod().affinity().cloned(),
        tolerations: s.pod().tolerations().to_vec(),
        volumes: s.pod().volumes().to_vec(),
        service_account_name: s.pod().service_account().map(String::from),
        scheduler_name: s.pod().scheduler_name().map(String::from),
        priority_class_name,
        pod_spec_patch,
        retry_strategy: retry_strategy(s),
        active_deadline_seconds: s.timeout_seconds(),
    };
    Ok(t)
}

/// `retryStrategy`: `Always` retries failed containers and pod errors (evictions), like
/// ZenML's Job.
fn retry_strategy(s: &Step) -> Option<RetryStrategy> {
    s.retry().map(|r| RetryStrategy {
        limit: r.limit(),
        retry_policy: "Always",
        backoff: (r.delay_seconds() > 0).then(|| Backoff {
            duration: go_duration(r.delay_seconds()),
            factor: (r.backoff_factor() > 1).then_some(r.backoff_factor()),
        }),
    })
}

/// Argo substitutes `{{…}}` in every template field and offers no escape. Env values,
/// command and args are protected above; anywhere else a `{{` is refused.
pub fn reject_templating(s: &Step, t: &StepTemplate) -> Result<()> {
    let fields = serde_json::json!({
        "image": t.image,
        "labels": t.labels,
        "annotations": t.annotations,
        "envFrom": t.env_from,
        "env[].valueFrom": t.env.iter().filter_map(|e| e.value_from.clone()).collect::<Vec<_>>(),
        "volumeMounts": t.volume_mounts,
        "securityContext": t.security_context,
        "nodeSelector": t.node_selector,
        "affinity": t.affinity,
        "tolerations": t.tolerations,
        "volumes": t.volumes,
        "serviceAccountName": t.service_account_name,
        "schedulerName": t.scheduler_name,
        "priorityClassName": t.priority_class_name,
        "podSpecPatch": t.pod_spec_patch,
    });
    let Some((at, _)) = verbatim::find(&fields, |v| v.contains("{{").then_some(v)) else { return Ok(()) };
    Err(Error::new(ErrorKind::Unsupported {
        engine: "Argo",
        what: format!("`{{{{` in `{at}` of step `{}`", s.name()),
        help: "Argo replaces `{{...}}` in that field and has no escape for it; only environment values, command and arguments can carry it".into(),
    })
    .at(s.path()))
}
