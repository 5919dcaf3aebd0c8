//! Lowering of the IR to native Tekton Pipelines (`tekton.dev/v1`, Pipelines v1.x), with a
//! Kubernetes CronJob (+ RBAC) as the scheduler Tekton does not have.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::k8s::{self, EnvEntry, EnvText, ResourceRequirements};
use super::names::{self, NameRule};
use super::{Artifact, EngineOptions, ObjectKind};
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::schedule::go_duration;
use crate::ir::{Concurrency, FailureMode, Pipeline, Schedule, Step, Trigger, UtcDateTime};
use crate::render::Renderer;

const ENGINE: &str = "tekton";
/// Name used in error messages.
const DISPLAY: &str = "Tekton";
/// Holds a single `$`: a literal `$(` is written `$(ZENC_DOLLAR)(`, which Tekton leaves alone
/// (not one of its prefixes) and Kubernetes' own `$(VAR)` expansion turns back into `$(`.
pub const DOLLAR_VAR: &str = "ZENC_DOLLAR";
/// Pipeline-task param (and taskSpec param) that carries the run id into the step.
pub const RUN_ID_PARAM: &str = "zenml-run-id";
/// Tekton's per-run id: the same in every task of a PipelineRun, new for every PipelineRun
/// (also for each CronJob firing), unchanged by task retries.
pub const RUN_ID: &str = "$(context.pipelineRun.uid)";
/// The step's reference to `RUN_ID_PARAM`.
pub const RUN_ID_REF: &str = "$(params.zenml-run-id)";
/// Prefixes Tekton substitutes or validates inside `$(…)`; anything else is left for Kubernetes
/// (tektoncd/pipeline `pkg/substitution`, `pkg/apis/pipeline/v1/*_validation.go`).
const TEKTON_PREFIXES: &[&str] =
    &["params", "context", "tasks", "finally", "workspaces", "results", "steps", "step", "credentials"];

/// Pipeline-task names: DNS-1123 labels. Tekton names each TaskRun `<pipelinerun>-<task>`
/// (kmeta.ChildName, ≤63); with a PipelineRun name of at most `RUN_PREFIX_MAX + 1 + 5`
/// characters, 30 keeps that name whole: 27 + 5 + 1 + 30 = 63.
const TASK_RULE: NameRule = NameRule::dns_label(30);
/// Longest sanitised pipeline name in a PipelineRun `generateName` (before `-` and the five
/// random characters Kubernetes appends).
const RUN_PREFIX_MAX: usize = 26;
// generateName (prefix + `-`) + 5 random characters + `-` + task name fit a TaskRun name.
const _: () = assert!(RUN_PREFIX_MAX + 1 + 5 + 1 + TASK_RULE.max_len <= 63);
/// CronJob names: Kubernetes appends an 11-character suffix to the Jobs it creates.
const CRON_RULE: NameRule = NameRule::dns_label(52);
/// Default image of the CronJob pod that creates the PipelineRuns: the Kubernetes project's
/// own kubectl image, pinned (since v1.28 on debian-base, with `/bin/sh`; kubernetes
/// `build/server-image/kubectl/Dockerfile`). `--tekton-launcher-image` replaces it.
pub const KUBECTL_IMAGE: &str = "registry.k8s.io/kubectl:v1.34.1";
/// Where the ConfigMap (PipelineRun manifest + launcher script) is mounted in the CronJob pod.
const MANIFEST_DIR: &str = "/etc/zenc";
const MANIFEST_KEY: &str = "pipelinerun.yaml";
const LAUNCHER_KEY: &str = "launch.sh";
/// The CronJob pod's script: applies the schedule's concurrency policy and history limits to
/// the PipelineRuns it created (found by `SCHEDULE_LABEL`), then creates one.
pub const LAUNCHER_SCRIPT: &str = include_str!("tekton_launch.sh");
/// Label on every PipelineRun a schedule creates; its value is the CronJob name.
pub const SCHEDULE_LABEL: &str = "zenml.io/schedule";
/// Kubernetes refuses a ConfigMap whose data exceeds 1 MiB (`MaxSecretSize` in
/// `pkg/apis/core/validation`).
const CONFIGMAP_MAX_BYTES: usize = 1024 * 1024;

/// Input of `templates/tekton/pipeline.yaml.j2` (`--kind pipeline`); its tasks are laid out by
/// `tasks.yaml.j2`, shared with the PipelineRun's inline `pipelineSpec`.
#[derive(Debug, Serialize)]
pub struct PipelineContext {
    /// Header comment lines (`backend::header`).
    pub header: Vec<String>,
    /// Fixed `metadata.name` (≤63), for `kubectl apply`.
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// One pipeline task per step, in topological order.
    pub tasks: Vec<TaskContext>,
}

/// A pipeline task with an inline `taskSpec` of one step.
#[derive(Debug, Serialize)]
pub struct TaskContext {
    /// Pipeline-task name (DNS-1123 label, ≤30).
    pub name: String,
    /// Pipeline-task names that must finish first.
    pub run_after: Vec<String>,
    /// Retries after the first attempt (only when the flavor leaves retries to the engine).
    pub retries: Option<u32>,
    /// Task deadline, Go duration (`1h0m0s`).
    pub timeout: Option<String>,
    /// Pipeline-task params: the run id.
    pub params: Vec<ParamValue>,
    /// `taskSpec.params` declarations.
    pub param_specs: Vec<ParamSpec>,
    /// `taskSpec.metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `taskSpec.metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `taskSpec.volumes`.
    pub volumes: Vec<Value>,
    /// The one step.
    pub step: StepContext,
}

/// `{name, value}` of a pipeline-task param.
#[derive(Debug, Serialize)]
pub struct ParamValue {
    pub name: &'static str,
    pub value: &'static str,
}

/// `{name, type}` of a taskSpec param.
#[derive(Debug, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// The step container.
#[derive(Debug, Serialize)]
pub struct StepContext {
    pub image: String,
    /// Escaped for Tekton and Kubernetes (see `TektonText`).
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvEntry>,
    pub env_from: Vec<Value>,
    /// Step `computeResources`.
    pub compute_resources: Option<ResourceRequirements>,
    pub volume_mounts: Vec<Value>,
    /// Container security context.
    pub security_context: Option<Value>,
}

/// Input of `templates/tekton/pipelinerun.yaml.j2`: a self-contained run (`pipelineSpec`
/// inline) that `kubectl create` accepts any number of times, or a run of a Pipeline by name.
#[derive(Debug, Serialize)]
pub struct RunContext {
    pub header: Vec<String>,
    /// `generateName` (≤27 characters, ends with `-`).
    pub generate_name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `pipelineRef.name`: the Pipeline this run instantiates (`--kind pipeline` with a
    /// schedule); `None`: the run carries `tasks` inline as `pipelineSpec`.
    pub pipeline_ref: Option<String>,
    /// `pipelineSpec.tasks` when `pipeline_ref` is `None`, else empty.
    pub tasks: Vec<TaskContext>,
    /// `timeouts.pipeline`: `0s` (no deadline; ZenML has no pipeline deadline, and Tekton's
    /// 60-minute default would cut long runs and cap every task timeout).
    pub pipeline_timeout: &'static str,
    /// `taskRunTemplate.serviceAccountName`.
    pub service_account_name: Option<String>,
    /// `taskRunTemplate.podTemplate`: pod settings every step shares.
    pub pod_template: Option<PodTemplate>,
    /// Per-task settings where steps differ.
    pub task_run_specs: Vec<TaskRunSpec>,
}

/// One `taskRunSpecs[]` entry.
#[derive(Debug, Serialize)]
pub struct TaskRunSpec {
    pub pipeline_task_name: String,
    pub service_account_name: Option<String>,
    pub pod_template: Option<PodTemplate>,
}

/// Tekton's `pod.Template` (the pod fields Tekton lets a run set).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplate {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<NameRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// `additional_pod_spec_args` keys that `pod.Template` has (camelCase), verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl PodTemplate {
    fn is_empty(&self) -> bool {
        *self == PodTemplate::default()
    }
}

/// `{name: ...}` object reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NameRef {
    pub name: String,
}

/// `PodSpec` fields a Tekton `pod.Template` carries (pkg/apis/pipeline/pod/template.go).
const POD_TEMPLATE_KEYS: &[&str] = &[
    "automountServiceAccountToken",
    "dnsConfig",
    "dnsPolicy",
    "enableServiceLinks",
    "hostAliases",
    "hostNetwork",
    "hostUsers",
    "priorityClassName",
    "runtimeClassName",
    "securityContext",
    "topologySpreadConstraints",
];

/// Input of `templates/tekton/schedule.yaml.j2`: a CronJob whose pod (the launcher) creates a
/// PipelineRun, with the ServiceAccount, Role, RoleBinding and ConfigMap it needs.
#[derive(Debug, Serialize)]
pub struct CronContext {
    pub header: Vec<String>,
    /// CronJob name (≤52); also the ServiceAccount, Role, RoleBinding and ConfigMap name, and
    /// the `SCHEDULE_LABEL` value of the PipelineRuns it creates.
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Five-field cron expression or macro.
    pub schedule: String,
    /// IANA zone (`timeZone`).
    pub time_zone: Option<String>,
    /// CronJob `concurrencyPolicy`, for the launcher Jobs (the script applies it to PipelineRuns).
    pub concurrency_policy: Option<&'static str>,
    pub starting_deadline_seconds: Option<u64>,
    /// CronJob history limits, for the launcher Jobs (the script applies them to PipelineRuns).
    pub successful_jobs_history_limit: Option<u32>,
    pub failed_jobs_history_limit: Option<u32>,
    /// Created suspended (ZenML schedule inactive).
    pub suspend: bool,
    /// Role verbs on `pipelineruns`: what the launcher script does with these settings.
    pub verbs: Vec<&'static str>,
    /// Launcher image: `kubectl` and a POSIX `/bin/sh`.
    pub image: String,
    pub command: Vec<String>,
    /// Launcher env: `ZENC_SCHEDULE`, `ZENC_CONCURRENCY_POLICY`, `HOME`, and the history limits
    /// that are set, `ZENC_KEEP_SUCCEEDED`, `ZENC_KEEP_FAILED` (our own values: no `$` in them).
    pub env: Vec<EnvEntry>,
    /// Mount path of the ConfigMap.
    pub mount_path: &'static str,
    /// ConfigMap `data`: the PipelineRun manifest and the launcher script.
    pub data: BTreeMap<&'static str, String>,
}

/// Escaping for Tekton steps: `$` for Kubernetes, `$(` through `ZENC_DOLLAR`.
struct TektonText;

impl EnvText for TektonText {
    fn literal(&self, s: &str) -> String {
        escape_literal(s)
    }
    fn native(&self, s: &str) -> String {
        // `$(VAR)` is meant for Kubernetes; `lower_task` refuses Tekton's own prefixes here.
        s.to_string()
    }
    fn run_id(&self) -> String {
        RUN_ID_REF.to_string()
    }
}

/// Makes a literal survive Tekton's `$(…)` replacement and then Kubernetes' `$(VAR)` expansion:
/// a `$` before `(` becomes `$(ZENC_DOLLAR)` (Tekton sees no `$(` of its own, Kubernetes puts
/// the `$` back), every other `$` becomes `$$` (Kubernetes turns it back into `$`). Tekton's
/// `strings.Replacer` has no escape of its own: `$$(params.x)` would still be replaced.
pub fn escape_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
        } else if chars.peek() == Some(&'(') {
            out.push_str("$(");
            out.push_str(DOLLAR_VAR);
            out.push(')');
        } else {
            out.push_str("$$");
        }
    }
    out
}

/// The first `$(…)` in `s` that Tekton would substitute or validate, if any.
fn tekton_reference(s: &str) -> Option<&str> {
    let mut rest = s;
    while let Some(i) = rest.find("$(") {
        let inner = &rest[i + 2..];
        let end = inner.find(')').map_or(inner.len(), |e| e + 1);
        let prefix = inner.split(['.', '[', ')']).next().unwrap_or_default();
        if TEKTON_PREFIXES.contains(&prefix) {
            return Some(&rest[i..i + 2 + end]);
        }
        rest = inner;
    }
    None
}

/// Compile `p` into Tekton YAML.
///
/// | kind \ schedule | none                      | cron / interval                                  | run once                 |
/// |----------------|---------------------------|--------------------------------------------------|--------------------------|
/// | `run`          | PipelineRun, inline spec  | CronJob + RBAC + ConfigMap(PipelineRun, inline)  | PipelineRun + warning    |
/// | `pipeline`     | Pipeline                  | Pipeline + CronJob + … (PipelineRun → Pipeline)  | Pipeline + warning       |
pub fn compile(
    p: &Pipeline,
    opts: &EngineOptions,
    renderer: &Renderer,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Artifact>> {
    let (pipeline, mut run) = lower(p, warnings)?;
    let by_reference = opts.kind == ObjectKind::Template;
    let artifact = |content: String| Ok(vec![Artifact { suffix: "tekton.yaml".into(), content }]);
    let cron = p.schedule().as_ref().and_then(|s| lower_schedule(p, s, opts, warnings));
    let Some(mut cron) = cron else {
        if opts.tekton_launcher_image.is_some() {
            warnings.push(Warning::new(
                "option-unused",
                "--tekton-launcher-image only applies to a scheduled pipeline (cron or interval)",
            ));
        }
        if !by_reference {
            run.tasks = pipeline.tasks;
            return artifact(renderer.render(ENGINE, "pipelinerun.yaml.j2", &run)?);
        }
        if run.pod_template.is_some() || !run.task_run_specs.is_empty() || run.service_account_name.is_some() {
            warnings.push(Warning::new(
                "tekton-run-settings",
                "--kind pipeline emits no PipelineRun: service account and pod settings (node selectors, tolerations, affinity, image pull secrets) live on the PipelineRun and are not in the output",
            ));
        }
        return artifact(renderer.render(ENGINE, "pipeline.yaml.j2", &pipeline)?);
    };
    let mut content = String::new();
    if by_reference {
        content.push_str(&renderer.render(ENGINE, "pipeline.yaml.j2", &pipeline)?);
        content.push_str("---\n");
        run.pipeline_ref = Some(pipeline.name);
    } else {
        run.tasks = pipeline.tasks;
    }
    cron.header = super::header(p);
    run.labels.insert(SCHEDULE_LABEL.into(), cron.name.clone());
    let manifest = renderer.render(ENGINE, "pipelinerun.yaml.j2", &run)?;
    if manifest.len() + LAUNCHER_SCRIPT.len() > CONFIGMAP_MAX_BYTES {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: DISPLAY,
            what: format!(
                "a schedule for a pipeline this large: its PipelineRun manifest ({} KiB) does not fit the 1 MiB of the ConfigMap the CronJob reads it from",
                manifest.len() / 1024
            ),
            help: "compile with `--kind pipeline`: the Pipeline becomes its own object and the scheduled PipelineRun only names it".into(),
        }));
    }
    cron.data.insert(MANIFEST_KEY, manifest);
    cron.data.insert(LAUNCHER_KEY, LAUNCHER_SCRIPT.to_string());
    content.push_str(&renderer.render(ENGINE, "schedule.yaml.j2", &cron)?);
    artifact(content)
}

/// IR → `PipelineContext` + `RunContext`.
///
/// | IR                        | Tekton                                                     |
/// |---------------------------|------------------------------------------------------------|
/// | step                      | pipeline task with inline `taskSpec`, one step `main`      |
/// | step.upstream             | `runAfter`                                                 |
/// | step.env (RunId)          | task param `zenml-run-id: $(context.pipelineRun.uid)` → env `$(params.zenml-run-id)` |
/// | step.resources            | step `computeResources`                                    |
/// | step.retry                | task `retries` (delay/backoff lost: `tekton-retry-backoff`) |
/// | step.timeout_seconds      | task `timeout`; run `timeouts.pipeline: 0s`                |
/// | pod.labels/annotations    | `taskSpec.metadata`                                        |
/// | pod.volumes/volume_mounts | `taskSpec.volumes`, step `volumeMounts`                    |
/// | pod.security_context      | step `securityContext`                                     |
/// | pod.node_selector/...     | PipelineRun `taskRunTemplate.podTemplate` or `taskRunSpecs[].podTemplate` |
/// | pod.service_account       | `taskRunTemplate.serviceAccountName` or `taskRunSpecs[]`   |
/// | pod.host_ipc, grace period| lost: `tekton-pod-field`                                   |
/// | failure_mode              | Tekton stops scheduling after a failure: `tekton-failure-mode` |
/// | parallelism, ttl          | lost: `tekton-parallelism`, `tekton-ttl`                   |
fn lower(p: &Pipeline, warnings: &mut Vec<Warning>) -> Result<(PipelineContext, RunContext)> {
    let originals: Vec<&str> = p.steps().iter().map(|s| s.name()).collect();
    let task_names = names::assign(&originals, &TASK_RULE, &[], DISPLAY)?;
    let by_step: BTreeMap<&str, &str> = originals.iter().copied().zip(task_names.iter().map(String::as_str)).collect();

    failure_mode_warning(p, warnings);
    if p.parallelism().is_some() {
        warnings.push(Warning::new(
            "tekton-parallelism",
            "Tekton has no per-run limit on parallel tasks: `parallelism` is not carried (a ResourceQuota on the namespace can cap pods)",
        ));
    }
    if p.ttl_seconds_after_finished().is_some() {
        warnings.push(Warning::new(
            "tekton-ttl",
            "Tekton has no per-run TTL: finished PipelineRuns are kept until pruned (tektoncd pruner or `tkn pipelinerun delete --keep`)",
        ));
    }
    if p.steps().iter().any(|s| s.retry().is_some_and(|r| r.delay_seconds() > 0 || r.backoff_factor() > 1)) {
        warnings.push(Warning::new(
            "tekton-retry-backoff",
            "Tekton retries a task at once: the retry delay and backoff factor are not carried, only the number of retries",
        ));
    }

    let mut tasks = Vec::with_capacity(p.steps().len());
    let mut pods = Vec::with_capacity(p.steps().len());
    for (s, name) in p.steps().iter().zip(&task_names) {
        let run_after = s.upstream().iter().map(|u| by_step[u.as_str()].to_string()).collect();
        tasks.push(lower_task(p, s, name, run_after)?);
        pods.push(pod_template(s, warnings));
    }

    // Pod settings and service accounts every step shares go to `taskRunTemplate`, the rest
    // to per-task `taskRunSpecs` (Tekton merges the two, per-task winning).
    let accounts: Vec<Option<String>> =
        p.steps().iter().map(|s| s.pod().service_account().or(p.service_account()).map(String::from)).collect();
    let shared_account = accounts.iter().all(|a| *a == accounts[0]);
    let shared_pod = pods.iter().all(|t| *t == pods[0]);
    let mut task_run_specs = Vec::new();
    for ((name, account), pod) in task_names.iter().zip(&accounts).zip(&pods) {
        let account = if shared_account { None } else { account.clone() };
        let pod = if shared_pod || pod.is_empty() { None } else { Some(pod.clone()) };
        if account.is_some() || pod.is_some() {
            task_run_specs.push(TaskRunSpec {
                pipeline_task_name: name.clone(),
                service_account_name: account,
                pod_template: pod,
            });
        }
    }
    let name = names::sanitize(p.name(), &NameRule::dns_label(63));
    let run = RunContext {
        header: super::header(p),
        generate_name: format!("{}-", names::sanitize(p.name(), &NameRule::dns_label(RUN_PREFIX_MAX))),
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: k8s::pipeline_annotations(p),
        pipeline_ref: None,
        tasks: Vec::new(),
        pipeline_timeout: "0s",
        service_account_name: if shared_account { accounts[0].clone() } else { p.service_account().map(String::from) },
        pod_template: (shared_pod && !pods[0].is_empty()).then(|| pods[0].clone()),
        task_run_specs,
    };
    let pipeline = PipelineContext {
        header: super::header(p),
        name,
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: k8s::pipeline_annotations(p),
        tasks,
    };
    Ok((pipeline, run))
}

/// Tekton has one failure behaviour: after a task fails no new task starts, running ones finish
/// (= `stop_on_failure`). The other modes differ from it only for steps that do not depend on
/// the failed one, so only a pipeline with two unordered steps can tell.
fn failure_mode_warning(p: &Pipeline, warnings: &mut Vec<Warning>) {
    let Some((a, b)) = p.unordered_pair() else { return };
    let what = match p.failure_mode() {
        FailureMode::StopOnFailure => return,
        FailureMode::ContinueOnFailure => {
            "continue_on_failure: Tekton starts no new task after a failure, so independent branches stop too"
        }
        FailureMode::FailFast => "fail_fast: Tekton starts no new task after a failure but lets running tasks finish",
    };
    warnings.push(Warning::new(
        "tekton-failure-mode",
        format!("execution mode {what} (steps `{}` and `{}` are independent)", a.name(), b.name()),
    ));
}

fn lower_task(p: &Pipeline, s: &Step, name: &str, run_after: Vec<String>) -> Result<TaskContext> {
    let text = TektonText;
    if s.env().iter().any(|e| e.name() == DOLLAR_VAR) {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: DISPLAY,
            what: format!("an environment variable named `{DOLLAR_VAR}` in step `{}`", s.name()),
            help: format!("zenc reserves `{DOLLAR_VAR}` to carry `$` past Tekton's substitution; rename the variable"),
        })
        .at(s.path().to_string()));
    }
    let mut env = k8s::env_entries(s, &text);
    let command: Vec<String> = s.command().iter().map(|c| text.literal(c)).collect();
    let args: Vec<String> = s.args().iter().map(|a| text.literal(a)).collect();
    let needs_dollar =
        command.iter().chain(&args).chain(env.iter().filter_map(|e| e.value.as_ref())).any(|v| v.contains(DOLLAR_VAR));
    if needs_dollar {
        // First, so that every later env value and the command line can refer to it.
        env.insert(0, EnvEntry { name: DOLLAR_VAR.into(), value: Some("$".into()), value_from: None });
    }
    let mut annotations = s.pod().annotations().clone();
    annotations.insert(k8s::STEP_NAME_ANNOTATION.into(), s.name().to_string());
    let task = TaskContext {
        name: name.to_string(),
        run_after,
        retries: s.retry().map(|r| r.limit()),
        timeout: s.timeout_seconds().map(go_duration),
        params: vec![ParamValue { name: RUN_ID_PARAM, value: RUN_ID }],
        param_specs: vec![ParamSpec { name: RUN_ID_PARAM, kind: "string" }],
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
    reject_references(s, &task)?;
    Ok(task)
}

/// Tekton replaces `$(params.…)`, `$(context.…)`, … in every taskSpec field and has no escape.
/// Env values, command and args are escaped above; anywhere else such a reference is refused.
fn reject_references(s: &Step, t: &TaskContext) -> Result<()> {
    let native: Vec<&str> = s
        .env()
        .iter()
        .filter_map(|e| match e.value() {
            crate::ir::EnvValue::Kubernetes(v) => Some(v.as_str()),
            _ => None,
        })
        .collect();
    let verbatim = serde_json::json!({
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
    let mut found = Vec::new();
    k8s::strings_in(&verbatim, String::new(), &mut found);
    if let Some((at, r)) = found.iter().find_map(|(at, v)| tekton_reference(v).map(|r| (at, r))) {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: DISPLAY,
            what: format!("`{r}` in `{}` of step `{}`", at.trim_start_matches('.'), s.name()),
            help: "Tekton replaces `$(params.…)`, `$(context.…)`, `$(tasks.…)`, … in that field and has no escape for it; only ZenML environment values, command and arguments can carry it".into(),
        }).at(s.path().to_string()));
    }
    Ok(())
}

/// The run-level pod settings of a step; what `pod.Template` cannot hold is a warning.
fn pod_template(s: &Step, warnings: &mut Vec<Warning>) -> PodTemplate {
    let mut lost = Vec::new();
    if s.pod().host_ipc() {
        lost.push("host_ipc".to_string());
    }
    if s.pod().termination_grace_period_seconds().is_some() {
        lost.push("pod_stop_grace_period (terminationGracePeriodSeconds)".to_string());
    }
    let mut extra = BTreeMap::new();
    for (k, v) in s.pod().extra_pod_spec() {
        if POD_TEMPLATE_KEYS.contains(&k.as_str()) {
            extra.insert(k.clone(), v.clone());
        } else {
            lost.push(format!("additional_pod_spec_args.{k}"));
        }
    }
    if !lost.is_empty() {
        warnings.push(Warning::new(
            "tekton-pod-field",
            format!("step `{}`: Tekton's pod template has no field for {}; not carried", s.name(), lost.join(", ")),
        ));
    }
    PodTemplate {
        node_selector: s.pod().node_selector().clone(),
        tolerations: s.pod().tolerations().to_vec(),
        affinity: s.pod().affinity().cloned(),
        image_pull_secrets: s.pod().image_pull_secrets().iter().map(|n| NameRef { name: n.clone() }).collect(),
        scheduler_name: s.pod().scheduler_name().map(String::from),
        extra,
    }
}

/// Schedule → CronJob fields; `None` (plus a warning) for a run-once schedule.
fn lower_schedule(
    p: &Pipeline,
    s: &Schedule,
    opts: &EngineOptions,
    warnings: &mut Vec<Warning>,
) -> Option<CronContext> {
    let mut time_zone = s.timezone().map(String::from);
    let schedule = match &s.trigger() {
        Trigger::Cron(c) => c.as_str().to_string(),
        Trigger::Interval { seconds } => {
            // Interval arithmetic is in UTC, whatever zone a cron would be read in.
            time_zone = Some("Etc/UTC".into());
            match interval_cron(*seconds, s.start().as_ref()) {
                Some(cron) => cron,
                None => {
                    warnings.push(Warning::new(
                        "tekton-interval",
                        format!(
                            "an interval of {} is not a whole number of minutes or hours dividing a day (or 1 day / 1 week): emitted `@every {0}`, counted from when the CronJob controller last scheduled it, not from the start time",
                            go_duration(*seconds)
                        ),
                    ));
                    format!("@every {}", go_duration(*seconds))
                }
            }
        }
        Trigger::Once { at } => {
            let what = match opts.kind {
                ObjectKind::Run => "emitted the PipelineRun; `kubectl create` it",
                ObjectKind::Template => "emitted the Pipeline; start it (`tkn pipeline start`)",
            };
            warnings.push(Warning::new(
                "tekton-run-once",
                format!("Tekton and Kubernetes CronJobs have no one-off schedule: {what} at {}", at.to_rfc3339()),
            ));
            return None;
        }
    };
    if s.start().is_some() || s.end().is_some() {
        warnings.push(Warning::new(
            "tekton-schedule-window",
            "Kubernetes CronJobs have no start/end time: the schedule runs from when it is applied until it is deleted or suspended",
        ));
    }
    if s.catchup() {
        warnings.push(Warning::new(
            "tekton-catchup",
            "Kubernetes CronJobs do not catch up missed runs (startingDeadlineSeconds starts at most one late run)",
        ));
    }
    let name = names::sanitize(p.name(), &CRON_RULE);
    // The script lists this schedule's PipelineRuns and creates one; it cancels running ones
    // only for Replace (`kubectl patch` reads the object first: get + patch), and deletes old
    // ones only when a history limit is set. Checked against the requests kubectl sends.
    let mut verbs = vec!["create", "list"];
    if s.concurrency() == Some(Concurrency::Replace) {
        verbs.extend(["get", "patch"]);
    }
    if s.successful_history_limit().is_some() || s.failed_history_limit().is_some() {
        verbs.push("delete");
    }
    let var = |name: &str, value: String| EnvEntry { name: name.into(), value: Some(value), value_from: None };
    let mut env = vec![
        var("ZENC_SCHEDULE", name.clone()),
        var("ZENC_CONCURRENCY_POLICY", s.concurrency().unwrap_or(Concurrency::Allow).as_str().into()),
        // kubectl caches API discovery under $HOME; the root filesystem is read-only.
        var("HOME", "/tmp".into()),
    ];
    // Unset rather than empty: Kubernetes drops an empty `value`, and `kubectl apply` would
    // then see a change on every run.
    for (key, limit) in
        [("ZENC_KEEP_SUCCEEDED", s.successful_history_limit()), ("ZENC_KEEP_FAILED", s.failed_history_limit())]
    {
        env.extend(limit.map(|n| var(key, n.to_string())));
    }
    Some(CronContext {
        header: Vec::new(),
        name,
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: k8s::pipeline_annotations(p),
        schedule,
        time_zone,
        concurrency_policy: s.concurrency().map(|c| c.as_str()),
        starting_deadline_seconds: s.starting_deadline_seconds(),
        successful_jobs_history_limit: s.successful_history_limit(),
        failed_jobs_history_limit: s.failed_history_limit(),
        suspend: !s.active(),
        verbs,
        image: opts.tekton_launcher_image.clone().unwrap_or_else(|| KUBECTL_IMAGE.to_string()),
        command: vec![
            "/bin/sh".into(),
            format!("{MANIFEST_DIR}/{LAUNCHER_KEY}"),
            format!("{MANIFEST_DIR}/{MANIFEST_KEY}"),
        ],
        env,
        mount_path: MANIFEST_DIR,
        data: BTreeMap::new(),
    })
}

/// A five-field cron with the same ticks as "every `seconds`, anchored at `start`" when the
/// interval divides an hour or a day evenly, or is one day or one week; else `None`.
pub fn interval_cron(seconds: u64, start: Option<&UtcDateTime>) -> Option<String> {
    if seconds == 0 || seconds % 60 != 0 {
        return None;
    }
    let minutes = seconds / 60;
    let (sm, sh) = start.map_or((0, 0), |t| (u64::from(t.minute), u64::from(t.hour)));
    let stepped = |offset: u64, step: u64, max: u64| {
        if step == 1 {
            "*".to_string()
        } else if offset == 0 {
            format!("*/{step}")
        } else {
            format!("{offset}-{max}/{step}")
        }
    };
    if minutes < 60 && 60 % minutes == 0 {
        return Some(format!("{} * * * *", stepped(sm % minutes, minutes, 59)));
    }
    if minutes % 60 != 0 {
        return None;
    }
    let hours = minutes / 60;
    if hours < 24 && 24 % hours == 0 {
        return Some(format!("{sm} {} * * *", stepped(sh % hours, hours, 23)));
    }
    if hours == 24 {
        return Some(format!("{sm} {sh} * * *"));
    }
    if hours == 24 * 7 {
        let dow = start.map_or(0, |t| (t.epoch_seconds().div_euclid(86_400) + 4).rem_euclid(7));
        return Some(format!("{sm} {sh} * * {dow}"));
    }
    None
}

/// Read the output back: one pipeline task per step with its image, command, args and the run
/// id in the flavor's variable, fed by a task param that Tekton fills from the PipelineRun uid.
pub fn check(p: &Pipeline, artifacts: &[Artifact]) -> Result<()> {
    use crate::validate::{bug, yaml_documents};
    let docs = yaml_documents(&artifacts.first().ok_or_else(|| bug("no output".into()))?.content)?;
    let pipeline = docs.iter().find(|d| d["kind"] == "Pipeline");
    // The run: a document of its own, or the manifest the schedule's ConfigMap holds.
    let run = match docs.iter().find(|d| d["kind"] == "PipelineRun") {
        Some(run) => Some(run.clone()),
        None => match docs.iter().find(|d| d["kind"] == "ConfigMap") {
            Some(cm) => {
                let text = cm["data"][MANIFEST_KEY].as_str().ok_or_else(|| bug("ConfigMap without manifest".into()))?;
                yaml_documents(text)?.into_iter().next()
            }
            None => None,
        },
    };
    // A run is self-contained (the tasks inline, no Pipeline beside it) or names the Pipeline
    // of the same file.
    let spec = match (pipeline, &run) {
        (Some(pipeline), run) => {
            let name = pipeline["metadata"]["name"].as_str();
            if run.as_ref().is_some_and(|r| r["spec"]["pipelineRef"]["name"].as_str() != name) {
                return Err(bug("the PipelineRun does not reference the Pipeline".into()));
            }
            &pipeline["spec"]
        }
        (None, Some(run)) if run["spec"].get("pipelineRef").is_none() => &run["spec"]["pipelineSpec"],
        (None, _) => return Err(bug("neither a Pipeline nor a self-contained PipelineRun".into())),
    };
    let tasks = spec["tasks"].as_array().ok_or_else(|| bug("no tasks".into()))?;
    if tasks.len() != p.steps().len() {
        return Err(bug(format!("{} tasks for {} steps", tasks.len(), p.steps().len())));
    }
    let graph: Vec<(String, Vec<String>)> = tasks
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or_default().to_string(), crate::validate::strings(&t["runAfter"])))
        .collect();
    crate::validate::check_graph(p, &graph)?;
    let strings =
        |v: &Value| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>());
    let text = TektonText;
    for (step, t) in p.steps().iter().zip(tasks) {
        crate::validate::check_pod_labels(p, step, &t["taskSpec"]["metadata"]["labels"])?;
        let steps =
            t["taskSpec"]["steps"].as_array().ok_or_else(|| bug(format!("step `{}`: no taskSpec", step.name())))?;
        let [c] = steps.as_slice() else {
            return Err(bug(format!("step `{}`: {} steps in its taskSpec", step.name(), steps.len())));
        };
        if c["image"].as_str() != Some(step.image()) {
            return Err(bug(format!("step `{}`: image {} != {}", step.name(), c["image"], step.image())));
        }
        let param = t["params"].as_array().and_then(|ps| ps.iter().find(|x| x["name"] == RUN_ID_PARAM));
        if param.and_then(|x| x["value"].as_str()) != Some(RUN_ID) {
            return Err(bug(format!("step `{}`: no {RUN_ID_PARAM} param with the PipelineRun uid", step.name())));
        }
        let env = c["env"].as_array().ok_or_else(|| bug(format!("step `{}` has no env", step.name())))?;
        let run_id = env.iter().find(|e| e["name"].as_str() == Some(p.run_id_env()));
        if run_id.and_then(|e| e["value"].as_str()) != Some(RUN_ID_REF) {
            return Err(bug(format!("step `{}`: {} is not the run-id param", step.name(), p.run_id_env())));
        }
        let want_args: Vec<String> = step.args().iter().map(|a| text.literal(a)).collect();
        let want_cmd: Vec<String> = step.command().iter().map(|a| text.literal(a)).collect();
        if strings(&c["args"]) != Some(want_args) || strings(&c["command"]) != Some(want_cmd) {
            return Err(bug(format!("step `{}`: command/args differ", step.name())));
        }
        let resources = serde_json::to_value(k8s::resources(step.resources())).expect("serializable");
        if c["computeResources"] != resources {
            return Err(bug(format!(
                "step `{}`: computeResources {} != {resources}",
                step.name(),
                c["computeResources"]
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tekton's replacement: every known `$(key)` is replaced, one pass, like strings.Replacer.
    fn tekton_replace(s: &str, known: &[(&str, &str)]) -> String {
        let mut out = String::new();
        let mut i = 0;
        'outer: while i < s.len() {
            for (k, v) in known {
                let pat = format!("$({k})");
                if s[i..].starts_with(&pat) {
                    out.push_str(v);
                    i += pat.len();
                    continue 'outer;
                }
            }
            let c = s[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
        out
    }

    #[test]
    fn escaped_literals_survive_tekton_then_kubernetes() {
        let known = [("params.x", "P"), ("context.pipelineRun.uid", "U"), ("params.zenml-run-id", "R")];
        let env = [(DOLLAR_VAR, "$"), ("HOME", "/root"), ("X", "x")];
        for s in [
            "$(params.x)",
            "$$(params.x)",
            "$(context.pipelineRun.uid)",
            "$(HOME) $$(HOME) $HOME $$ $",
            "$",
            "$(",
            "end$",
            "$$$((",
            "€$(X)",
        ] {
            let out = escape_literal(s);
            assert_eq!(tekton_reference(&out), None, "{s} -> {out}");
            let after_tekton = tekton_replace(&out, &known);
            assert_eq!(after_tekton, out, "Tekton changed {out}");
            assert_eq!(crate::backend::k8s::kubelet_expand(&after_tekton, &env), s, "{s}");
        }
    }

    #[test]
    fn finds_tekton_references() {
        assert_eq!(tekton_reference("a $(params.x) b"), Some("$(params.x)"));
        assert_eq!(tekton_reference("$(HOME) $(context.taskRun.name)"), Some("$(context.taskRun.name)"));
        assert_eq!(tekton_reference("$(params[\"a\"])"), Some("$(params[\"a\"])"));
        assert_eq!(tekton_reference("$(HOME) $(ZENC_DOLLAR)(params.x)"), None);
        assert_eq!(tekton_reference("$(paramsx)"), None);
    }

    #[test]
    fn intervals_become_cron_when_they_tile_a_day() {
        let start = UtcDateTime::parse("2030-03-01T08:30:00+02:00");
        assert_eq!(interval_cron(6 * 3600, start.as_ref()).as_deref(), Some("30 */6 * * *"));
        let start = UtcDateTime::parse("2030-03-01T07:10:00Z");
        assert_eq!(interval_cron(6 * 3600, start.as_ref()).as_deref(), Some("10 1-23/6 * * *"));
        assert_eq!(interval_cron(15 * 60, start.as_ref()).as_deref(), Some("10-59/15 * * * *"));
        assert_eq!(interval_cron(3600, None).as_deref(), Some("0 * * * *"));
        assert_eq!(interval_cron(60, None).as_deref(), Some("* * * * *"));
        assert_eq!(interval_cron(86_400, start.as_ref()).as_deref(), Some("10 7 * * *"));
        // 2030-03-01 is a Friday.
        assert_eq!(interval_cron(7 * 86_400, start.as_ref()).as_deref(), Some("10 7 * * 5"));
        assert_eq!(interval_cron(7 * 60, None), None);
        assert_eq!(interval_cron(5 * 3600, None), None);
        assert_eq!(interval_cron(90, None), None);
    }

    #[test]
    fn task_names_leave_room_for_taskrun_names() {
        let long = "a_very_long_step_name_that_clearly_exceeds_thirty_characters";
        let out = names::assign(&[long, "b"], &TASK_RULE, &[], DISPLAY).unwrap();
        assert!(out[0].len() <= 30, "{}", out[0]);
        assert_eq!(out[1], "b");
    }
    /// `fixtures/ok/injection.yaml` through the whole compiler: every env value and the
    /// `--step_name` argument reach the container unchanged after Tekton's param and context
    /// replacement and Kubernetes' `$(VAR)` expansion (env in order, command/args with all).
    #[test]
    fn injection_corpus_reaches_the_container_unchanged() {
        use crate::ir::EnvValue;
        use clap::Parser;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ok/injection.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let cli = crate::cli::Cli::try_parse_from([
            "zenc",
            "compile",
            path,
            "--target",
            "tekton",
            "--zenml-url",
            "https://zenml.example.com",
            "--zenml-secret",
            "zenml-api-key",
        ])
        .unwrap();
        let crate::cli::Command::Compile(args) = cli.command else { unreachable!() };
        let opts = crate::cli::compile_options(&args).unwrap();
        let (ir, _) = crate::load_ir(&text, "injection.yaml", &opts.build).unwrap();
        let out = crate::compile(&text, "injection.yaml", &[crate::Engine::Tekton], &opts).unwrap();
        let docs = crate::validate::yaml_documents(&out.files[0].1.content).unwrap();
        // One self-contained PipelineRun: Tekton resolves its inline `pipelineSpec` exactly as a
        // referenced Pipeline (ApplyParameters, ApplyContexts, then into the inline taskSpecs).
        assert_eq!(docs.len(), 1);
        let tasks = docs[0]["spec"]["pipelineSpec"]["tasks"].as_array().unwrap();
        let uid = "0b2c1e7e-run-uid";
        for (step, task) in ir.steps().iter().zip(tasks) {
            // Tekton: pipeline-task params get the pipeline context, then the taskSpec gets
            // the params (one strings.Replacer pass each).
            let mut known: Vec<(String, String)> = Vec::new();
            for p in task["params"].as_array().unwrap() {
                let v = tekton_replace(p["value"].as_str().unwrap(), &[("context.pipelineRun.uid", uid)]);
                known.push((format!("params.{}", p["name"].as_str().unwrap()), v));
            }
            known.push(("context.pipelineRun.uid".into(), uid.into()));
            let known: Vec<(&str, &str)> = known.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let c = &task["taskSpec"]["steps"][0];
            // Kubernetes: each env value sees the entries before it.
            let mut env: Vec<(String, String)> = Vec::new();
            for e in c["env"].as_array().unwrap() {
                let Some(v) = e["value"].as_str() else { continue };
                let visible: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let v = crate::backend::k8s::kubelet_expand(&tekton_replace(v, &known), &visible);
                env.push((e["name"].as_str().unwrap().to_string(), v));
            }
            for var in step.env() {
                let got = env.iter().find(|(k, _)| *k == var.name()).map(|(_, v)| v.as_str());
                match var.value() {
                    EnvValue::Literal(want) => assert_eq!(got, Some(want.as_str()), "{}", var.name()),
                    EnvValue::RunId => assert_eq!(got, Some(uid), "{}", var.name()),
                    _ => {}
                }
            }
            let visible: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let args: Vec<String> = c["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| crate::backend::k8s::kubelet_expand(&tekton_replace(a.as_str().unwrap(), &known), &visible))
                .collect();
            assert_eq!(args, step.args(), "step {}", step.name());
            let at = args.iter().position(|a| a == "--step_name").unwrap();
            assert_eq!(args[at + 1], step.name());
        }
    }

    /// The Tekton output for `text` (a zenc YAML pipeline) with `kind` and an optional
    /// launcher image, as parsed documents.
    fn tekton_docs(text: &str, kind: ObjectKind, launcher: Option<&str>) -> (Vec<Value>, Vec<Warning>) {
        let opts = crate::Options {
            engine: EngineOptions {
                kind,
                tekton_launcher_image: launcher.map(String::from),
                ..EngineOptions::default()
            },
            ..crate::Options::default()
        };
        let out = crate::compile(text, "p.yaml", &[crate::Engine::Tekton], &opts).unwrap();
        (crate::validate::yaml_documents(&out.files[0].1.content).unwrap(), out.warnings)
    }

    const CHAIN: &str = "name: nightly\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
                         image: registry.example.com/app:1.0\nservice_account: runner\n\
                         steps: [{name: a}, {name: b, upstream: [a]}]\n";

    fn scheduled(schedule: &str) -> String {
        format!("{CHAIN}schedule: {schedule}\n")
    }

    fn kinds(docs: &[Value]) -> Vec<&str> {
        docs.iter().map(|d| d["kind"].as_str().unwrap()).collect()
    }

    /// The PipelineRun the schedule's ConfigMap holds.
    fn scheduled_run(docs: &[Value]) -> Value {
        let cm = docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap();
        crate::validate::yaml_documents(cm["data"][MANIFEST_KEY].as_str().unwrap()).unwrap().remove(0)
    }

    fn cron_pod(docs: &[Value]) -> &Value {
        &docs.iter().find(|d| d["kind"] == "CronJob").unwrap()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    }

    /// `kubectl create -f` of the default output must work any number of times and always run
    /// this pipeline: one PipelineRun with `generateName` and the tasks inline, no Pipeline.
    #[test]
    fn a_run_is_one_self_contained_pipelinerun() {
        let (docs, _) = tekton_docs(CHAIN, ObjectKind::Run, None);
        assert_eq!(kinds(&docs), ["PipelineRun"]);
        let run = &docs[0];
        assert_eq!(run["metadata"]["generateName"], "nightly-");
        assert!(run["metadata"].get("name").is_none());
        assert!(run["spec"].get("pipelineRef").is_none());
        assert_eq!(run["spec"]["pipelineSpec"]["tasks"].as_array().unwrap().len(), 2);
        assert_eq!(run["spec"]["taskRunTemplate"]["serviceAccountName"], "runner");

        let (docs, _) = tekton_docs(CHAIN, ObjectKind::Template, None);
        assert_eq!(kinds(&docs), ["Pipeline"]);
        assert_eq!(docs[0]["metadata"]["name"], "nightly");
    }

    /// Scheduled: the CronJob's PipelineRun is self-contained too; with `--kind pipeline` it
    /// names the Pipeline emitted beside it (updated by `kubectl apply`).
    #[test]
    fn a_scheduled_run_is_self_contained_unless_the_pipeline_kind_is_asked_for() {
        let text = scheduled("{cron: \"0 3 * * *\"}");
        let (docs, warnings) = tekton_docs(&text, ObjectKind::Run, None);
        assert_eq!(kinds(&docs), ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "CronJob"]);
        let run = scheduled_run(&docs);
        assert!(run["spec"].get("pipelineRef").is_none());
        assert_eq!(run["spec"]["pipelineSpec"]["tasks"].as_array().unwrap().len(), 2);
        assert_eq!(run["metadata"]["labels"][SCHEDULE_LABEL], "nightly");
        assert!(warnings.iter().all(|w| !w.code.starts_with("tekton-")), "{warnings:?}");

        // Nothing dropped: neither the schedule nor the run settings (service account).
        let (docs, warnings) = tekton_docs(&text, ObjectKind::Template, None);
        assert!(warnings.iter().all(|w| !w.code.starts_with("tekton-")), "{warnings:?}");
        assert_eq!(kinds(&docs), ["Pipeline", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "CronJob"]);
        let run = scheduled_run(&docs);
        assert_eq!(run["spec"]["pipelineRef"]["name"], "nightly");
        assert!(run["spec"].get("pipelineSpec").is_none());
        assert_eq!(run["spec"]["taskRunTemplate"]["serviceAccountName"], "runner");
    }

    /// Pod Security "restricted": pod and container security context of the launcher.
    #[test]
    fn the_launcher_pod_meets_pod_security_restricted() {
        let (docs, _) = tekton_docs(&scheduled("{cron: \"0 3 * * *\"}"), ObjectKind::Run, None);
        let pod = cron_pod(&docs);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_ne!(pod["securityContext"]["runAsUser"], 0);
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
        let [c] = pod["containers"].as_array().unwrap().as_slice() else { panic!("one container") };
        assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
        assert_eq!(c["securityContext"]["capabilities"]["drop"], serde_json::json!(["ALL"]));
        assert_eq!(c["image"], KUBECTL_IMAGE);

        let (docs, warnings) = tekton_docs(&scheduled("{cron: \"0 3 * * *\"}"), ObjectKind::Run, Some("r.example/k:1"));
        assert_eq!(cron_pod(&docs)["containers"][0]["image"], "r.example/k:1");
        assert!(warnings.iter().all(|w| w.code != "option-unused"));
        let (_, warnings) = tekton_docs(CHAIN, ObjectKind::Run, Some("r.example/k:1"));
        assert!(warnings.iter().any(|w| w.code == "option-unused"), "no schedule: the image is unused");
    }

    /// The Role grants what the launcher script does for these settings, nothing more.
    #[test]
    fn the_launcher_image_option_takes_an_image_reference() {
        use clap::Parser;
        let parse = |image: &str| {
            crate::cli::Cli::try_parse_from([
                "zenc",
                "compile",
                "p.yaml",
                "-t",
                "tekton",
                "--tekton-launcher-image",
                image,
            ])
        };
        assert!(parse("registry.example.com/tools/kubectl:1.34").is_ok());
        for bad in ["", "kubectl latest", "a\nb"] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn role_verbs_follow_the_launcher_script() {
        let verbs = |schedule: &str| {
            let (docs, _) = tekton_docs(&scheduled(schedule), ObjectKind::Run, None);
            let role = docs.iter().find(|d| d["kind"] == "Role").unwrap();
            crate::validate::strings(&role["rules"][0]["verbs"])
        };
        assert_eq!(verbs("{cron: \"0 3 * * *\"}"), ["create", "list"]);
        assert_eq!(verbs("{cron: \"0 3 * * *\", concurrency_policy: Forbid}"), ["create", "list"]);
        assert_eq!(verbs("{cron: \"0 3 * * *\", concurrency_policy: Replace}"), ["create", "list", "get", "patch"]);
        assert_eq!(verbs("{cron: \"0 3 * * *\", failed_history_limit: 2}"), ["create", "list", "delete"]);
    }

    /// A PipelineRun manifest over the 1 MiB a ConfigMap holds is an error that names the way out.
    #[test]
    fn a_schedule_too_large_for_its_configmap_is_refused() {
        let mut text = String::from(
            "name: big\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
             image: registry.example.com/app:1.0\nschedule: {cron: \"0 3 * * *\"}\nsteps:\n",
        );
        for i in 0..1_200 {
            text.push_str(&format!("  - name: step_{i}\n"));
        }
        let opts = crate::Options::default();
        let Err(err) = crate::compile(&text, "big.yaml", &[crate::Engine::Tekton], &opts) else {
            panic!("not refused")
        };
        assert!(err.to_string().contains("--kind pipeline"), "{err}");
        let opts = crate::Options {
            engine: EngineOptions { kind: ObjectKind::Template, ..EngineOptions::default() },
            ..crate::Options::default()
        };
        assert!(
            crate::compile(&text, "big.yaml", &[crate::Engine::Tekton], &opts).is_ok(),
            "the Pipeline is its own object"
        );
    }

    /// Runs the launcher script with a fake `kubectl` that lists `runs` ("name status" lines)
    /// and records every other call; returns the calls.
    fn launch(policy: &str, keep_succeeded: &str, keep_failed: &str, runs: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("calls");
        let fake = dir.path().join("kubectl");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nif [ \"$1\" = get ]; then printf '%s' \"$FAKE_RUNS\"; else echo \"$*\" >> '{}'; fi\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let script = dir.path().join(LAUNCHER_KEY);
        std::fs::write(&script, LAUNCHER_SCRIPT).unwrap();
        let status = std::process::Command::new("/bin/sh")
            .arg(&script)
            .arg("/m/pipelinerun.yaml")
            .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
            .env("ZENC_SCHEDULE", "nightly")
            .env("ZENC_CONCURRENCY_POLICY", policy)
            .env("ZENC_KEEP_SUCCEEDED", keep_succeeded)
            .env("ZENC_KEEP_FAILED", keep_failed)
            .env("FAKE_RUNS", runs)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read_to_string(&log).unwrap_or_default().lines().map(String::from).collect()
    }

    #[test]
    fn the_launcher_applies_concurrency_and_history_to_pipelineruns() {
        let create = "create -f /m/pipelinerun.yaml";
        // Oldest first: `r1` succeeded, `r2` failed, `r3` succeeded, `r4` running, `r5` not
        // yet reconciled (no status), `r6` failed.
        let runs = "r1 True\nr2 False\nr3 True\nr4 Unknown\nr5 \nr6 False\n";
        assert_eq!(launch("Allow", "", "", runs), [create]);
        assert_eq!(launch("Allow", "", "", ""), [create]);
        assert!(launch("Forbid", "", "", runs).is_empty(), "r4 and r5 still run");
        assert_eq!(launch("Forbid", "", "", "r1 True\nr2 False\n"), [create]);
        assert_eq!(
            launch("Replace", "", "", runs),
            [
                r#"patch pipelinerun r4 --type merge -p {"spec":{"status":"Cancelled"}}"#,
                r#"patch pipelinerun r5 --type merge -p {"spec":{"status":"Cancelled"}}"#,
                create
            ]
        );
        assert_eq!(
            launch("Allow", "1", "0", runs),
            ["delete pipelineruns r1 --wait=false", "delete pipelineruns r2 r6 --wait=false", create]
        );
        assert_eq!(launch("Allow", "2", "5", runs), [create], "within the limits");
    }
}
