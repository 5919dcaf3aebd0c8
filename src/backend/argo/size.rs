//! How large the Workflow will be in etcd, and the two limits that matter: etcd stores at most
//! 1.5 MiB per object (`--max-request-bytes`), and Argo's controller keeps a Workflow's spec
//! plus status under `MAX_WORKFLOW_SIZE` (1 MiB by default).
//!
//! Kubernetes stores a custom resource as compact JSON: the size is that of the emitted object
//! (counted from the context below, field for field as the template writes it, without
//! building it) plus the status a run adds — about 110 bytes per step (measured on simulated
//! node status: ≈63 bytes compressed per node, twice with retries, ≈47 bytes in
//! `taskResultsCompletionStatus`). A run of a WorkflowTemplate holds the template's spec in its
//! status, so the same numbers apply to `--kind template` and schedules.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{codes, DagTask, DagTemplate, Param, StepTemplate, WorkflowContext};
use crate::backend::k8s::{EnvEntry, ResourceRequirements};
use crate::backend::k8s::size::{json_list_len, json_str_len, mib, ARGO_CONTROLLER_LIMIT, ETCD_LIMIT};
use crate::error::{Error, ErrorKind, Result, Warning};

/// Bytes of run-time status per step (module doc).
pub const STATUS_PER_STEP: usize = 110;
/// Status and server fields of any Workflow (phase, times, conditions, managedFields, uid).
const STATUS_FIXED: usize = 2_048;

/// Bytes of the compact JSON of the object the template writes for `w`. The DAG tasks are
/// counted by [`task_len`] (one DAG may hold thousands): the object is serialized with none.
pub fn spec_bytes(w: &WorkflowContext) -> usize {
    let templates: Vec<TemplateJson> = w
        .dags
        .iter()
        .map(TemplateJson::dag)
        .chain(w.steps.iter().map(TemplateJson::container))
        .collect();
    let object = WorkflowJson {
        api_version: "argoproj.io/v1alpha1",
        kind: w.kind,
        metadata: Metadata {
            name: w.name.as_deref(),
            generate_name: w.generate_name.as_deref(),
            namespace: w.namespace.as_deref(),
            labels: &w.labels,
            annotations: &w.annotations,
        },
        spec: Spec {
            entrypoint: w.entrypoint,
            service_account_name: w.service_account_name.as_deref(),
            parallelism: w.parallelism,
            image_pull_secrets: &w.image_pull_secrets,
            ttl_strategy: w.ttl_seconds_after_completion.map(|s| Ttl { seconds_after_completion: s }),
            templates,
        },
    };
    // Each DAG's tasks, with the commas between them.
    let tasks: usize =
        w.dags.iter().map(|d| d.tasks.iter().map(task_len).sum::<usize>() + d.tasks.len().saturating_sub(1)).sum();
    json_len(&object) + tasks
}

/// Bytes of a DAG task as compact JSON, as `Task` serializes it:
/// `{"name":…,"template":…,"dependencies":[…],"arguments":{"parameters":[{"name":…,"value":…}]}}`.
fn task_len(t: &DagTask) -> usize {
    let mut n = "{\"name\":".len() + json_str_len(&t.name) + ",\"template\":".len() + json_str_len(&t.template) + 1;
    if !t.dependencies.is_empty() {
        let names = t.dependencies.iter().map(|d| json_str_len(d)).sum();
        n += ",\"dependencies\":".len() + json_list_len(t.dependencies.len(), names);
    }
    if !t.arguments.is_empty() {
        let params = t
            .arguments
            .iter()
            .map(|p| {
                let value = p.value.as_deref().map_or(0, |v| ",\"value\":".len() + json_str_len(v));
                "{\"name\":".len() + json_str_len(p.name) + value + 1
            })
            .sum();
        n += ",\"arguments\":{\"parameters\":".len() + json_list_len(t.arguments.len(), params) + 1;
    }
    n
}

/// Warns above the controller's limit, refuses above etcd's (spec + estimated status).
pub fn check(w: &WorkflowContext, steps: usize, warnings: &mut Vec<Warning>) -> Result<()> {
    let spec = spec_bytes(w);
    let status = STATUS_FIXED + STATUS_PER_STEP * steps;
    let total = spec + status;
    let object = if w.kind == "Workflow" { "the Workflow" } else { "each run's Workflow" };
    let sizes = format!(
        "{object} will hold ≈{} in etcd once running (spec {} + ≈{} of run-time status, ≈{STATUS_PER_STEP} B per step)",
        mib(total),
        mib(spec),
        mib(status)
    );
    if total > ETCD_LIMIT {
        let per_step = spec.div_ceil(steps) + STATUS_PER_STEP;
        return Err(Error::new(ErrorKind::Engine {
            code: &codes::TOO_LARGE,
            message: format!(
                "Argo cannot express this pipeline of {steps} steps in one Workflow: {sizes}, and etcd stores at most {} per object",
                mib(ETCD_LIMIT)
            ),
            help: format!(
                "split the pipeline (≈{} steps of this one fit), or compile it for Airflow, whose DAG file has no such limit",
                ETCD_LIMIT.saturating_sub(STATUS_FIXED) / per_step
            ),
        }));
    }
    if total > ARGO_CONTROLLER_LIMIT {
        warnings.push(Warning::new(
            &codes::WORKFLOW_SIZE,
            format!(
                "{sizes}, over the Argo controller's default limit of {}: set `MAX_WORKFLOW_SIZE=1572864` in the workflow-controller's environment, or offload node status (`persistence.nodeStatusOffLoad: true`)",
                mib(ARGO_CONTROLLER_LIMIT)
            ),
        ));
    }
    Ok(())
}

/// Bytes `value` takes as compact JSON, counted without keeping them.
fn json_len(value: &impl Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("the context serializes");
    count.0
}

// The object as `templates/argo/workflow.yaml.j2` writes it: same keys, same omissions.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkflowJson<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    spec: Spec<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generate_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    labels: &'a BTreeMap<String, String>,
    annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    entrypoint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallelism: Option<u32>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    image_pull_secrets: &'a [super::NameRef],
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl_strategy: Option<Ttl>,
    templates: Vec<TemplateJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Ttl {
    seconds_after_completion: u64,
}

#[derive(Serialize)]
#[serde(untagged)]
enum TemplateJson<'a> {
    Dag(DagJson<'a>),
    Container(Box<ContainerJson<'a>>),
}

impl<'a> TemplateJson<'a> {
    fn dag(d: &'a DagTemplate) -> Self {
        TemplateJson::Dag(DagJson {
            name: &d.name,
            dag: DagBody { fail_fast: d.fail_fast, tasks: [] },
        })
    }

    fn container(t: &'a StepTemplate) -> Self {
        TemplateJson::Container(Box::new(ContainerJson {
            name: &t.name,
            inputs: (!t.inputs.is_empty()).then_some(Parameters { parameters: &t.inputs }),
            metadata: Meta { labels: &t.labels, annotations: &t.annotations },
            service_account_name: t.service_account_name.as_deref(),
            node_selector: &t.node_selector,
            affinity: t.affinity.as_ref(),
            tolerations: &t.tolerations,
            scheduler_name: t.scheduler_name.as_deref(),
            priority_class_name: t.priority_class_name.as_deref(),
            volumes: &t.volumes,
            pod_spec_patch: t.pod_spec_patch.as_deref(),
            active_deadline_seconds: t.active_deadline_seconds,
            retry_strategy: t.retry_strategy.as_ref().map(|r| RetryStrategyJson {
                limit: r.limit,
                retry_policy: r.retry_policy,
                backoff: r.backoff.as_ref().map(|b| BackoffJson { duration: &b.duration, factor: b.factor }),
            }),
            container: Container {
                name: "main",
                image: &t.image,
                command: &t.command,
                args: &t.args,
                env: &t.env,
                env_from: &t.env_from,
                resources: t.resources.as_ref(),
                volume_mounts: &t.volume_mounts,
                security_context: t.security_context.as_ref(),
            },
        }))
    }
}

#[derive(Serialize)]
struct DagJson<'a> {
    name: &'a str,
    dag: DagBody,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DagBody {
    fail_fast: bool,
    /// Always empty: `task_len` counts the tasks.
    tasks: [(); 0],
}

#[derive(Serialize)]
struct Parameters<'a> {
    parameters: &'a [Param],
}

#[derive(Serialize)]
struct Meta<'a> {
    labels: &'a BTreeMap<String, String>,
    annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct BackoffJson<'a> {
    duration: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    factor: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RetryStrategyJson<'a> {
    limit: u32,
    retry_policy: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    backoff: Option<BackoffJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Container<'a> {
    name: &'static str,
    image: &'a str,
    command: &'a [String],
    args: &'a [String],
    env: &'a [EnvEntry],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    env_from: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<&'a ResourceRequirements>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    volume_mounts: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    security_context: Option<&'a Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContainerJson<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    inputs: Option<Parameters<'a>>,
    metadata: Meta<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account_name: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    node_selector: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    affinity: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tolerations: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduler_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority_class_name: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    volumes: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    pod_spec_patch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    active_deadline_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_strategy: Option<RetryStrategyJson<'a>>,
    container: Container<'a>,
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::{task_len, DagTask, Param, Parameters};
    use crate::backend::k8s::SharedName;

    /// A DAG task as the template writes it.
    #[derive(Serialize)]
    struct Task<'a> {
        name: &'a str,
        template: &'a str,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        dependencies: &'a [SharedName],
        #[serde(skip_serializing_if = "Option::is_none")]
        arguments: Option<Parameters<'a>>,
    }

    #[test]
    fn tasks_are_counted_as_serde_json_writes_them() {
        let value = |v: &str| Some(v.to_string());
        let tasks = [
            DagTask { name: "a".into(), template: "t".into(), dependencies: vec![], arguments: vec![] },
            DagTask {
                name: "b\"".into(),
                template: "zenml-step".into(),
                dependencies: vec!["a".into(), "x\ny".into()],
                arguments: vec![Param { name: "step-name", value: value("b \u{1}") }],
            },
            DagTask {
                name: "c".into(),
                template: "t".into(),
                dependencies: vec!["a".into()],
                arguments: vec![
                    Param { name: "step-arg", value: value("$$(x)") },
                    Param { name: "step-label", value: None },
                ],
            },
        ];
        for t in &tasks {
            let json = Task {
                name: &t.name,
                template: &t.template,
                dependencies: &t.dependencies,
                arguments: (!t.arguments.is_empty()).then_some(Parameters { parameters: &t.arguments }),
            };
            assert_eq!(task_len(t), serde_json::to_string(&json).unwrap().len(), "{}", t.name.as_str());
        }
    }
}
