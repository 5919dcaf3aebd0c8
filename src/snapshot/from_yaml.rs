//! zenc's hand-written YAML form as a `RawPipeline`: strict (an unknown key is a typo), with
//! pipeline-level defaults merged into each step.

use serde_json::Value;

use super::parse::typed;
use super::settings::{OrchestratorSettings, OrderedMap, PodSettings, ResourceSettings};
use super::{key_path, manual, Places, RawPipeline, RawSchedule, RawStep, WrittenPlaces};
use crate::error::{Error, Result};

/// ZenML's settings merge: dicts merged recursively, everything else replaced.
fn deep_merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = a.clone();
            for (k, v) in b {
                let merged = match a.get(k) {
                    Some(old) => deep_merge(old, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, over) => over.clone(),
    }
}

/// The YAML form is strict: an unknown key is a typo.
fn strict(extra: &OrderedMap<Value>, path: &str, what: &str) -> Result<()> {
    let known = match what {
        "pod" => POD_KEYS,
        "resources" => "`cpu_count`, `memory`, `gpu_count`",
        _ => "`max_retries`, `delay`, `backoff`",
    };
    if let Some((key, _)) = extra.iter().next() {
        return Err(
            Error::invalid(format!("{what} key"), key.clone(), format!("one of {known}")).at(key_path(path, key))
        );
    }
    Ok(())
}

const POD_KEYS: &str = "`node_selectors`, `affinity`, `tolerations`, `resources`, `annotations`, `labels`, `volumes`, \
`volume_mounts`, `host_ipc`, `scheduler_name`, `image_pull_secrets`, `env`, `env_from`, `container_security_context`, \
`additional_pod_spec_args`";

fn check_pod(pod: &PodSettings, path: &str) -> Result<()> {
    strict(&pod.extra, path, "pod")
}

/// The hand-written YAML form as read.
pub(super) fn pipeline(m: manual::ManualPipeline) -> Result<RawPipeline> {
    // Check each level strictly before merging, so a typo is reported where it was written.
    if let Some(r) = &m.resources {
        strict(&r.extra, "resources", "resources")?;
    }
    if let Some(r) = &m.retry {
        strict(&r.extra, "retry", "retry")?;
    }
    if let Some(p) = &m.pod {
        check_pod(p, "pod")?;
    }
    let pipeline_pod = m.pod.as_ref().map(pod_value);
    let steps =
        m.steps.iter().enumerate().map(|(i, s)| step(&m, s, i, pipeline_pod.as_ref())).collect::<Result<Vec<_>>>()?;
    Ok(RawPipeline {
        name: m.name,
        snapshot_id: m.snapshot_id,
        snapshot_id_path: "snapshot_id".into(),
        project_id: m.project_id,
        stack_id: m.stack_id,
        flavor: m.flavor,
        dynamic: false,
        execution_mode: m.execution_mode,
        execution_mode_path: "execution_mode".into(),
        tags: m.tags.unwrap_or_default(),
        description: m.description,
        stack_components: Vec::new(),
        image: m.image,
        stack_environment: Vec::new(),
        orchestrator: OrchestratorSettings { max_parallelism: m.parallelism, ..OrchestratorSettings::default() },
        orchestrator_path: "pod".into(),
        parallelism: m.parallelism,
        parallelism_path: "parallelism".into(),
        schedule: m.schedule.map(schedule),
        steps,
        steps_path: "steps".into(),
        images_path: "image".into(),
    })
}

/// Step `i`, with the pipeline-level defaults merged in.
#[allow(clippy::many_single_char_names)]
fn step(m: &manual::ManualPipeline, s: &manual::ManualStep, i: usize, pipeline_pod: Option<&Value>) -> Result<RawStep> {
    let path = format!("steps[{i}]");
    if let Some(r) = &s.resources {
        strict(&r.extra, &format!("{path}.resources"), "resources")?;
    }
    if let Some(r) = &s.retry {
        strict(&r.extra, &format!("{path}.retry"), "retry")?;
    }
    if let Some(p) = &s.pod {
        check_pod(p, &format!("{path}.pod"))?;
    }
    let pod = match (pipeline_pod, s.pod.as_ref().map(pod_value)) {
        (Some(a), Some(b)) => Some(deep_merge(a, &b)),
        (a, b) => b.or_else(|| a.cloned()),
    };
    let pod: Option<PodSettings> = match pod {
        Some(v) => Some(typed(&v, &format!("{path}.pod"))?),
        None => None,
    };
    let mut environment: Vec<(String, Value)> = m.environment.clone().map(|e| e.0).unwrap_or_default();
    for (k, v) in s.environment.clone().map(|e| e.0).unwrap_or_default() {
        match environment.iter_mut().find(|(old, _)| *old == k) {
            Some(slot) => slot.1 = v,
            None => environment.push((k, v)),
        }
    }
    // A value set at the pipeline level is reported there.
    let own_or_pipeline = |own: bool, field: &str| {
        if own || !pipeline_level(m, field) {
            format!("{path}.{field}")
        } else {
            field.to_string()
        }
    };
    Ok(RawStep {
        name: s.name.clone(),
        image: s.image.clone().or_else(|| m.image.clone()),
        command: s.command.clone(),
        args: s.args.clone(),
        upstream: s.upstream.clone(),
        environment,
        resources: merged_resources(m.resources.as_ref(), s.resources.clone()),
        retry: s.retry.clone().or_else(|| m.retry.clone()),
        orchestrator: OrchestratorSettings {
            pod_settings: pod,
            step_pod_service_account_name: s.service_account.clone().or_else(|| m.service_account.clone()),
            active_deadline_seconds: s.timeout.or(m.timeout),
            ..OrchestratorSettings::default()
        },
        places: Places::Written(Box::new(WrittenPlaces {
            upstream: format!("{path}.upstream"),
            environment: format!("{path}.environment"),
            resources: own_or_pipeline(s.resources.is_some(), "resources"),
            retry: own_or_pipeline(s.retry.is_some(), "retry"),
            orchestrator: path.clone(),
            pod: format!("{path}.pod"),
            timeout: own_or_pipeline(s.timeout.is_some(), "timeout"),
        })),
        step_operator: false,
        path,
    })
}

/// Whether the pipeline level sets `field`.
fn pipeline_level(m: &manual::ManualPipeline, field: &str) -> bool {
    match field {
        "resources" => m.resources.is_some(),
        "retry" => m.retry.is_some(),
        _ => m.timeout.is_some(),
    }
}

/// The step's resource settings over the pipeline's, key by key.
fn merged_resources(base: Option<&ResourceSettings>, step: Option<ResourceSettings>) -> Option<ResourceSettings> {
    match (base, step) {
        (Some(base), Some(step)) => Some(ResourceSettings {
            cpu_count: step.cpu_count.or(base.cpu_count),
            gpu_count: step.gpu_count.or(base.gpu_count),
            memory: step.memory.or(base.memory.clone()),
            extra: OrderedMap::default(),
        }),
        (base, step) => step.or_else(|| base.cloned()),
    }
}

fn schedule(s: manual::ManualSchedule) -> RawSchedule {
    RawSchedule {
        path: "schedule".into(),
        name: s.name,
        active: true,
        cron: s.cron,
        interval: s.interval,
        run_once: s.run_once,
        start: s.start,
        end: s.end,
        catchup: s.catchup.unwrap_or(false),
        timezone: s.timezone,
        concurrency_policy: s.concurrency_policy,
        starting_deadline_seconds: s.starting_deadline_seconds,
        successful_history_limit: s.successful_history_limit,
        failed_history_limit: s.failed_history_limit,
        knob_paths: [
            "concurrency_policy",
            "starting_deadline_seconds",
            "successful_history_limit",
            "failed_history_limit",
        ]
        .map(|k| format!("schedule.{k}")),
    }
}

/// Back to JSON for merging (the typed struct was only used to check the keys).
fn pod_value(pod: &PodSettings) -> Value {
    fn map<V: serde::Serialize>(m: Option<&OrderedMap<V>>) -> Option<Value> {
        m.map(|m| {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), serde_json::to_value(v).expect("plain data"))).collect())
        })
    }
    let mut out = serde_json::Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    };
    put("node_selectors", map(pod.node_selectors.as_ref()));
    put("affinity", pod.affinity.clone());
    put("tolerations", pod.tolerations.clone().map(Value::Array));
    put(
        "resources",
        pod.resources
            .as_ref()
            .map(|r| Value::Object(r.iter().map(|(k, v)| (k.clone(), map(Some(v)).expect("some"))).collect())),
    );
    put("annotations", map(pod.annotations.as_ref()));
    put("volumes", pod.volumes.clone().map(Value::Array));
    put("volume_mounts", pod.volume_mounts.clone().map(Value::Array));
    put("host_ipc", pod.host_ipc.map(Value::Bool));
    put("scheduler_name", pod.scheduler_name.clone().map(Value::String));
    put(
        "image_pull_secrets",
        pod.image_pull_secrets.as_ref().map(|v| Value::Array(v.iter().cloned().map(Value::String).collect())),
    );
    put("labels", map(pod.labels.as_ref()));
    put("env", pod.env.clone().map(Value::Array));
    put("env_from", pod.env_from.clone().map(Value::Array));
    put("container_security_context", pod.container_security_context.clone());
    put("additional_pod_spec_args", map(pod.additional_pod_spec_args.as_ref()));
    Value::Object(out)
}
