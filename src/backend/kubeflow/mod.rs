//! Lowering of the IR to Kubeflow Pipelines v2 IR (`PipelineSpec` + Kubernetes `PlatformSpec`),
//! and a `RecurringRun` request body for schedules.

pub mod codes;
pub mod executor;
pub mod platform;
pub mod recurring_run;
pub mod size;
#[cfg(test)]
mod tests;

use platform::PlatformSpec;
use recurring_run::{PipelineAndPlatform, RecurringRun, RecurringRunBody};

use super::kfp::{self, CachingOptions, Component, ComponentRef, Executor, Named, PipelineInfo, RetryPolicy, Task, TaskInfo};
use super::alike::Alike;
use super::dropped::Dropped;
use super::names::{self, StepNames};
use super::{Backend, Document, EngineOptions};
use crate::diagnostic::Code;
use crate::error::{Result, Warning};
use crate::ir::{EnvValue, FailureMode, Pipeline, Step};

/// The Kubeflow Pipelines target.
pub struct Kubeflow;

const FILE: &str = "kubeflow.yaml";
/// The pod label KFP's API server puts on every pod of a run (`pipeline/runid=<run uuid>`,
/// `backend/src/apiserver/template/v2_template.go` `RunWorkflow` → `SetPodMetadataLabels`).
pub const RUN_ID_LABEL: &str = "pipeline/runid";
/// Downward-API path of that label, delivered with PlatformSpec `fieldPathAsEnv`.
pub const RUN_ID_FIELD_PATH: &str = "metadata.labels['pipeline/runid']";
/// Suffix of the recurring-run request body written next to the IR when scheduled.
pub const RECURRING_RUN_SUFFIX: &str = "kubeflow.recurring-run.json";

/// The two IR documents and the recurring run.
pub struct KubeflowContext {
    pub spec: kfp::PipelineSpec,
    pub platform: PlatformSpec,
    pub recurring_run: Option<RecurringRun>,
}

impl Backend for Kubeflow {
    const NAME: &'static str = "kubeflow";
    const TEMPLATES: &'static [(&'static str, &'static str)] =
        templates!("kubeflow": "pipeline-spec.yaml.j2", "platform-spec.yaml.j2");
    const OPTIONAL_FILES: &'static [&'static str] = &[RECURRING_RUN_SUFFIX];
    const CODES: &'static [Code] = codes::CODES;
    type Context = KubeflowContext;

    /// IR → the two documents and the recurring run.
    ///
    /// | IR                         | KFP                                                              |
    /// |----------------------------|------------------------------------------------------------------|
    /// | step                       | `comp-<t>` + `exec-<t>` container + root DAG task `<t>`; steps that differ only in name share `comp-zenml-step` + `exec-zenml-step` (input `step_name`) |
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
    /// | schedule                   | RecurringRun request body (second file)                          |
    fn lower(p: &Pipeline, _opts: &EngineOptions, warnings: &mut Vec<Warning>) -> Result<KubeflowContext> {
        let names = StepNames::assign(p, &kfp::TASK_RULE, &[], "Kubeflow")?;
        pipeline_warnings(p, warnings);
        let mut spec = kfp::PipelineSpec {
            header: super::header(p),
            components: Vec::with_capacity(p.steps().len()),
            executors: Vec::with_capacity(p.steps().len()),
            pipeline_info: PipelineInfo {
                name: names::sanitize(p.name(), &kfp::PIPELINE_RULE),
                display_name: p.name().to_string(),
                description: p.description().map(String::from),
            },
            tasks: Vec::with_capacity(p.steps().len()),
            schema_version: kfp::SCHEMA_VERSION,
            sdk_version: kfp::sdk_version(),
        };
        let mut executors = Vec::with_capacity(p.steps().len());
        let mut dropped = Dropped::default();
        let mut grouping = kfp::Grouping::new(p.steps().len());
        let mut configs = std::collections::HashMap::new();
        let mut alike = Alike::templates();
        for (i, (s, name)) in p.steps().iter().zip(names.names()).enumerate() {
            if let Some(first) = alike.find(p.steps(), i) {
                // Its settings are its first alike step's, which nothing dropped concerned;
                // `platform::share` drops this placeholder.
                let task = Named { name: name.clone(), item: task(s, String::new(), names.upstream(s)) };
                grouping.join(&mut spec, first, task);
                executors.push(kfp::placeholder(platform::ExecutorConfig::default()));
                continue;
            }
            let (component, label) = kfp::component_and_executor_names(name);
            spec.components.push(Named {
                name: component.clone(),
                item: Component { executor_label: label.clone(), input_definitions: None },
            });
            let before = dropped.count();
            let container = executor::container(s, &mut dropped)?;
            let mut config = platform::executor_config(p, s, &mut dropped);
            let (container_key, key) = match platform::without_step(&mut config, s) {
                Some(common) => (kfp::parametrized(&container, s.name()), common),
                None => (None, String::new()),
            };
            // Each distinct config kept once, as a number: alike steps do not hold a copy each.
            let next = configs.len();
            let key = *configs.entry(key).or_insert(next);
            spec.executors.push(Named { name: label.clone(), item: Executor { container } });
            if grouping.add(&spec, container_key, key) {
                // Written by the first step of its group: not kept until the end.
                spec.executors.last_mut().expect("just pushed").item.container = kfp::Container::default();
                config = platform::ExecutorConfig::default();
            }
            env_order(s, &mut dropped);
            if grouping.grouped(i) && before == dropped.count() {
                alike.register(p.steps(), i);
            }
            spec.tasks.push(Named { name: name.clone(), item: task(s, component, names.upstream(s)) });
            executors.push(Named { name: label, item: config });
        }
        dropped.warn(warnings);
        let shared = kfp::share(&mut spec, grouping);
        let executors = platform::share(executors, &shared);
        // Every step has at least the run id in fieldPathAsEnv, so the PlatformSpec always exists.
        let pipeline_config = p
            .ttl_seconds_after_finished()
            .map(|seconds| platform::PipelineConfig { resource_ttl_on_completion: seconds });
        let platform = PlatformSpec { executors, pipeline_config };
        size::check(&spec, &platform, warnings)?;
        let recurring_run = p.schedule().and_then(|s| recurring_run::lower(p, s, warnings));
        Ok(KubeflowContext { spec, platform, recurring_run })
    }

    fn documents(ctx: &KubeflowContext) -> Vec<Document> {
        let mut docs = vec![
            Document::template(FILE, "pipeline-spec.yaml.j2", &ctx.spec),
            Document::template(FILE, "platform-spec.yaml.j2", &ctx.platform),
        ];
        if let Some(run) = &ctx.recurring_run {
            let pipeline_spec = PipelineAndPlatform { pipeline_spec: ctx.spec.json(), platform_spec: ctx.platform.json() };
            docs.push(Document::json(RECURRING_RUN_SUFFIX, &RecurringRunBody { run, pipeline_spec }));
        }
        docs
    }
}

/// The root DAG task of step `s`.
fn task(s: &Step, component: String, dependent_tasks: Vec<String>) -> Task {
    Task {
        task_info: TaskInfo { name: s.name().to_string() },
        component_ref: ComponentRef { name: component },
        caching_options: CachingOptions::default(),
        dependent_tasks,
        inputs: None,
        retry_policy: s.retry().map(RetryPolicy::of),
    }
}

/// PlatformSpec variables are appended after `container.env`, so Kubernetes cannot expand a
/// `$(NAME)` that refers to one of them.
fn env_order(s: &Step, dropped: &mut Dropped) {
    let late: Vec<&str> = s
        .env()
        .iter()
        .filter(|e| !matches!(e.value(), EnvValue::Literal(_) | EnvValue::Kubernetes(_)))
        .map(super::super::ir::EnvVar::name)
        .collect();
    let refers_late = s.env().iter().any(|e| match e.value() {
        EnvValue::Kubernetes(v) => late.iter().any(|n| v.contains(&format!("$({n})"))),
        _ => false,
    });
    if refers_late {
        dropped.add(
            &codes::ENV_ORDER,
            "a pod-settings env value refers to `$(VAR)` of a secret, field or run-id variable, which KFP adds after the container env: Kubernetes leaves the reference unexpanded",
            s.name(),
        );
    }
}

/// Pipeline-level settings KFP's IR has no field for.
fn pipeline_warnings(p: &Pipeline, warnings: &mut Vec<Warning>) {
    // With every pair of steps ordered, skipping the dependants of a failed task stops the run:
    // all execution modes behave alike.
    if let Some((a, b)) = p.unordered_pair().filter(|_| p.failure_mode() != FailureMode::ContinueOnFailure) {
        warnings.push(Warning::new(
            &codes::EXECUTION_MODE,
            format!(
                "KFP IR has no failure policy: the execution mode is ignored; a failed task skips its dependants and lets independent tasks run (steps `{}` and `{}` are independent)",
                a.name(),
                b.name()
            ),
        ));
    }
    if p.parallelism().is_some() {
        warnings.push(Warning::new(
            &codes::PARALLELISM,
            "KFP IR has no pipeline-wide parallelism limit (only for loops): `parallelism` ignored",
        ));
    }
    if !p.tags().is_empty() {
        warnings.push(Warning::new(
            &codes::TAGS,
            "the KFP IR has no place for tags (`pipelineInfo` has a name, a display name and a description): pipeline tags not carried",
        ));
    }
    if p.namespace().is_some() || p.service_account().is_some() {
        warnings.push(Warning::new(
            &codes::RUN_SETTINGS,
            "KFP picks the namespace (from the experiment) and the service account when a run is created, not in the IR: pass them to `kfp run create` / the Kubeflow UI",
        ));
    }
}
