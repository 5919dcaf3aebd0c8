//! Lowering of the IR to Argo Workflows (`argoproj.io/v1alpha1`, Argo 3.6+ and 4.x).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::k8s::{self, protect_braces, EnvEntry, EnvText, ResourceRequirements, LBRACE_VAR};
use super::names::{self, NameRule};
use super::{Artifact, EngineOptions, ObjectKind};
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::schedule::go_duration;
use crate::ir::{FailureMode, Pipeline, Step, Trigger};
use crate::render::Renderer;

const ENGINE: &str = "argo";
/// Name of the DAG template; reserved so no step template can take it.
const DAG_TEMPLATE: &str = "pipeline";
pub const RUN_ID: &str = "{{workflow.uid}}";

/// Task and template names: DNS labels that start with a letter (Argo rejects DAG task names
/// starting with a digit when dependencies are used; validate.go).
const STEP_RULE: NameRule = NameRule { start_letter: true, ..NameRule::dns_label(63) };

/// Input of `templates/argo/workflow.yaml.j2`.
#[derive(Debug, Serialize)]
pub struct WorkflowContext {
    /// Header comment lines (`backend::header`).
    pub header: Vec<String>,
    /// `Workflow` or `WorkflowTemplate`.
    pub kind: &'static str,
    /// Fixed name (WorkflowTemplate), or `None`.
    pub name: Option<String>,
    /// `generateName` (Workflow), or `None`.
    pub generate_name: Option<String>,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Workflow-level default service account.
    pub service_account_name: Option<String>,
    /// Most steps running at once.
    pub parallelism: Option<u32>,
    /// Union of the steps' image pull secrets (Argo sets them per workflow only).
    pub image_pull_secrets: Vec<NameRef>,
    /// Seconds a finished workflow is kept.
    pub ttl_seconds_after_completion: Option<u64>,
    pub dag: DagTemplate,
    /// One container template per step, in DAG order.
    pub steps: Vec<StepTemplate>,
}

/// `{name: ...}` object reference.
#[derive(Debug, Serialize)]
pub struct NameRef {
    pub name: String,
}

/// The entrypoint DAG template.
#[derive(Debug, Serialize)]
pub struct DagTemplate {
    pub name: &'static str,
    /// Argo's `failFast`: stop scheduling after the first failure.
    pub fail_fast: bool,
    pub tasks: Vec<DagTask>,
}

#[derive(Debug, Serialize)]
pub struct DagTask {
    pub name: String,
    pub template: String,
    /// Task names that must succeed first.
    pub dependencies: Vec<String>,
}

/// A container template for one step.
#[derive(Debug, Serialize)]
pub struct StepTemplate {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvEntry>,
    pub env_from: Vec<Value>,
    pub resources: Option<ResourceRequirements>,
    pub volume_mounts: Vec<Value>,
    /// Container security context.
    pub security_context: Option<Value>,
    pub node_selector: BTreeMap<String, String>,
    pub affinity: Option<Value>,
    pub tolerations: Vec<Value>,
    pub volumes: Vec<Value>,
    pub service_account_name: Option<String>,
    pub scheduler_name: Option<String>,
    pub priority_class_name: Option<String>,
    /// JSON merged into the pod spec for fields a template has no slot for (`hostIPC`, ...).
    pub pod_spec_patch: Option<String>,
    pub retry_strategy: Option<RetryStrategy>,
    /// Step deadline in seconds.
    pub active_deadline_seconds: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct RetryStrategy {
    /// Retries after the first attempt.
    pub limit: u32,
    /// `Always`: like ZenML's Job, retry failed containers and pod errors (evictions).
    pub retry_policy: &'static str,
    pub backoff: Option<Backoff>,
}

#[derive(Debug, Serialize)]
pub struct Backoff {
    /// First delay, Go duration (`10s`).
    pub duration: String,
    /// Multiplier per retry, when above 1.
    pub factor: Option<u64>,
}

/// Input of `templates/argo/cron-workflow.yaml.j2`.
#[derive(Debug, Serialize)]
pub struct CronContext {
    pub header: Vec<String>,
    /// CronWorkflow name (≤52 characters: Argo appends a timestamp for each run).
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The WorkflowTemplate each run instantiates.
    pub template_name: String,
    /// Cron expressions (`@every 6h` for intervals).
    pub schedules: Vec<String>,
    pub timezone: Option<String>,
    pub concurrency_policy: Option<&'static str>,
    pub starting_deadline_seconds: Option<u64>,
    pub successful_jobs_history_limit: Option<u32>,
    pub failed_jobs_history_limit: Option<u32>,
    /// Created suspended (ZenML schedule inactive).
    pub suspend: bool,
}

/// Escaping for Argo containers: `$` for Kubernetes, `{{` through `ZENC_LBRACE`.
struct ArgoText;

impl EnvText for ArgoText {
    fn literal(&self, s: &str) -> String {
        protect_braces(&k8s::escape_dollars(s))
    }
    fn native(&self, s: &str) -> String {
        protect_braces(s)
    }
    fn run_id(&self) -> String {
        RUN_ID.to_string()
    }
}

/// Compile `p` into Argo YAML.
pub fn compile(
    p: &Pipeline,
    opts: &EngineOptions,
    renderer: &Renderer,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Artifact>> {
    let mut content = String::new();
    let cron = match &p.schedule() {
        Some(s) => lower_schedule(p, s, warnings),
        None => None,
    };
    // A schedule, even a one-off one Argo cannot express, wants an object to instantiate later.
    let kind =
        if p.schedule().is_some() || opts.kind == ObjectKind::Template { "WorkflowTemplate" } else { "Workflow" };
    let workflow = lower(p, kind, warnings)?;
    content.push_str(&renderer.render(ENGINE, "workflow.yaml.j2", &workflow)?);
    if let Some(mut cron) = cron {
        cron.header = super::header(p);
        cron.template_name = workflow.name.clone().expect("a WorkflowTemplate has a name");
        content.push_str("---\n");
        content.push_str(&renderer.render(ENGINE, "cron-workflow.yaml.j2", &cron)?);
    }
    Ok(vec![Artifact { suffix: "argo.yaml".into(), content }])
}

/// IR → `WorkflowContext`.
///
/// | IR                        | Argo                                                      |
/// |---------------------------|-----------------------------------------------------------|
/// | step                      | container template + DAG task (`dependencies`)            |
/// | step.env (RunId)          | `{{workflow.uid}}`                                        |
/// | step.resources            | `container.resources`                                     |
/// | step.retry                | `retryStrategy{limit, retryPolicy: Always, backoff}`      |
/// | step.timeout_seconds      | template `activeDeadlineSeconds`                          |
/// | pod.node_selector/...     | template `nodeSelector`, `affinity`, `tolerations`, `volumes` |
/// | pod.image_pull_secrets    | workflow `imagePullSecrets` (union)                       |
/// | pod.host_ipc, extra spec  | template `podSpecPatch`                                   |
/// | failure_mode              | DAG `failFast`                                            |
/// | parallelism, ttl          | `spec.parallelism`, `spec.ttlStrategy`                    |
fn lower(p: &Pipeline, kind: &'static str, warnings: &mut Vec<Warning>) -> Result<WorkflowContext> {
    let originals: Vec<&str> = p.steps().iter().map(|s| s.name()).collect();
    let task_names = names::assign(&originals, &STEP_RULE, &[DAG_TEMPLATE], "Argo")?;
    let by_step: BTreeMap<&str, &str> = originals.iter().copied().zip(task_names.iter().map(String::as_str)).collect();

    let tasks = p
        .steps()
        .iter()
        .zip(&task_names)
        .map(|(s, name)| DagTask {
            name: name.clone(),
            template: name.clone(),
            dependencies: s.upstream().iter().map(|u| by_step[u.as_str()].to_string()).collect(),
        })
        .collect();
    let fail_fast = match p.failure_mode() {
        FailureMode::ContinueOnFailure => false,
        FailureMode::StopOnFailure => true,
        FailureMode::FailFast => {
            // Only steps that run at the same time as the failed one can tell the difference.
            if let Some((a, b)) = p.unordered_pair() {
                warnings.push(Warning::new(
                    "argo-fail-fast",
                    format!(
                        "execution mode fail_fast: Argo's failFast stops scheduling new steps but lets running steps finish (steps `{}` and `{}` are independent)",
                        a.name(), b.name()
                    ),
                ));
            }
            true
        }
    };
    let steps =
        p.steps().iter().zip(&task_names).map(|(s, name)| step_template(p, s, name)).collect::<Result<Vec<_>>>()?;

    for key in dropped_annotations(p) {
        warnings.push(Warning::new(
            "argo-annotation-dropped",
            format!("annotation `{key}` left out: its value contains `{{{{`, which Argo would template"),
        ));
    }
    let mut pull_secrets: Vec<String> =
        p.steps().iter().flat_map(|s| s.pod().image_pull_secrets().iter().cloned()).collect();
    pull_secrets.sort();
    pull_secrets.dedup();

    let (name, generate_name) = if kind == "Workflow" {
        // Kubernetes appends 5 characters to generateName; Argo caps workflow names at 63.
        (None, Some(format!("{}-", names::sanitize(p.name(), &NameRule::dns_label(56)))))
    } else {
        (Some(names::sanitize(p.name(), &NameRule::dns_label(63))), None)
    };
    Ok(WorkflowContext {
        header: super::header(p),
        kind,
        name,
        generate_name,
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: pipeline_annotations(p),
        service_account_name: p.service_account().map(String::from),
        parallelism: p.parallelism(),
        image_pull_secrets: pull_secrets.into_iter().map(|name| NameRef { name }).collect(),
        ttl_seconds_after_completion: p.ttl_seconds_after_finished(),
        dag: DagTemplate { name: DAG_TEMPLATE, fail_fast, tasks },
        steps,
    })
}

/// Argo's UI shows this annotation as the description of a Workflow, template or CronWorkflow.
const DESCRIPTION_ANNOTATION: &str = "workflows.argoproj.io/description";

/// ZenML names, description and tags, in Argo's own description annotation; without the
/// ones Argo would template.
fn all_annotations(p: &Pipeline) -> BTreeMap<String, String> {
    let mut a = k8s::pipeline_annotations(p);
    if let Some(d) = a.remove(k8s::DESCRIPTION_ANNOTATION) {
        a.insert(DESCRIPTION_ANNOTATION.into(), d);
    }
    a
}

fn pipeline_annotations(p: &Pipeline) -> BTreeMap<String, String> {
    let mut a = all_annotations(p);
    a.retain(|_, v| !v.contains("{{"));
    a
}

fn dropped_annotations(p: &Pipeline) -> Vec<String> {
    all_annotations(p).into_iter().filter(|(_, v)| v.contains("{{")).map(|(k, _)| k).collect()
}

fn step_template(p: &Pipeline, s: &Step, name: &str) -> Result<StepTemplate> {
    if s.env().iter().any(|e| e.name() == LBRACE_VAR) {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: "Argo",
            what: format!("an environment variable named `{LBRACE_VAR}` in step `{}`", s.name()),
            help: format!("zenc reserves `{LBRACE_VAR}` to carry `{{{{` past Argo's templating; rename the variable"),
        })
        .at(s.path().to_string()));
    }
    let text = ArgoText;
    let mut env = k8s::env_entries(s, &text);
    let command: Vec<String> = s.command().iter().map(|c| text.literal(c)).collect();
    let args: Vec<String> = s.args().iter().map(|a| text.literal(a)).collect();
    let needs_brace =
        command.iter().chain(&args).chain(env.iter().filter_map(|e| e.value.as_ref())).any(|v| v.contains(LBRACE_VAR));
    if needs_brace {
        // First, so that every later env value and the command line can refer to it.
        env.insert(0, EnvEntry { name: LBRACE_VAR.into(), value: Some("{".into()), value_from: None });
    }

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

    let retry_strategy = s.retry().map(|r| RetryStrategy {
        limit: r.limit(),
        retry_policy: "Always",
        backoff: (r.delay_seconds() > 0).then(|| Backoff {
            duration: go_duration(r.delay_seconds()),
            factor: (r.backoff_factor() > 1).then_some(r.backoff_factor()),
        }),
    });

    let t = StepTemplate {
        name: name.to_string(),
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
        retry_strategy,
        active_deadline_seconds: s.timeout_seconds(),
    };
    reject_templating(s, &t)?;
    Ok(t)
}

/// Argo substitutes `{{…}}` in every template field and offers no escape. Env values,
/// command and args are protected above; anywhere else a `{{` is refused.
fn reject_templating(s: &Step, t: &StepTemplate) -> Result<()> {
    let verbatim = serde_json::json!({
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
    let mut found = Vec::new();
    k8s::strings_in(&verbatim, String::new(), &mut found);
    if let Some((at, _)) = found.iter().find(|(_, v)| v.contains("{{")) {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: "Argo",
            what: format!("`{{{{` in `{}` of step `{}`", at.trim_start_matches('.'), s.name()),
            help: "Argo replaces `{{...}}` in that field and has no escape for it; only environment values, command and arguments can carry it".into(),
        }).at(s.path().to_string()));
    }
    Ok(())
}

/// Schedule → CronWorkflow fields; `None` (plus a warning) when Argo has no cron form for it.
fn lower_schedule(p: &Pipeline, s: &crate::ir::Schedule, warnings: &mut Vec<Warning>) -> Option<CronContext> {
    let schedule = match &s.trigger() {
        Trigger::Cron(c) => c.as_str().to_string(),
        // robfig/cron's `@every`: runs every interval, counted from when the controller loads it.
        Trigger::Interval { seconds } => format!("@every {}", go_duration(*seconds)),
        Trigger::Once { at } => {
            warnings.push(Warning::new(
                "argo-run-once",
                format!("Argo has no one-off schedule: emitted a WorkflowTemplate; submit it at {} with `argo submit --from workflowtemplate/<name>`", at.to_rfc3339()),
            ));
            return None;
        }
    };
    if s.start().is_some() || s.end().is_some() {
        warnings.push(Warning::new(
            "argo-schedule-window",
            "Argo CronWorkflows have no start/end time: the schedule runs from when it is applied until it is deleted or suspended",
        ));
    }
    if s.catchup() {
        warnings.push(Warning::new(
            "argo-catchup",
            "Argo does not catch up missed runs (startingDeadlineSeconds starts at most one late run; `argo cron backfill` replays a range)",
        ));
    }
    if matches!(s.trigger(), Trigger::Interval { .. }) && s.start().is_some() {
        warnings.push(Warning::new(
            "argo-interval-anchor",
            "`@every` intervals are counted from when the controller loads the CronWorkflow, not from the start time",
        ));
    }
    Some(CronContext {
        header: Vec::new(),
        name: names::sanitize(p.name(), &NameRule::dns_label(52)),
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: pipeline_annotations(p),
        template_name: String::new(),
        schedules: vec![schedule],
        timezone: s.timezone().map(String::from),
        concurrency_policy: s.concurrency().map(|c| c.as_str()),
        starting_deadline_seconds: s.starting_deadline_seconds(),
        successful_jobs_history_limit: s.successful_history_limit(),
        failed_jobs_history_limit: s.failed_history_limit(),
        suspend: !s.active(),
    })
}

/// Read the output back: one container template per step with its image, command, args and
/// the run id in the flavor's variable.
pub fn check(p: &Pipeline, artifacts: &[Artifact]) -> Result<()> {
    use crate::validate::{bug, yaml_documents};
    let docs = yaml_documents(&artifacts.first().ok_or_else(|| bug("no output".into()))?.content)?;
    let wf = docs.first().ok_or_else(|| bug("no document".into()))?;
    let templates = wf["spec"]["templates"].as_array().ok_or_else(|| bug("no spec.templates".into()))?;
    let dag = templates.iter().find(|t| t["name"] == DAG_TEMPLATE).ok_or_else(|| bug("no DAG template".into()))?;
    let graph: Vec<(String, Vec<String>)> = dag["dag"]["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["name"].as_str().unwrap_or_default().to_string(), crate::validate::strings(&t["dependencies"])))
        .collect();
    crate::validate::check_graph(p, &graph)?;
    let containers: Vec<&Value> = templates.iter().filter(|t| t.get("container").is_some()).collect();
    if containers.len() != p.steps().len() {
        return Err(bug(format!("{} container templates for {} steps", containers.len(), p.steps().len())));
    }
    for (step, t) in p.steps().iter().zip(containers) {
        crate::validate::check_pod_labels(p, step, &t["metadata"]["labels"])?;
        let c = &t["container"];
        if c["image"].as_str() != Some(step.image()) {
            return Err(bug(format!("step `{}`: image {} != {}", step.name(), c["image"], step.image())));
        }
        let env = c["env"].as_array().ok_or_else(|| bug(format!("step `{}` has no env", step.name())))?;
        let run_id = env.iter().find(|e| e["name"].as_str() == Some(p.run_id_env()));
        if run_id.and_then(|e| e["value"].as_str()) != Some(RUN_ID) {
            return Err(bug(format!("step `{}`: {} is not the workflow uid", step.name(), p.run_id_env())));
        }
        let strings = |v: &Value| {
            v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>())
        };
        let text = ArgoText;
        let want_args: Vec<String> = step.args().iter().map(|a| text.literal(a)).collect();
        let want_cmd: Vec<String> = step.command().iter().map(|a| text.literal(a)).collect();
        if strings(&c["args"]) != Some(want_args) || strings(&c["command"]) != Some(want_cmd) {
            return Err(bug(format!("step `{}`: command/args differ", step.name())));
        }
        let resources = serde_json::to_value(k8s::resources(step.resources())).expect("serializable");
        if c["resources"] != resources {
            return Err(bug(format!("step `{}`: resources {} != {resources}", step.name(), c["resources"])));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_never_survive_as_double() {
        for s in ["{{workflow.name}}", "{{{x}}}", "{{", "a{b{{c", "{ {", "}}"] {
            let out = protect_braces(s);
            assert!(!out.contains("{{"), "{s} -> {out}");
            assert_eq!(out.replace("$(ZENC_LBRACE)", "{"), s);
        }
        assert_eq!(protect_braces("{x}"), "{x}");
    }

    #[test]
    fn a_dollar_before_braces_stays_a_dollar() {
        use crate::backend::k8s::kubelet_expand;
        let env = [(LBRACE_VAR, "{")];
        // Kubernetes-native values (not `$`-escaped): what Kubernetes makes of the original.
        for s in ["${{x}}", "$${{x}}", "$$${{x}}", "a$b{{c}}"] {
            assert_eq!(kubelet_expand(&protect_braces(s), &env), kubelet_expand(s, &[]), "{s}");
        }
    }
}
