//! Lowering of the IR to the KFP v2 IR that Vertex AI Pipelines runs: one PipelineSpec document
//! (Vertex AI ignores the Kubernetes PlatformSpec, and its loader takes one document), and a
//! Vertex AI `Schedule` request body for schedules.

pub mod codes;
mod container;
mod resources;
mod schedule;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use schedule::{Schedule, ScheduleBody};

use super::kfp::{
    self, CachingOptions, Component, ComponentRef, Executor, InputDefinitions, Named, ParameterSpec, PipelineInfo,
    RetryPolicy, RuntimeValue, Task, TaskInfo, TaskInput, TaskInputs,
};
use super::alike::Alike;
use super::dropped::Dropped;
use super::names::{self, NameRule, StepNames};
use super::{Backend, Document, EngineOptions};
use crate::diagnostic::Code;
use crate::error::{Result, Warning};
use crate::ir::{FailureMode, Pipeline, Step};

pub use container::{wrapper_script, SHELL};

/// The Vertex AI Pipelines target.
pub struct Vertex;

/// Name used in error messages.
const DISPLAY: &str = "Vertex AI";
const FILE: &str = "vertex.yaml";
/// Suffix of the Schedule request body written next to the spec when scheduled.
pub const SCHEDULE_SUFFIX: &str = "vertex.schedule.json";
/// The component input that carries the run id into the step.
pub const RUN_ID_INPUT: &str = "zenml_run_id";
/// The PipelineJob's id, which Vertex AI resolves in a task input: the same for every task and
/// retry of a run, new for every run and every schedule firing, and what ZenML's own Vertex
/// orchestrator uses (its run URL is built from it).
pub const RUN_ID: &str = "{{$.pipeline_job_name}}";
/// Pipeline names: KFP's rule, and what Vertex AI derives a PipelineJob id from
/// (`^[a-z][-a-z0-9]{0,127}$` once a 15-character timestamp is appended): a letter first, at
/// most 113 characters.
const PIPELINE_RULE: NameRule = NameRule { max_len: 113, start_letter: true, ..NameRule::dns_label(113) };

/// The PipelineSpec and the schedule.
pub struct VertexContext {
    pub spec: kfp::PipelineSpec,
    pub schedule: Option<Schedule>,
}

impl Backend for Vertex {
    const NAME: &'static str = "vertex";
    const TEMPLATES: &'static [(&'static str, &'static str)] = templates!("vertex": "pipeline-spec.yaml.j2");
    const OPTIONAL_FILES: &'static [&'static str] = &[SCHEDULE_SUFFIX];
    const CODES: &'static [Code] = codes::CODES;
    type Context = VertexContext;

    /// IR → PipelineSpec + schedule.
    ///
    /// | IR                         | Vertex AI (KFP IR)                                              |
    /// |----------------------------|-----------------------------------------------------------------|
    /// | step                       | `comp-<t>` (input `zenml_run_id`) + `exec-<t>` + root task `<t>` |
    /// | step.upstream              | task `dependentTasks`                                           |
    /// | (caching)                  | `cachingOptions.enableCache: false`                             |
    /// | step.command/args          | `/bin/sh -c <wrapper> <run id> <command>…`, args as written     |
    /// | step.env RunId             | task input `{{$.pipeline_job_name}}`, exported by the wrapper   |
    /// | step.env Literal/Kubernetes| container `env` (`$` doubled for literals)                     |
    /// | step.env Secret/ValueFrom  | — (`vertex-secret`, `vertex-pod-settings`)                      |
    /// | step.resources             | limits: `cpuLimit`, `memoryLimit`, `accelerator` (both field sets) |
    /// | GKE accelerator selector   | `accelerator.type`                                              |
    /// | step.retry                 | task `retryPolicy`                                              |
    /// | pod settings, timeout      | — (`vertex-pod-settings`, `vertex-timeout`)                     |
    /// | failure_mode               | schedule `runtimeConfig.failurePolicy`                          |
    /// | schedule                   | `Schedule` request body (second file)                           |
    fn lower(p: &Pipeline, _opts: &EngineOptions, warnings: &mut Vec<Warning>) -> Result<VertexContext> {
        let names = StepNames::assign(p, &kfp::TASK_RULE, &[], DISPLAY)?;
        pipeline_warnings(p, warnings);
        let mut spec = kfp::PipelineSpec {
            header: super::header(p),
            components: Vec::with_capacity(p.steps().len()),
            executors: Vec::with_capacity(p.steps().len()),
            pipeline_info: PipelineInfo {
                name: names::sanitize(p.name(), &PIPELINE_RULE),
                display_name: p.name().to_string(),
                description: p.description().map(String::from),
            },
            tasks: Vec::with_capacity(p.steps().len()),
            schema_version: kfp::SCHEMA_VERSION,
            sdk_version: kfp::sdk_version(),
        };
        let mut lost = Lost::default();
        let mut grouping = kfp::Grouping::new(p.steps().len());
        let mut alike = Alike::templates();
        for (i, (s, name)) in p.steps().iter().zip(names.names()).enumerate() {
            if let Some(first) = alike.find(p.steps(), i) {
                // Its component and container are its first alike step's, which no warning
                // concerned.
                let task = Named { name: name.clone(), item: task(s, String::new(), names.upstream(s)) };
                grouping.join(&mut spec, first, task);
                continue;
            }
            let (component, label) = kfp::component_and_executor_names(name);
            spec.components.push(Named { name: component.clone(), item: self::component(label.clone()) });
            let before = (warnings.len(), lost.steps.count());
            let container = container::lower(p, s, &mut lost, warnings)?;
            let args = kfp::parametrized(&container, s.name());
            spec.executors.push(Named { name: label, item: Executor { container } });
            if grouping.add(&spec, args, ()) {
                // Written by the first step of its group: not kept until the end.
                spec.executors.last_mut().expect("just pushed").item.container = kfp::Container::default();
            }
            if grouping.grouped(i) && before == (warnings.len(), lost.steps.count()) {
                alike.register(p.steps(), i);
            }
            spec.tasks.push(Named { name: name.clone(), item: task(s, component, names.upstream(s)) });
        }
        lost.warn(warnings);
        kfp::share(&mut spec, grouping);
        let schedule = p.schedule().and_then(|s| schedule::lower(p, s, warnings));
        Ok(VertexContext { spec, schedule })
    }

    fn documents(ctx: &VertexContext) -> Vec<Document> {
        let mut docs = vec![Document::template(FILE, "pipeline-spec.yaml.j2", &ctx.spec)];
        if let Some(schedule) = &ctx.schedule {
            docs.push(Document::json(SCHEDULE_SUFFIX, &ScheduleBody::new(schedule, &ctx.spec)));
        }
        docs
    }
}

/// What every step alike leaves out, reported once.
#[derive(Default)]
struct Lost {
    /// Variables a Kubernetes Secret would have filled.
    secrets: BTreeSet<String>,
    steps: Dropped,
}

impl Lost {
    fn warn(self, warnings: &mut Vec<Warning>) {
        self.steps.warn(warnings);
        if self.secrets.is_empty() {
            return;
        }
        let names: Vec<String> = self.secrets.iter().map(|n| format!("`{n}`")).collect();
        warnings.push(Warning::new(
            &codes::SECRET,
            format!(
                "Vertex AI pipeline steps cannot read a Kubernetes Secret, and zenc never writes a credential's value: {} left out; the steps must get their credentials another way (an image that reads them from Secret Manager)",
                names.join(", ")
            ),
        ));
    }
}

/// A step's component: its executor, and the run id as a string input.
fn component(executor_label: String) -> Component {
    let parameters = BTreeMap::from([(RUN_ID_INPUT, ParameterSpec { parameter_type: "STRING" })]);
    Component { executor_label, input_definitions: Some(InputDefinitions { parameters }) }
}

/// The root DAG task of step `s`: its run-id input is the PipelineJob's id, which Vertex AI
/// resolves when the task runs.
fn task(s: &Step, component: String, dependent_tasks: Vec<String>) -> Task {
    let run_id = TaskInput { runtime_value: RuntimeValue { constant: RUN_ID.into() } };
    Task {
        task_info: TaskInfo { name: s.name().to_string() },
        component_ref: ComponentRef { name: component },
        caching_options: CachingOptions { enable_cache: Some(false) },
        dependent_tasks,
        inputs: Some(TaskInputs { parameters: BTreeMap::from([(RUN_ID_INPUT, run_id)]) }),
        retry_policy: s.retry().map(RetryPolicy::of),
    }
}

/// Pipeline-level settings the IR has no field for.
fn pipeline_warnings(p: &Pipeline, warnings: &mut Vec<Warning>) {
    if let Some((a, b)) = p.unordered_pair().filter(|_| p.failure_mode() != FailureMode::ContinueOnFailure) {
        let (mode, how) = match p.failure_mode() {
            FailureMode::FailFast => ("fail_fast", "FAIL_FAST, which lets running tasks finish"),
            _ => ("stop_on_failure", "FAIL_FAST"),
        };
        let scheduled = p.schedule().is_some();
        warnings.push(Warning::new(
            &codes::FAILURE_POLICY,
            format!(
                "execution mode {mode}: the KFP IR has no failure policy; {} (steps `{}` and `{}` are independent)",
                if scheduled {
                    format!("the schedule body sets {how}")
                } else {
                    format!("create the PipelineJob with failure_policy=\"fast\" ({how})")
                },
                a.name(),
                b.name()
            ),
        ));
    }
    let lost = [
        (p.parallelism().is_some(), &codes::PARALLELISM, "the KFP IR has no pipeline-wide parallelism limit: `parallelism` ignored"),
        (p.ttl_seconds_after_finished().is_some(), &codes::TTL, "Vertex AI keeps PipelineJobs until they are deleted: `ttl_seconds_after_finished` ignored"),
        (!p.tags().is_empty(), &codes::TAGS, "the KFP IR has no place for tags (PipelineJob labels are set when a run is created): pipeline tags not carried"),
        (
            p.namespace().is_some() || p.service_account().is_some(),
            &codes::RUN_SETTINGS,
            "Vertex AI has no namespaces, and its service account (a Google Cloud one) is chosen when a PipelineJob is created: pass it then",
        ),
    ];
    for (applies, code, message) in lost {
        if applies {
            warnings.push(Warning::new(code, message));
        }
    }
}
