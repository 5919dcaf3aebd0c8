//! Lowering of the IR to Kubeflow Pipelines v2 IR (`PipelineSpec` + Kubernetes `PlatformSpec`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::k8s;
use super::names::{self, NameRule};
use super::{Artifact, EngineOptions};
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::schedule::go_duration;
use crate::ir::{Concurrency, Cron, EnvValue, FailureMode, Pipeline, Quantity, Schedule, Step, Trigger};
use crate::render::Renderer;

const ENGINE: &str = "kubeflow";
/// The pod label KFP's API server puts on every pod of a run (`pipeline/runid=<run uuid>`,
/// `backend/src/apiserver/template/v2_template.go` `RunWorkflow` → `SetPodMetadataLabels`).
pub const RUN_ID_LABEL: &str = "pipeline/runid";
/// Downward-API path of that label, delivered with PlatformSpec `fieldPathAsEnv`.
pub const RUN_ID_FIELD_PATH: &str = "metadata.labels['pipeline/runid']";
/// Suffix of the recurring-run request body written next to the IR when scheduled.
pub const RECURRING_RUN_SUFFIX: &str = "kubeflow.recurring-run.json";

/// Pipeline names: `^[a-z0-9][a-z0-9-]{0,127}$` (kfp `dsl/utils.py` `validate_pipeline_name`).
const PIPELINE_RULE: NameRule = NameRule::dns_label(128);
/// Task names: KFP's own sanitizer keeps `[-0-9a-z]`; 63 keeps them valid Argo/DNS labels too.
const TASK_RULE: NameRule = NameRule::dns_label(63);

/// Input of `templates/kubeflow/pipeline-spec.yaml.j2`.
#[derive(Debug, Serialize)]
pub struct PipelineSpecContext {
    /// Header comment lines (`backend::header`).
    pub header: Vec<String>,
    /// `pipelineInfo.name`, sanitized.
    pub name: String,
    /// `pipelineInfo.displayName`: the ZenML pipeline name verbatim.
    pub display_name: String,
    /// `pipelineInfo.description`: the pipeline's description.
    pub description: Option<String>,
    /// `sdkVersion`: who wrote the IR.
    pub sdk_version: String,
    /// One component per step, in DAG order.
    pub components: Vec<Component>,
    /// One executor per step, in DAG order.
    pub executors: Vec<Executor>,
    /// Root DAG tasks, in DAG order.
    pub tasks: Vec<Task>,
}

/// `components.<name>`.
#[derive(Debug, Serialize)]
pub struct Component {
    /// `comp-<task>`.
    pub name: String,
    /// `exec-<task>`.
    pub executor_label: String,
}

/// `deploymentSpec.executors.<label>.container`.
#[derive(Debug, Serialize)]
pub struct Executor {
    /// `exec-<task>`.
    pub label: String,
    pub image: String,
    /// Escaped for Kubernetes (`$` doubled).
    pub command: Vec<String>,
    /// Escaped for Kubernetes (`$` doubled).
    pub args: Vec<String>,
    /// Literal env vars (`{name, value}`), escaped for Kubernetes; copied verbatim by KFP.
    pub env: Vec<EnvPair>,
    /// `resources`, `None` when the step sets none.
    pub resources: Option<ResourceSpec>,
}

/// A container `EnvVar` of the IR (`name` + `value` only).
#[derive(Debug, Serialize)]
pub struct EnvPair {
    pub name: String,
    pub value: String,
}

/// `container.resources`: Kubernetes quantities as strings (the non-deprecated fields).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_cpu_request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_cpu_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_memory_request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_memory_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<Accelerator>,
}

/// `resources.accelerator`: the Kubernetes resource name and count the driver puts in limits.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accelerator {
    /// Kubernetes resource name (`nvidia.com/gpu`).
    pub resource_type: String,
    /// Device count, as a string.
    pub resource_count: String,
}

/// `root.dag.tasks.<name>`.
#[derive(Debug, Serialize)]
pub struct Task {
    pub name: String,
    /// `taskInfo.name`: the ZenML step name verbatim.
    pub display_name: String,
    /// `componentRef.name`.
    pub component: String,
    /// `dependentTasks`: task names of `spec.upstream_steps`.
    pub dependent_tasks: Vec<String>,
    /// `retryPolicy`, only when the flavor leaves retries to the engine.
    pub retry_policy: Option<RetryPolicy>,
}

/// `PipelineTaskSpec.RetryPolicy`.
#[derive(Debug, Serialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retry_count: u32,
    /// First delay, proto Duration (`30s`).
    pub backoff_duration: String,
    /// Delay multiplier per retry (`1.0`: constant delay).
    pub backoff_factor: f64,
}

/// Input of `templates/kubeflow/platform-spec.yaml.j2`.
#[derive(Debug, Serialize)]
pub struct PlatformSpecContext {
    /// `platforms.kubernetes.deploymentSpec.executors`, only executors with settings.
    pub executors: Vec<PlatformExecutor>,
    /// `platforms.kubernetes.pipelineConfig.resourceTtlOnCompletion`, seconds.
    pub resource_ttl: Option<u64>,
}

/// One `KubernetesExecutorConfig`; every field is a whole JSON value in the template.
#[derive(Debug, Serialize)]
pub struct PlatformExecutor {
    /// `exec-<task>`.
    pub label: String,
    /// `fieldPathAsEnv`: the run id (label `pipeline/runid`) and pod-settings `fieldRef`s.
    pub field_path_as_env: Vec<Value>,
    /// `secretAsEnv`: the ZenML API key and pod-settings `secretKeyRef`s.
    pub secret_as_env: Vec<Value>,
    /// `configMapAsEnv`: pod-settings `configMapKeyRef`s.
    pub config_map_as_env: Vec<Value>,
    /// `nodeSelector.labels`.
    pub node_selector: BTreeMap<String, String>,
    /// `tolerations`.
    pub tolerations: Vec<Value>,
    /// `nodeAffinity` terms.
    pub node_affinity: Vec<Value>,
    /// `podMetadata {labels, annotations}`, `None` when both are empty.
    pub pod_metadata: Option<Value>,
    /// `imagePullSecret`.
    pub image_pull_secret: Vec<Value>,
    /// `pvcMount`, `emptyDirMounts`, `secretAsVolume`, `configMapAsVolume`.
    pub pvc_mount: Vec<Value>,
    pub empty_dir_mounts: Vec<Value>,
    pub secret_as_volume: Vec<Value>,
    pub config_map_as_volume: Vec<Value>,
    /// `securityContext {runAsUser, runAsGroup, runAsNonRoot}`.
    pub security_context: Option<Value>,
    /// Pod deadline in seconds (`activeDeadlineSeconds`).
    pub active_deadline_seconds: Option<u64>,
}

/// Compile `p` into KFP IR YAML (+ a RecurringRun request body when scheduled).
pub fn compile(
    p: &Pipeline,
    _opts: &EngineOptions,
    renderer: &Renderer,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Artifact>> {
    let (spec, platform) = lower(p, warnings)?;
    let mut content = renderer.render(ENGINE, "pipeline-spec.yaml.j2", &spec)?;
    if let Some(platform) = &platform {
        content.push_str("---\n");
        content.push_str(&renderer.render(ENGINE, "platform-spec.yaml.j2", platform)?);
    }
    let mut artifacts = Vec::new();
    let recurring = match &p.schedule() {
        Some(s) => lower_schedule(p, s, &content, warnings)?,
        None => None,
    };
    artifacts.push(Artifact { suffix: "kubeflow.yaml".into(), content });
    if let Some(body) = recurring {
        let mut text = serde_json::to_string_pretty(&body).expect("JSON values serialize");
        text.push('\n');
        artifacts.push(Artifact { suffix: RECURRING_RUN_SUFFIX.into(), content: text });
    }
    Ok(artifacts)
}

/// IR → `PipelineSpecContext` + `PlatformSpecContext`.
///
/// | IR                         | KFP                                                              |
/// |----------------------------|------------------------------------------------------------------|
/// | step                       | `comp-<t>` + `exec-<t>` container + root DAG task `<t>`          |
/// | step.upstream              | task `dependentTasks`                                            |
/// | (caching)                  | `cachingOptions: {}` (off: ZenML caches itself)                  |
/// | step.env Literal/Kubernetes| container `env` (`$` doubled for literals)                      |
/// | step.env RunId             | PlatformSpec `fieldPathAsEnv` of label `pipeline/runid`          |
/// | step.env Secret            | PlatformSpec `secretAsEnv`                                       |
/// | step.env ValueFrom         | `fieldPathAsEnv` / `secretAsEnv` / `configMapAsEnv`              |
/// | step.resources             | `resourceCpu*`, `resourceMemory*`, `accelerator`                 |
/// | step.retry                 | task `retryPolicy`                                               |
/// | step.timeout_seconds       | PlatformSpec `activeDeadlineSeconds` (per pod, warned)           |
/// | pod node selector/...      | PlatformSpec `nodeSelector`, `tolerations`, `nodeAffinity`       |
/// | pod labels/annotations     | PlatformSpec `podMetadata`                                       |
/// | pod image_pull_secrets     | PlatformSpec `imagePullSecret`                                   |
/// | pod volumes + mounts       | `pvcMount`, `emptyDirMounts`, `secretAsVolume`, `configMapAsVolume` |
/// | ttl_seconds_after_finished | `pipelineConfig.resourceTtlOnCompletion`                         |
/// | schedule                   | RecurringRun request body (second artifact)                      |
fn lower(p: &Pipeline, warnings: &mut Vec<Warning>) -> Result<(PipelineSpecContext, Option<PlatformSpecContext>)> {
    let originals: Vec<&str> = p.steps().iter().map(|s| s.name()).collect();
    let task_names = names::assign(&originals, &TASK_RULE, &[], "Kubeflow")?;
    let by_step: BTreeMap<&str, &str> = originals.iter().copied().zip(task_names.iter().map(String::as_str)).collect();

    pipeline_warnings(p, warnings);
    let mut dropped = Dropped::default();
    let mut components = Vec::new();
    let mut executors = Vec::new();
    let mut tasks = Vec::new();
    let mut platform = Vec::new();
    for (s, name) in p.steps().iter().zip(&task_names) {
        let component = format!("comp-{name}");
        let label = format!("exec-{name}");
        components.push(Component { name: component.clone(), executor_label: label.clone() });
        executors.push(executor(s, &label)?);
        let lost = dropped_resources(s);
        if !lost.is_empty() {
            dropped.add(
                "kubeflow-resource",
                "the KFP IR has fields for CPU, memory and one GPU kind only: other resources (ephemeral storage, hugepages, devices) dropped",
                s.name(),
            );
        }
        // PlatformSpec variables are appended after `container.env`, so Kubernetes cannot
        // expand a `$(NAME)` that refers to one of them.
        let late: Vec<&str> = s
            .env()
            .iter()
            .filter(|e| !matches!(e.value(), EnvValue::Literal(_) | EnvValue::Kubernetes(_)))
            .map(|e| e.name())
            .collect();
        let refers_late = s.env().iter().any(|e| match e.value() {
            EnvValue::Kubernetes(v) => late.iter().any(|n| v.contains(&format!("$({n})"))),
            _ => false,
        });
        if refers_late {
            dropped.add(
                "kubeflow-env-order",
                "a pod-settings env value refers to `$(VAR)` of a secret, field or run-id variable, which KFP adds after the container env: Kubernetes leaves the reference unexpanded",
                s.name(),
            );
        }
        tasks.push(Task {
            name: name.clone(),
            display_name: s.name().to_string(),
            component,
            dependent_tasks: s.upstream().iter().map(|u| by_step[u.as_str()].to_string()).collect(),
            retry_policy: s.retry().map(|r| RetryPolicy {
                max_retry_count: r.limit(),
                backoff_duration: go_duration(r.delay_seconds()),
                backoff_factor: r.backoff_factor().max(1) as f64,
            }),
        });
        platform.push(platform_executor(p, s, &label, &mut dropped));
    }
    dropped.warn(warnings);

    let spec = PipelineSpecContext {
        header: super::header(p),
        name: names::sanitize(p.name(), &PIPELINE_RULE),
        display_name: p.name().to_string(),
        description: p.description().map(String::from),
        sdk_version: format!("zenc-{}", env!("CARGO_PKG_VERSION")),
        components,
        executors,
        tasks,
    };
    // Every step has at least the run id in fieldPathAsEnv, so the PlatformSpec always exists.
    let platform = Some(PlatformSpecContext { executors: platform, resource_ttl: p.ttl_seconds_after_finished() });
    Ok((spec, platform))
}

/// Pipeline-level settings KFP's IR has no field for.
fn pipeline_warnings(p: &Pipeline, warnings: &mut Vec<Warning>) {
    // With every pair of steps ordered, skipping the dependants of a failed task stops the run:
    // all execution modes behave alike.
    if let Some((a, b)) = p.unordered_pair().filter(|_| p.failure_mode() != FailureMode::ContinueOnFailure) {
        warnings.push(Warning::new(
            "kubeflow-execution-mode",
            format!(
                "KFP IR has no failure policy: the execution mode is ignored; a failed task skips its dependants and lets independent tasks run (steps `{}` and `{}` are independent)",
                a.name(), b.name()
            ),
        ));
    }
    if p.parallelism().is_some() {
        warnings.push(Warning::new(
            "kubeflow-parallelism",
            "KFP IR has no pipeline-wide parallelism limit (only for loops): `parallelism` ignored",
        ));
    }
    if !p.tags().is_empty() {
        warnings.push(Warning::new(
            "kubeflow-tags",
            "the KFP IR has no place for tags (`pipelineInfo` has a name, a display name and a description): pipeline tags not carried",
        ));
    }
    if p.namespace().is_some() || p.service_account().is_some() {
        warnings.push(Warning::new(
            "kubeflow-run-settings",
            "KFP picks the namespace (from the experiment) and the service account when a run is created, not in the IR: pass them to `kfp run create` / the Kubeflow UI",
        ));
    }
}

/// Escaping for KFP containers: KFP copies env values verbatim and resolves only its own
/// `{{$...}}` placeholders in command/args; Kubernetes then expands `$(VAR)` in all three. KFP
/// runs on Argo, which templates `{{…}}` in the pod spec it is handed, so a `{{` is carried
/// past it as in the Argo target (`k8s::protect_braces`).
fn literal(s: &str) -> String {
    k8s::protect_braces(&k8s::escape_dollars(s))
}

fn executor(s: &Step, label: &str) -> Result<Executor> {
    let command: Vec<String> = s.command().iter().map(|c| literal(c)).collect();
    let args: Vec<String> = s.args().iter().map(|a| literal(a)).collect();
    // The launcher resolves placeholders in the argv it receives, after Kubernetes turned
    // `$$` back into `$`: doubling dollars does not hide `{{$` from it.
    if s.command().iter().chain(s.args()).any(|t| t.contains("{{$")) {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: "Kubeflow",
            what: format!("`{{{{$` in the command line of step `{}`", s.name()),
            help: "KFP replaces `{{$...}}` placeholders in container command and arguments and has no escape for them; rename the step".into(),
        }).at(s.path().to_string()));
    }
    if s.env().iter().any(|e| e.name() == k8s::LBRACE_VAR) {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: "Kubeflow",
            what: format!("an environment variable named `{}` in step `{}`", k8s::LBRACE_VAR, s.name()),
            help: format!(
                "zenc reserves `{}` to carry `{{{{` past Argo's templating under KFP; rename the variable",
                k8s::LBRACE_VAR
            ),
        })
        .at(s.path().to_string()));
    }
    let mut env: Vec<EnvPair> = s
        .env()
        .iter()
        .filter_map(|e| match e.value() {
            EnvValue::Literal(v) => Some(EnvPair { name: e.name().to_string(), value: literal(v) }),
            EnvValue::Kubernetes(v) => Some(EnvPair { name: e.name().to_string(), value: k8s::protect_braces(v) }),
            _ => None,
        })
        .collect();
    let braces = command.iter().chain(&args).chain(env.iter().map(|e| &e.value)).any(|v| v.contains(k8s::LBRACE_VAR));
    if braces {
        // First, so every later env value and the command line can refer to it.
        env.insert(0, EnvPair { name: k8s::LBRACE_VAR.into(), value: "{".into() });
    }
    Ok(Executor { label: label.to_string(), image: s.image().to_string(), command, args, env, resources: resources(s) })
}

/// Requests and limits as KFP's string fields; the GPU (or another device) as `accelerator`.
fn resources(s: &Step) -> Option<ResourceSpec> {
    let r = s.resources();
    if r.is_empty() {
        return None;
    }
    let q = |m: &BTreeMap<String, Quantity>, k: &str| m.get(k).map(Quantity::to_string);
    // The IR's one accelerator slot takes a GPU (`nvidia.com/gpu`, `amd.com/gpu`, ...); other
    // extended resources are reported by `dropped_resources`.
    let accelerator = r
        .limits()
        .iter()
        .chain(r.requests())
        .find(|(k, _)| is_gpu(k))
        .map(|(k, q)| Accelerator { resource_type: k.clone(), resource_count: q.units().to_string() });
    Some(ResourceSpec {
        resource_cpu_request: q(r.requests(), "cpu"),
        resource_cpu_limit: q(r.limits(), "cpu"),
        resource_memory_request: q(r.requests(), "memory"),
        resource_memory_limit: q(r.limits(), "memory"),
        accelerator,
    })
}

fn is_gpu(resource: &str) -> bool {
    resource.ends_with("/gpu")
}

/// Resources the IR has no field for: everything but CPU, memory and the first GPU kind.
fn dropped_resources(s: &Step) -> Vec<&str> {
    let r = s.resources();
    let gpu = r.limits().keys().chain(r.requests().keys()).find(|k| is_gpu(k));
    let mut out: Vec<&str> = r
        .limits()
        .keys()
        .chain(r.requests().keys())
        .map(String::as_str)
        .filter(|k| !matches!(*k, "cpu" | "memory") && Some(*k) != gpu.map(String::as_str))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What the PlatformSpec cannot carry, collected over all steps and warned once per kind.
#[derive(Default)]
struct Dropped {
    /// Warning code → (message, steps).
    items: BTreeMap<&'static str, (String, Vec<String>)>,
}

impl Dropped {
    fn add(&mut self, code: &'static str, what: impl Into<String>, step: &str) {
        let entry = self.items.entry(code).or_insert_with(|| (what.into(), Vec::new()));
        if !entry.1.iter().any(|s| s == step) {
            entry.1.push(step.to_string());
        }
    }

    fn warn(self, warnings: &mut Vec<Warning>) {
        for (code, (what, steps)) in self.items {
            let steps: Vec<String> = steps.iter().map(|s| format!("`{s}`")).collect();
            warnings.push(Warning::new(code, format!("{what} (steps {})", steps.join(", "))));
        }
    }
}

fn platform_executor(p: &Pipeline, s: &Step, label: &str, dropped: &mut Dropped) -> PlatformExecutor {
    let mut field_path_as_env = Vec::new();
    let mut secret_as_env = Vec::new();
    let mut config_map_as_env = Vec::new();
    for e in s.env() {
        match e.value() {
            EnvValue::RunId => field_path_as_env.push(json!({"name": e.name(), "fieldPath": RUN_ID_FIELD_PATH})),
            EnvValue::Secret { name, key } => secret_as_env.push(secret_env(name, key, e.name(), false)),
            EnvValue::ValueFrom(v) => {
                if let Some(path) = v.pointer("/fieldRef/fieldPath").and_then(Value::as_str) {
                    field_path_as_env.push(json!({"name": e.name(), "fieldPath": path}));
                } else if let (Some(name), Some(key)) = (
                    v.pointer("/secretKeyRef/name").and_then(Value::as_str),
                    v.pointer("/secretKeyRef/key").and_then(Value::as_str),
                ) {
                    let optional = v.pointer("/secretKeyRef/optional").and_then(Value::as_bool).unwrap_or(false);
                    secret_as_env.push(secret_env(name, key, e.name(), optional));
                } else if let (Some(name), Some(key)) = (
                    v.pointer("/configMapKeyRef/name").and_then(Value::as_str),
                    v.pointer("/configMapKeyRef/key").and_then(Value::as_str),
                ) {
                    let optional = v.pointer("/configMapKeyRef/optional").and_then(Value::as_bool).unwrap_or(false);
                    config_map_as_env.push(json!({
                        "configMapName": name,
                        "configMapNameParameter": {"runtimeValue": {"constant": name}},
                        "keyToEnv": [{"configMapKey": key, "envVar": e.name()}],
                        "optional": optional,
                    }));
                } else {
                    dropped.add(
                        "kubeflow-env-value-from",
                        format!("KFP can only set env vars from a field path, a Secret key or a ConfigMap key: `{}` dropped", e.name()),
                        s.name(),
                    );
                }
            }
            EnvValue::Literal(_) | EnvValue::Kubernetes(_) => {}
        }
    }
    if !s.env_from().is_empty() {
        dropped.add("kubeflow-env-from", "KFP has no `envFrom`: whole Secrets/ConfigMaps as env dropped", s.name());
    }

    let pod = s.pod();
    let tolerations = pod.tolerations().iter().map(|t| toleration(t, s.name(), dropped)).collect();
    let node_affinity = node_affinity(pod.affinity(), s.name(), dropped);

    let mut annotations = pod.annotations().clone();
    annotations.insert(k8s::STEP_NAME_ANNOTATION.into(), s.name().to_string());
    let pod_metadata = Some(json!({"labels": k8s::pod_labels(p, s), "annotations": annotations}));

    let image_pull_secret = pod
        .image_pull_secrets()
        .iter()
        .map(|n| json!({"secretName": n, "secretNameParameter": {"runtimeValue": {"constant": n}}}))
        .collect();

    let mut volumes = Volumes::default();
    for m in pod.volume_mounts() {
        volumes.add(m, pod.volumes(), s.name(), dropped);
    }
    for v in pod.volumes() {
        let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
        if !pod.volume_mounts().iter().any(|m| m.get("name").and_then(Value::as_str) == Some(name)) {
            dropped.add(
                "kubeflow-volume",
                "KFP declares volumes only with a mount: unmounted volumes dropped",
                s.name(),
            );
        }
    }

    let security_context = pod.security_context().as_ref().and_then(|sc| {
        let mut out = serde_json::Map::new();
        for (k, v) in sc.as_object().into_iter().flatten() {
            match k.as_str() {
                "runAsUser" | "runAsGroup" | "runAsNonRoot" if !v.is_null() => {
                    out.insert(k.clone(), v.clone());
                }
                _ if v.is_null() => {}
                "privileged" if v == &Value::Bool(false) => {}
                _ => dropped.add(
                    "kubeflow-security-context",
                    "KFP's securityContext has only runAsUser, runAsGroup and runAsNonRoot: other container security settings dropped",
                    s.name(),
                ),
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    });

    let mut pod_fields = Vec::new();
    if pod.host_ipc() {
        pod_fields.push("hostIPC");
    }
    if pod.scheduler_name().is_some() {
        pod_fields.push("schedulerName");
    }
    if pod.service_account().is_some() {
        pod_fields.push("serviceAccountName");
    }
    if pod.termination_grace_period_seconds().is_some() {
        pod_fields.push("terminationGracePeriodSeconds");
    }
    pod_fields.extend(pod.extra_pod_spec().keys().map(String::as_str));
    for f in pod_fields {
        dropped.add("kubeflow-pod-spec", format!("KFP's PlatformSpec has no `{f}`: dropped"), s.name());
    }
    if s.timeout_seconds().is_some() {
        dropped.add(
            "kubeflow-timeout",
            "KFP IR has no task timeout: the step timeout became the pod's activeDeadlineSeconds (PlatformSpec), counted per attempt",
            s.name(),
        );
    }

    PlatformExecutor {
        label: label.to_string(),
        field_path_as_env,
        secret_as_env,
        config_map_as_env,
        node_selector: pod.node_selector().clone(),
        tolerations,
        node_affinity,
        pod_metadata,
        image_pull_secret,
        pvc_mount: volumes.pvc,
        empty_dir_mounts: volumes.empty_dir,
        secret_as_volume: volumes.secret,
        config_map_as_volume: volumes.config_map,
        security_context,
        active_deadline_seconds: s.timeout_seconds(),
    }
}

fn secret_env(secret: &str, key: &str, var: &str, optional: bool) -> Value {
    json!({
        "secretName": secret,
        "secretNameParameter": {"runtimeValue": {"constant": secret}},
        "keyToEnv": [{"secretKey": key, "envVar": var}],
        "optional": optional,
    })
}

/// A Kubernetes toleration as KFP's `Toleration` (same field names).
fn toleration(t: &Value, step: &str, dropped: &mut Dropped) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in t.as_object().into_iter().flatten() {
        match k.as_str() {
            "key" | "operator" | "value" | "effect" | "tolerationSeconds" if !v.is_null() => {
                out.insert(k.clone(), v.clone());
            }
            _ if v.is_null() => {}
            _ => dropped.add("kubeflow-toleration", format!("KFP tolerations have no `{k}`: dropped"), step),
        }
    }
    Value::Object(out)
}

/// Node affinity terms; pod (anti-)affinity is not carried.
fn node_affinity(affinity: Option<&Value>, step: &str, dropped: &mut Dropped) -> Vec<Value> {
    let Some(a) = affinity else { return Vec::new() };
    let mut terms = Vec::new();
    let pick = |term: &Value| {
        let mut out = serde_json::Map::new();
        for k in ["matchExpressions", "matchFields"] {
            if let Some(v) = term.get(k).filter(|v| !v.is_null()) {
                out.insert(k.into(), v.clone());
            }
        }
        out
    };
    if let Some(required) = a
        .pointer("/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
    {
        terms.extend(required.iter().map(|t| Value::Object(pick(t))));
    }
    if let Some(preferred) =
        a.pointer("/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution").and_then(Value::as_array)
    {
        for p in preferred {
            let mut term = pick(p.get("preference").unwrap_or(&Value::Null));
            term.insert("weight".into(), p.get("weight").cloned().unwrap_or(json!(1)));
            terms.push(Value::Object(term));
        }
    }
    for k in ["podAffinity", "podAntiAffinity"] {
        if a.get(k).is_some_and(|v| !v.is_null()) {
            dropped.add("kubeflow-pod-affinity", format!("`{k}` is not carried to KFP: dropped"), step);
        }
    }
    terms
}

#[derive(Default)]
struct Volumes {
    pvc: Vec<Value>,
    empty_dir: Vec<Value>,
    secret: Vec<Value>,
    config_map: Vec<Value>,
}

impl Volumes {
    /// One volume mount and the volume it names, as the matching KFP mount kind.
    fn add(&mut self, mount: &Value, volumes: &[Value], step: &str, dropped: &mut Dropped) {
        let name = mount.get("name").and_then(Value::as_str).unwrap_or_default();
        let path = mount.get("mountPath").and_then(Value::as_str).unwrap_or_default();
        let Some(volume) = volumes.iter().find(|v| v.get("name").and_then(Value::as_str) == Some(name)) else {
            dropped.add("kubeflow-volume", "a volume mount names no volume: dropped", step);
            return;
        };
        let extra: Vec<&String> = mount
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| !v.is_null() && !matches!(k.as_str(), "name" | "mountPath" | "subPath"))
            .map(|(k, _)| k)
            .collect();
        if !extra.is_empty() {
            dropped.add(
                "kubeflow-volume",
                "KFP volume mounts have no `readOnly`/`mountPropagation`/...: dropped",
                step,
            );
        }
        if let Some(ed) = volume.get("emptyDir") {
            let mut m = json!({"volumeName": name, "mountPath": path});
            if let Some(medium) = ed.get("medium").and_then(Value::as_str) {
                m["medium"] = json!(medium);
            }
            if let Some(size) = ed.get("sizeLimit").and_then(Value::as_str) {
                m["sizeLimit"] = json!(size);
            }
            self.empty_dir.push(m);
        } else if let Some(claim) = volume.pointer("/persistentVolumeClaim/claimName").and_then(Value::as_str) {
            let mut m = json!({"constant": claim, "pvcNameParameter": {"runtimeValue": {"constant": claim}}, "mountPath": path});
            if let Some(sub) = mount.get("subPath").and_then(Value::as_str) {
                m["subPath"] = json!(sub);
            }
            self.pvc.push(m);
        } else if let Some(secret) = volume.pointer("/secret/secretName").and_then(Value::as_str) {
            let optional = volume.pointer("/secret/optional").and_then(Value::as_bool).unwrap_or(false);
            self.secret.push(json!({"secretName": secret, "secretNameParameter": {"runtimeValue": {"constant": secret}}, "mountPath": path, "optional": optional}));
        } else if let Some(cm) = volume.pointer("/configMap/name").and_then(Value::as_str) {
            let optional = volume.pointer("/configMap/optional").and_then(Value::as_bool).unwrap_or(false);
            self.config_map.push(json!({"configMapName": cm, "configMapNameParameter": {"runtimeValue": {"constant": cm}}, "mountPath": path, "optional": optional}));
        } else {
            dropped.add(
                "kubeflow-volume",
                "KFP mounts only PVCs, emptyDirs, Secrets and ConfigMaps: other volume kinds dropped",
                step,
            );
        }
    }
}

/// KFP's recurring-run cron (robfig/cron v1 `cron.Parse`): six fields, seconds first. The IR
/// already wrote Sunday as `0` (robfig's day-of-week is 0-6).
pub fn six_field_cron(cron: &Cron) -> String {
    format!("0 {}", cron.five_fields())
}

/// `RecurringRun` request body (`POST /apis/v2beta1/recurringruns`), as the kfp SDK client
/// sends it: the compiled IR inline, so only an experiment is left to choose.
fn lower_schedule(p: &Pipeline, s: &Schedule, ir_text: &str, warnings: &mut Vec<Warning>) -> Result<Option<Value>> {
    let mut trigger_fields = serde_json::Map::new();
    if let Some(start) = s.start() {
        trigger_fields.insert("start_time".into(), json!(start.to_rfc3339()));
    }
    if let Some(end) = s.end() {
        trigger_fields.insert("end_time".into(), json!(end.to_rfc3339()));
    }
    let (trigger, flag) = match &s.trigger() {
        Trigger::Cron(c) => {
            let cron = six_field_cron(c);
            let flag = format!("--cron-expression '{cron}'");
            trigger_fields.insert("cron".into(), json!(cron));
            (json!({"cron_schedule": trigger_fields}), flag)
        }
        Trigger::Interval { seconds } => {
            trigger_fields.insert("interval_second".into(), json!(seconds.to_string()));
            (json!({"periodic_schedule": trigger_fields}), format!("--interval-second {seconds}"))
        }
        Trigger::Once { at } => {
            warnings.push(Warning::new(
                "kubeflow-run-once",
                format!(
                    "KFP has no one-off schedule: create a run at {} from the IR (`kfp run create`)",
                    at.to_rfc3339()
                ),
            ));
            return Ok(None);
        }
    };
    if s.timezone().is_some() {
        warnings.push(Warning::new(
            "kubeflow-timezone",
            "KFP reads every cron schedule in one cluster-wide zone (CRON_SCHEDULE_TIMEZONE of the scheduledworkflow controller, UTC by default): the schedule's timezone is ignored",
        ));
    }
    let max_concurrency = match s.concurrency() {
        None => None,
        Some(Concurrency::Forbid) => Some(1),
        Some(Concurrency::Allow) => {
            warnings.push(Warning::new(
                "kubeflow-concurrency",
                "KFP allows at most 10 concurrent runs of a recurring run: `Allow` became 10",
            ));
            Some(10)
        }
        Some(Concurrency::Replace) => {
            warnings.push(Warning::new(
                "kubeflow-concurrency",
                "KFP cannot replace a running run: `Replace` became max_concurrency 1 (Forbid)",
            ));
            Some(1)
        }
    };
    if s.starting_deadline_seconds().is_some()
        || s.successful_history_limit().is_some()
        || s.failed_history_limit().is_some()
    {
        warnings.push(Warning::new(
            "kubeflow-schedule-limits",
            "KFP recurring runs have no starting deadline or history limits: ignored",
        ));
    }

    let docs = crate::validate::yaml_documents(ir_text)?;
    let pipeline_spec = match docs.as_slice() {
        [spec] => spec.clone(),
        [spec, platform] => json!({"pipeline_spec": spec, "platform_spec": platform}),
        _ => return Err(crate::validate::bug("KFP IR must have one or two documents".into())),
    };
    let display_name = p.schedule().and_then(|s| s.name().map(String::from)).unwrap_or_else(|| p.name().to_string());
    let mut body = json!({
        "display_name": display_name,
        "description": format!("ZenML pipeline `{}`, snapshot {}", p.name(), p.snapshot_id()),
        "pipeline_spec": pipeline_spec,
        "trigger": trigger,
        "mode": if s.active() { "ENABLE" } else { "DISABLE" },
        "no_catchup": !s.catchup(),
    });
    if let Some(n) = max_concurrency {
        body["max_concurrency"] = json!(n.to_string());
    }
    if let Some(sa) = p.service_account() {
        body["service_account"] = json!(sa);
    }
    let mut command = format!(
        "kfp recurring-run create --experiment-name <EXPERIMENT> --job-name '{}' {flag}",
        display_name.replace('\'', "'\\''")
    );
    if let Some(start) = s.start() {
        command.push_str(&format!(" --start-time {}", start.to_rfc3339()));
    }
    if let Some(end) = s.end() {
        command.push_str(&format!(" --end-time {}", end.to_rfc3339()));
    }
    if let Some(n) = max_concurrency {
        command.push_str(&format!(" --max-concurrency {n}"));
    }
    command.push_str(if s.catchup() { " --catchup" } else { " --no-catchup" });
    if !s.active() {
        command.push_str(" --disabled");
    }
    command.push_str(" --pipeline-package-path <IR FILE>");
    warnings.push(Warning::new(
        "kubeflow-schedule",
        format!("the schedule is not part of the KFP IR: POST the `{RECURRING_RUN_SUFFIX}` body to /apis/v2beta1/recurringruns (add `experiment_id`), or run `{command}`"),
    ));
    Ok(Some(body))
}

/// Read the output back: per step a task named after the step, its executor with the image,
/// command and args, and the run-id variable delivered from the `pipeline/runid` pod label.
pub fn check(p: &Pipeline, artifacts: &[Artifact]) -> Result<()> {
    use crate::validate::{bug, yaml_documents};
    let first = artifacts.first().ok_or_else(|| bug("no output".into()))?;
    let docs = yaml_documents(&first.content)?;
    let [spec, platform] = docs.as_slice() else {
        return Err(bug(format!("{} YAML documents, expected PipelineSpec + PlatformSpec", docs.len())));
    };
    if spec["schemaVersion"].as_str() != Some("2.1.0") {
        return Err(bug("schemaVersion is not 2.1.0".into()));
    }
    let tasks = spec["root"]["dag"]["tasks"].as_object().ok_or_else(|| bug("no root.dag.tasks".into()))?;
    if tasks.len() != p.steps().len() {
        return Err(bug(format!("{} tasks for {} steps", tasks.len(), p.steps().len())));
    }
    let mut graph = Vec::new();
    for step in p.steps() {
        let (name, task) = tasks
            .iter()
            .find(|(_, t)| t["taskInfo"]["name"].as_str() == Some(step.name()))
            .ok_or_else(|| bug(format!("no task for step `{}`", step.name())))?;
        graph.push((name.clone(), crate::validate::strings(&task["dependentTasks"])));
    }
    crate::validate::check_graph(p, &graph)?;
    let strings =
        |v: &Value| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>());
    for step in p.steps() {
        let (_, task) = tasks
            .iter()
            .find(|(_, t)| t["taskInfo"]["name"].as_str() == Some(step.name()))
            .ok_or_else(|| bug(format!("no task for step `{}`", step.name())))?;
        if task["cachingOptions"].get("enableCache") == Some(&Value::Bool(true)) {
            return Err(bug(format!("step `{}`: KFP caching is on", step.name())));
        }
        let component = task["componentRef"]["name"].as_str().unwrap_or_default();
        let label = spec["components"][component]["executorLabel"].as_str().unwrap_or_default();
        let c = &spec["deploymentSpec"]["executors"][label]["container"];
        if c["image"].as_str() != Some(step.image()) {
            return Err(bug(format!("step `{}`: image {} != {}", step.name(), c["image"], step.image())));
        }
        let want_args: Vec<String> = step.args().iter().map(|a| literal(a)).collect();
        let want_cmd: Vec<String> = step.command().iter().map(|a| literal(a)).collect();
        if strings(&c["args"]) != Some(want_args) || strings(&c["command"]) != Some(want_cmd) {
            return Err(bug(format!("step `{}`: command/args differ", step.name())));
        }
        let want = serde_json::to_value(resources(step)).expect("serializable");
        if c["resources"] != want {
            return Err(bug(format!("step `{}`: resources {} != {want}", step.name(), c["resources"])));
        }
        if c["env"].as_array().into_iter().flatten().any(|e| e["name"].as_str() == Some(p.run_id_env())) {
            return Err(bug(format!(
                "step `{}`: {} in container env, where KFP does not resolve it",
                step.name(),
                p.run_id_env()
            )));
        }
        let k8s = &platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"][label];
        crate::validate::check_pod_labels(p, step, &k8s["podMetadata"]["labels"])?;
        let run_id =
            k8s["fieldPathAsEnv"].as_array().into_iter().flatten().find(|e| e["name"].as_str() == Some(p.run_id_env()));
        if run_id.and_then(|e| e["fieldPath"].as_str()) != Some(RUN_ID_FIELD_PATH) {
            return Err(bug(format!("step `{}`: {} is not the pipeline/runid label", step.name(), p.run_id_env())));
        }
    }
    if p.schedule().as_ref().is_some_and(|s| !matches!(s.trigger(), Trigger::Once { .. })) {
        let body = artifacts
            .iter()
            .find(|a| a.suffix == RECURRING_RUN_SUFFIX)
            .ok_or_else(|| bug("scheduled pipeline without a recurring run".into()))?;
        let body: Value = serde_json::from_str(&body.content).map_err(|e| bug(format!("recurring run: {e}")))?;
        if body["pipeline_spec"]["pipeline_spec"] != *spec || body["pipeline_spec"]["platform_spec"] != *platform {
            return Err(bug("recurring run does not carry the compiled IR".into()));
        }
        if let Some(cron) = body["trigger"]["cron_schedule"]["cron"].as_str() {
            if cron.split_whitespace().count() != 6 {
                return Err(bug(format!("recurring-run cron `{cron}` is not 6 fields")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_gets_seconds_and_sunday_zero() {
        let six = |c: &str| six_field_cron(&Cron::parse(c).unwrap());
        assert_eq!(six("30 2 * * 1-5"), "0 30 2 * * 1-5");
        assert_eq!(six("0 0 * * 7"), "0 0 0 * * 0");
        assert_eq!(six("0 0 * * 5-7"), "0 0 0 * * 5-6,0");
        assert_eq!(six("@daily"), "0 0 0 * * *");
    }

    #[test]
    fn task_names_are_kfp_safe_and_unique() {
        let names = ["preprocess_data", "Preprocess_Data", "preprocess-data", "1st step", "x".repeat(80).leak()];
        let out = names::assign(&names, &TASK_RULE, &[], "Kubeflow").unwrap();
        assert_eq!(out[2], "preprocess-data");
        assert_ne!(out[0], out[1]);
        assert_eq!(out[3], "1st-step");
        for n in &out {
            assert!(
                n.len() <= 63 && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{n}"
            );
        }
        let pipeline = names::sanitize("Train_And_Evaluate!", &PIPELINE_RULE);
        assert_eq!(pipeline, "train-and-evaluate");
    }

    #[test]
    fn quantities_are_kubernetes_strings() {
        let text = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubeflow\nimage: i\n\
                    steps: [{name: a, pod: {resources: {limits: {cpu: 500m, memory: 2Gi, nvidia.com/gpu: 2}, \
                    requests: {memory: 1Gi}}}}]\n";
        let (p, _) = crate::load_ir(text, "p.yaml", &Default::default()).unwrap();
        let json = serde_json::to_value(resources(&p.steps()[0])).unwrap();
        assert_eq!(
            json,
            json!({"resourceCpuLimit": "500m", "resourceMemoryLimit": "2Gi", "resourceMemoryRequest": "1Gi",
                   "accelerator": {"resourceType": "nvidia.com/gpu", "resourceCount": "2"}})
        );
    }

    /// Kubernetes' `$(VAR)` expansion for text whose every `$` is doubled: `$$` → `$`.
    fn kubelet(s: &str, env: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                out.push('$');
                rest = tail;
            } else if let Some(end) = after.strip_prefix('(').and_then(|a| a.find(')')) {
                let name = &after[1..=end];
                match env.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..i + end + 3]),
                }
                rest = &after[end + 2..];
            } else {
                out.push('$');
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }

    /// KFP's launcher replaces its own placeholders in command/args (none may be present).
    fn kfp_placeholders(s: &str) -> String {
        assert!(!s.contains("{{$"), "a KFP placeholder survived: {s}");
        s.to_string()
    }

    #[test]
    fn injection_corpus_reaches_the_container_unchanged() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ok/injection.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let opts = crate::Options::default();
        let (ir, _) = crate::load_ir(&text, "injection.yaml", &opts.build).unwrap();
        let out = crate::compile(&text, "injection.yaml", &[super::super::Engine::Kubeflow], &opts).unwrap();
        let docs = crate::validate::yaml_documents(&out.files[0].1.content).unwrap();
        let tasks = docs[0]["root"]["dag"]["tasks"].as_object().unwrap();
        for step in ir.steps() {
            let task = tasks.values().find(|t| t["taskInfo"]["name"] == json!(step.name())).unwrap();
            let comp = task["componentRef"]["name"].as_str().unwrap();
            let label = docs[0]["components"][comp]["executorLabel"].as_str().unwrap();
            let c = &docs[0]["deploymentSpec"]["executors"][label]["container"];
            // KFP copies env verbatim; the kubelet expands env values in order.
            let mut env = BTreeMap::new();
            for e in c["env"].as_array().unwrap() {
                let value = kubelet(e["value"].as_str().unwrap(), &env);
                env.insert(e["name"].as_str().unwrap().to_string(), value);
            }
            for e in step.env() {
                if let EnvValue::Literal(v) = e.value() {
                    assert_eq!(env.get(e.name()), Some(v), "env {} of `{}`", e.name(), step.name());
                }
            }
            let args: Vec<String> = c["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| kubelet(&kfp_placeholders(a.as_str().unwrap()), &env))
                .collect();
            assert_eq!(args, step.args(), "args of `{}`", step.name());
            let i = args.iter().position(|a| a == "--step_name").unwrap();
            assert_eq!(args[i + 1], step.name());
        }
    }
}
