//! One step as a pipeline task with an inline `taskSpec` of one step.

use super::escape::{tekton_reference, TektonText, DOLLAR};
use super::{StepContext, TaskContext, TaskSpec, DISPLAY};
use crate::backend::k8s::{self, verbatim, EnvText, SharedName};
use crate::error::{Error, ErrorKind, Result};
use crate::backend::duration::go_duration;
use crate::ir::{EnvValue, Pipeline, Step};

/// The pipeline task of step `s`, named `name`, after the tasks `run_after`; `spec`: its
/// inline taskSpec, `None` to be filled in later (`alike`).
pub fn lower(s: &Step, name: SharedName, run_after: Vec<SharedName>, spec: Option<TaskSpec>) -> TaskContext {
    TaskContext {
        name,
        run_after,
        retries: s.retry().map(crate::ir::Retry::limit),
        timeout: s.timeout_seconds().map(go_duration),
        task_ref: None,
        param: None,
        spec,
    }
}

/// The inline taskSpec of step `s`: one step `main`.
pub fn spec(p: &Pipeline, s: &Step) -> Result<TaskSpec> {
    DOLLAR.reserve(s, DISPLAY, "`$` past Tekton's substitution")?;
    let text = TektonText;
    let mut env = k8s::env_entries(s, &text);
    let command: Vec<String> = s.command().iter().map(|c| text.literal(c)).collect();
    let args: Vec<String> = s.args().iter().map(|a| text.literal(a)).collect();
    DOLLAR.add_if_used(&mut env, command.iter().chain(&args));
    let mut annotations = s.pod().annotations().clone();
    annotations.insert(k8s::STEP_NAME_ANNOTATION.into(), s.name().to_string());
    let spec = TaskSpec {
        labels: k8s::pod_labels(p, s),
        annotations,
        volumes: s.pod().volumes().to_vec(),
        step: StepContext {
            image: s.image().to_string(),
            command,
            args,
            env,
            env_from: s.env_from().to_vec(),
            compute_resources: k8s::resources(s.resources()),
            volume_mounts: s.pod().volume_mounts().to_vec(),
            security_context: s.pod().security_context().cloned(),
        },
    };
    reject_references(s, &spec)?;
    Ok(spec)
}

/// Tekton replaces `$(params.…)`, `$(context.…)`, … in every taskSpec field and has no escape.
/// Env values, command and args are escaped above; anywhere else such a reference is refused.
fn reject_references(s: &Step, t: &TaskSpec) -> Result<()> {
    let native: Vec<&str> = s
        .env()
        .iter()
        .filter_map(|e| match e.value() {
            EnvValue::Kubernetes(v) => Some(v.as_str()),
            _ => None,
        })
        .collect();
    let fields = serde_json::json!({
        "image": t.step.image,
        "labels": t.labels,
        "annotations": t.annotations,
        "env[].value (pod settings)": native,
        "envFrom": t.step.env_from,
        "env[].valueFrom": t.step.env.iter().filter_map(|e| e.value_from.clone()).collect::<Vec<_>>(),
        "volumeMounts": t.step.volume_mounts,
        "securityContext": t.step.security_context,
        "volumes": t.volumes,
    });
    let Some((at, r)) = verbatim::find(&fields, tekton_reference) else { return Ok(()) };
    Err(Error::new(ErrorKind::Unsupported {
        engine: DISPLAY,
        what: format!("`{r}` in `{at}` of step `{}`", s.name()),
        help: "Tekton replaces `$(params.…)`, `$(context.…)`, `$(tasks.…)`, … in that field and has no escape for it; only ZenML environment values, command and arguments can carry it".into(),
    })
    .at(s.path()))
}
