//! Lowering of the IR to Argo Workflows (`argoproj.io/v1alpha1`, Argo 3.6+ and 4.x).

pub mod codes;
mod context;
mod nest;
mod schedule;
mod share;
mod size;
mod step;

use std::collections::{BTreeMap, HashSet};

pub use context::*;

use super::k8s::{self, SharedName};
use super::names::{self, NameRule, StepNames};
use super::{Backend, Document, EngineOptions, ObjectKind};
use crate::error::{Result, Warning};
use crate::ir::{FailureMode, Pipeline};

/// The Argo Workflows target.
pub struct Argo;

/// Argo's per-run id: the same in every step of a Workflow, new for every Workflow (also for
/// each CronWorkflow firing), unchanged by retries.
pub const RUN_ID: &str = "{{workflow.uid}}";
/// Name of the DAG template; reserved so no step template can take it.
pub const DAG_TEMPLATE: &str = "pipeline";
const FILE: &str = "argo.yaml";

/// Task and template names: DNS labels that start with a letter (Argo rejects DAG task names
/// starting with a digit when dependencies are used; validate.go).
const STEP_RULE: NameRule = NameRule { start_letter: true, ..NameRule::dns_label(63) };

/// A Workflow or WorkflowTemplate, and the CronWorkflow that instantiates the template.
pub struct ArgoContext {
    pub workflow: WorkflowContext,
    pub cron: Option<CronContext>,
}

impl Backend for Argo {
    const NAME: &'static str = "argo";
    const TEMPLATES: &'static [(&'static str, &'static str)] =
        templates!("argo": "workflow.yaml.j2", "cron-workflow.yaml.j2");
    const CODES: &'static [crate::diagnostic::Code] = codes::CODES;
    type Context = ArgoContext;

    fn lower(p: &Pipeline, opts: &EngineOptions, warnings: &mut Vec<Warning>) -> Result<ArgoContext> {
        let mut cron = p.schedule().and_then(|s| schedule::lower(p, s, warnings));
        // A schedule, even a one-off one Argo cannot express, wants an object to instantiate later.
        let kind =
            if p.schedule().is_some() || opts.kind == ObjectKind::Template { "WorkflowTemplate" } else { "Workflow" };
        let workflow = lower_workflow(p, kind, warnings)?;
        if let Some(cron) = &mut cron {
            cron.template_name = workflow.name.clone().expect("a WorkflowTemplate has a name");
        }
        Ok(ArgoContext { workflow, cron })
    }

    fn documents(ctx: &ArgoContext) -> Vec<Document> {
        let mut docs = vec![Document::template(FILE, "workflow.yaml.j2", &ctx.workflow)];
        docs.extend(ctx.cron.iter().map(|cron| Document::template(FILE, "cron-workflow.yaml.j2", cron)));
        docs
    }
}

/// IR → `WorkflowContext`.
///
/// | IR                        | Argo                                                      |
/// |---------------------------|-----------------------------------------------------------|
/// | step                      | DAG task (`dependencies`) running a container template, shared by steps that differ only in name (`share`) |
/// | over 200 steps            | nested DAG templates of ≤200 tasks (`nest`)               |
/// | step.env (RunId)          | `{{workflow.uid}}`                                        |
/// | step.resources            | `container.resources`                                     |
/// | step.retry                | `retryStrategy{limit, retryPolicy: Always, backoff}`      |
/// | step.timeout_seconds      | template `activeDeadlineSeconds`                          |
/// | pod.node_selector/...     | template `nodeSelector`, `affinity`, `tolerations`, `volumes` |
/// | pod.image_pull_secrets    | workflow `imagePullSecrets` (union)                       |
/// | pod.host_ipc, extra spec  | template `podSpecPatch`                                   |
/// | failure_mode              | DAG `failFast`                                            |
/// | parallelism, ttl          | `spec.parallelism`, `spec.ttlStrategy`                    |
fn lower_workflow(p: &Pipeline, kind: &'static str, warnings: &mut Vec<Warning>) -> Result<WorkflowContext> {
    let names = StepNames::assign(p, &STEP_RULE, &[DAG_TEMPLATE], "Argo")?;
    let fail_fast = fail_fast(p, warnings);
    // Made one at a time as `share` groups them: 5,000 alike templates are never all alive.
    let per_step = |i: usize| step::template(p, &p.steps()[i], &names.names()[i]);
    let mut taken = HashSet::from([DAG_TEMPLATE.to_string()]);
    let shared = share::share(p.steps(), per_step, &mut taken, step::reject_templating)?;
    let upstream: Vec<Vec<usize>> = p.steps().iter().map(|s| names.upstream_indices(s).collect()).collect();
    let tasks: Vec<DagTask> = names
        .into_names()
        .into_iter()
        .zip(shared.uses)
        .map(|(name, (template, arguments))| DagTask {
            name: SharedName::from(name.as_str()),
            template,
            dependencies: Vec::new(),
            arguments,
        })
        .collect();
    let (dags, partition) = nest::nest(tasks, upstream, fail_fast, &mut taken);
    for key in dropped_annotations(p) {
        warnings.push(Warning::new(
            &codes::ANNOTATION_DROPPED,
            format!("annotation `{key}` left out: its value contains `{{{{`, which Argo would template"),
        ));
    }
    let mut pull_secrets: Vec<String> = p.steps().iter().flat_map(|s| s.pod().image_pull_secrets().to_vec()).collect();
    pull_secrets.sort();
    pull_secrets.dedup();
    let (name, generate_name) = if kind == "Workflow" {
        // Kubernetes appends 5 characters to generateName; Argo caps workflow names at 63.
        (None, Some(format!("{}-", names::sanitize(p.name(), &NameRule::dns_label(56)))))
    } else {
        (Some(names::sanitize(p.name(), &NameRule::dns_label(63))), None)
    };
    let workflow = WorkflowContext {
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
        entrypoint: DAG_TEMPLATE,
        dags,
        steps: shared.templates,
    };
    // The size first: past it, no partition helps.
    size::check(&workflow, p.steps().len(), warnings)?;
    nest::check_templates(&workflow)?;
    warnings.extend(partition.and_then(|part| part.warning(p)));
    Ok(workflow)
}

/// Argo's `failFast`: stop scheduling after the first failure.
fn fail_fast(p: &Pipeline, warnings: &mut Vec<Warning>) -> bool {
    match p.failure_mode() {
        FailureMode::ContinueOnFailure => false,
        FailureMode::StopOnFailure => true,
        FailureMode::FailFast => {
            // Only steps that run at the same time as the failed one can tell the difference.
            if let Some((a, b)) = p.unordered_pair() {
                warnings.push(Warning::new(
                    &codes::FAIL_FAST,
                    format!(
                        "execution mode fail_fast: Argo's failFast stops scheduling new steps but lets running steps finish (steps `{}` and `{}` are independent)",
                        a.name(), b.name()
                    ),
                ));
            }
            true
        }
    }
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

#[cfg(test)]
mod tests;
