//! What Tekton stores in etcd for a run, estimated before rendering: etcd refuses an object
//! over 1.5 MiB, and a PipelineRun grows while it runs.

use std::io;

use serde::Serialize;

use rustc_hash::FxHashMap;

use super::{codes, PipelineContext, TaskContext, TaskSpec, TektonContext};
use crate::backend::k8s::size::{json_list_len, json_str_len, ETCD_LIMIT};
use crate::backend::alike;
use crate::backend::k8s::STEP_NAME_ANNOTATION;
use crate::ir::{Pipeline, POD_SELECTOR_LABELS};
use crate::error::{Error, ErrorKind, Result};

/// One `status.childReferences` entry per TaskRun, `{"apiVersion":"tekton.dev/v1",
/// "kind":"TaskRun","name":"<run>-<task>","pipelineTaskName":"<task>"},` without the names.
const CHILD_REFERENCE_BYTES: usize = 80;
/// Characters Kubernetes appends to a `generateName`.
const GENERATED_SUFFIX: usize = 5;
/// The rest of a PipelineRun's status (conditions, times, provenance) and the fields the API
/// server adds to its metadata (uid, managedFields, …).
const STATUS_FIXED_BYTES: usize = 4 * 1024;
/// A PipelineRun that only names a Pipeline, before its status.
const RUN_BY_NAME_BYTES: usize = 1024;
/// What the API server adds to an object's metadata (uid, timestamps, `managedFields`, …).
const OBJECT_FIXED_BYTES: usize = 2 * 1024;

/// Refuses what etcd could not keep: a PipelineRun once Tekton has copied the pipeline spec
/// into its status (`status.pipelineSpec`) and listed its TaskRuns, and with `--kind pipeline`
/// also the Pipeline and each shared Task. `Ok(Some(_))`: the PipelineRun does not fit, and
/// `RunTooLarge::error` says so (after the caller has freed `ctx`).
///
/// A run's tasks may be waiting for `run::fill` (`first_alike`, from `run::lower`): they are
/// counted as they will be.
///
/// `ctx` is only borrowed mutably to count a run without its tasks: it is left as it was.
pub fn check(ctx: &mut TektonContext, p: &Pipeline, first_alike: &[usize]) -> Result<Option<RunTooLarge>> {
    let (estimate, pipeline) = match ctx {
        TektonContext::Run(run) | TektonContext::Scheduled { pipeline: None, run, .. } => {
            let tasks = filled_tasks_bytes(&run.tasks, p, first_alike);
            // The run with `"tasks":[]`, then the tasks as they will be.
            let own = std::mem::take(&mut run.tasks);
            let object = json_len(&*run) - "[]".len() + tasks;
            run.tasks = own;
            (Estimate::with_spec_copy(object, tasks, &run.tasks, run_name_len(&run.generate_name)), None)
        }
        TektonContext::Pipeline(p) => (Estimate::new(RUN_BY_NAME_BYTES, &p.tasks, run_name_len(&p.name)), Some(p)),
        TektonContext::Scheduled { pipeline: Some(p), run, .. } => {
            (Estimate::new(json_len(run), &p.tasks, run_name_len(&run.generate_name)), Some(p))
        }
    };
    if estimate.total() <= ETCD_LIMIT {
        return pipeline.map_or(Ok(None), |p| objects_fit(p, &estimate).map(|()| None));
    }
    Ok(Some(RunTooLarge { estimate, by_name: pipeline.is_some() }))
}

/// A PipelineRun over etcd's limit.
pub struct RunTooLarge {
    estimate: Estimate,
    /// The run names a Pipeline (`--kind pipeline`).
    pub by_name: bool,
}

impl RunTooLarge {
    /// The refusal; `as_template`: the tasks `--kind pipeline` would write, for a self-contained
    /// run (how many steps that shape holds).
    pub fn error(self, as_template: Option<&[TaskContext]>) -> Error {
        let e = &self.estimate;
        let fits = as_template.map(|tasks| Estimate::new(RUN_BY_NAME_BYTES, tasks, e.run_name).fitting());
        e.error(self.by_name, fits)
    }
}

/// The Pipeline object (its tasks, once) and each shared Task (Tekton copies a Task's spec
/// into each TaskRun's status: the TaskRun is about as large) under etcd's limit.
fn objects_fit(p: &PipelineContext, run: &Estimate) -> Result<()> {
    let pipeline = json_len(&p.labels) + json_len(&p.annotations) + run.spec_copy + OBJECT_FIXED_BYTES;
    if pipeline > ETCD_LIMIT {
        return Err(too_large(format!(
            "the Pipeline object for {} steps needs about {} in etcd; etcd stores at most {} per object",
            run.steps,
            mib(pipeline),
            mib(ETCD_LIMIT)
        )));
    }
    for t in &p.shared {
        let bytes = json_len(&t.spec) + OBJECT_FIXED_BYTES;
        if bytes > ETCD_LIMIT {
            return Err(too_large(format!(
                "the shared Task `{}` (and each TaskRun of it) needs about {} in etcd; etcd stores at most {} per object",
                t.name,
                mib(bytes),
                mib(ETCD_LIMIT)
            )));
        }
    }
    Ok(())
}

/// Characters of a PipelineRun name made from `name` (a `generateName` or the Pipeline's
/// name): as zenc's `generateName` and CronJob write it, `<name, ≤26 characters>-xxxxx`.
fn run_name_len(name: &str) -> usize {
    name.trim_end_matches('-').len().min(super::RUN_PREFIX_MAX) + 1 + GENERATED_SUFFIX
}

fn too_large(message: String) -> Error {
    let help = "compile for `--target argo` or `--target airflow`, or split the pipeline".to_string();
    Error::new(ErrorKind::Engine { code: &codes::TOO_LARGE, message, help })
}

/// The parts of a running PipelineRun's size.
struct Estimate {
    /// The PipelineRun as written (its tasks inline, or only the Pipeline's name).
    object: usize,
    /// `status.pipelineSpec`: the tasks again.
    spec_copy: usize,
    /// `status.childReferences`.
    references: usize,
    steps: usize,
    /// Characters of the PipelineRun's name.
    run_name: usize,
}

impl Estimate {
    fn new(object: usize, tasks: &[TaskContext], run_name: usize) -> Estimate {
        Estimate::with_spec_copy(object, tasks_bytes(tasks), tasks, run_name)
    }

    /// `spec_copy`: `tasks_bytes` of `tasks` once filled.
    fn with_spec_copy(object: usize, spec_copy: usize, tasks: &[TaskContext], run_name: usize) -> Estimate {
        // Tekton names a TaskRun `<run>-<task>`, cut to 63 (kmeta.ChildName).
        let references =
            tasks.iter().map(|t| CHILD_REFERENCE_BYTES + (run_name + 1 + t.name.len()).min(63) + t.name.len()).sum();
        Estimate { object, spec_copy, references, steps: tasks.len(), run_name }
    }
    fn total(&self) -> usize {
        self.object + self.spec_copy + self.references + STATUS_FIXED_BYTES
    }

    /// Steps of this pipeline one PipelineRun holds: what the run has besides its tasks, then
    /// per step its task (twice when the task is inline: in the spec and in the status copy)
    /// and a TaskRun reference.
    fn fitting(&self) -> usize {
        let inline = self.object > RUN_BY_NAME_BYTES;
        let fixed = self.object.saturating_sub(if inline { self.spec_copy } else { 0 }) + STATUS_FIXED_BYTES;
        // Rounded up: never more steps than fit.
        let per_step = (self.spec_copy * if inline { 2 } else { 1 } + self.references).div_ceil(self.steps.max(1));
        ETCD_LIMIT.saturating_sub(fixed) / per_step.max(1)
    }

    fn error(&self, by_name: bool, as_template: Option<usize>) -> Error {
        let what = if by_name { "a PipelineRun of this Pipeline" } else { "the PipelineRun" };
        let mut message = format!(
            "{what} for {} steps needs about {} in etcd (the run {} + Tekton's copy of the pipeline spec in its status {} + {} of TaskRun references); etcd stores at most {} per object: one PipelineRun holds about {} steps of this pipeline",
            self.steps,
            mib(self.total()),
            mib(self.object),
            mib(self.spec_copy),
            mib(self.references),
            mib(ETCD_LIMIT),
            self.fitting(),
        );
        let mut help = String::from("compile for `--target argo` or `--target airflow`, or split the pipeline");
        if let Some(n) = as_template {
            message.push_str(&format!(", about {n} with `--kind pipeline`"));
            help.insert_str(0, "compile with `--kind pipeline` (a Pipeline object that a PipelineRun names; `kubectl apply --server-side` it) if that is enough, ");
        }
        Error::new(ErrorKind::Engine { code: &codes::TOO_LARGE, message, help })
    }
}

fn mib(bytes: usize) -> String {
    if bytes < 100 * 1024 {
        return format!("{} KiB", bytes.div_ceil(1024));
    }
    // Tenths of a MiB, rounded up: integer arithmetic, no float casts.
    let tenths = (bytes * 10).div_ceil(1024 * 1024);
    format!("{}.{} MiB", tenths / 10, tenths % 10)
}

/// Bytes of `value` as compact JSON, the form etcd stores custom resources in (the contexts'
/// field names are within a few bytes of the objects').
fn json_len<S: Serialize + ?Sized>(value: &S) -> usize {
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("contexts are plain data");
    count.0
}

struct Count(usize);

impl io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Bytes of `spec.tasks` as the API server stores it (compact JSON): equal to the rendered
/// output's (tests/… `the_task_bytes_are_the_compact_json_of_the_output`).
pub fn tasks_bytes(tasks: &[TaskContext]) -> usize {
    json_list_len(tasks.len(), tasks.iter().map(task_len).sum())
}

/// Bytes of a pipeline task as Tekton's JSON has it (field names, no empty fields), its head
/// counted string by string: `{"name":…,"runAfter":[…],"retries":…,"timeout":…,
/// "taskRef":{"name":…,"kind":"Task"},"params":[{"name":…,"value":…}],"taskSpec":{…}}`.
fn task_len(t: &TaskContext) -> usize {
    let mut n = "{\"name\":".len() + json_str_len(&t.name) + "}".len();
    if !t.run_after.is_empty() {
        let names = t.run_after.iter().map(|r| json_str_len(r)).sum();
        n += ",\"runAfter\":".len() + json_list_len(t.run_after.len(), names);
    }
    if let Some(retries) = t.retries {
        n += ",\"retries\":".len() + retries.checked_ilog10().map_or(1, |d| d as usize + 1);
    }
    if let Some(timeout) = &t.timeout {
        n += ",\"timeout\":".len() + json_str_len(timeout);
    }
    if let Some(task) = &t.task_ref {
        n += ",\"taskRef\":{\"name\":".len() + json_str_len(task) + ",\"kind\":\"Task\"}".len();
    }
    if let Some(p) = &t.param {
        n += ",\"params\":[{\"name\":".len() + json_str_len(p.name) + ",\"value\":".len() + json_str_len(&p.value) + "}]".len();
    }
    if let Some(spec) = &t.spec {
        n += ",\"taskSpec\":".len() + json_len(&SpecJson::new(spec));
    }
    n
}

/// `tasks_bytes(tasks)` once `run::fill` has given each task without a spec or `taskRef` a
/// copy of the spec of the first step alike it (`first_alike`) with its own name: as long as
/// that one's spec, plus the difference of the names' lengths where the name is (a label value
/// is the same in JSON). The task's JSON ends with its `taskSpec`.
pub fn filled_tasks_bytes(tasks: &[TaskContext], p: &Pipeline, first_alike: &[usize]) -> usize {
    const TASK_SPEC_KEY: &str = ",\"taskSpec\":";
    let steps = p.steps();
    // Bytes of the spec of each first step, and how many times it holds the name.
    let mut firsts: FxHashMap<usize, (usize, usize)> = FxHashMap::default();
    let mut total = json_list_len(tasks.len(), 0);
    for (i, t) in tasks.iter().enumerate() {
        total += task_len(t);
        if t.spec.is_some() || t.task_ref.is_some() {
            continue;
        }
        let r = first_alike[i];
        let Some(spec) = tasks[r].spec.as_ref().filter(|_| r < i) else { continue };
        let (bytes, names) = *firsts.entry(r).or_insert_with(|| {
            let names = alike::name_positions(&steps[r]).count()
                + usize::from(spec.labels.contains_key(POD_SELECTOR_LABELS[2]))
                + usize::from(spec.annotations.contains_key(STEP_NAME_ANNOTATION));
            (json_len(&SpecJson::new(spec)), names)
        });
        total += TASK_SPEC_KEY.len() + bytes + names * steps[i].name().len() - names * steps[r].name().len();
    }
    total
}

#[derive(Serialize)]
struct SpecJson<'a> {
    metadata: Metadata<'a>,
    #[serde(skip_serializing_if = "<[serde_json::Value]>::is_empty")]
    volumes: &'a [serde_json::Value],
    steps: [StepJson<'a>; 1],
}

#[derive(Serialize)]
struct Metadata<'a> {
    labels: &'a std::collections::BTreeMap<String, String>,
    annotations: &'a std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StepJson<'a> {
    name: &'static str,
    image: &'a str,
    command: &'a [String],
    args: &'a [String],
    env: &'a [crate::backend::k8s::EnvEntry],
    #[serde(skip_serializing_if = "<[serde_json::Value]>::is_empty")]
    env_from: &'a [serde_json::Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    compute_resources: Option<&'a crate::backend::k8s::ResourceRequirements>,
    #[serde(skip_serializing_if = "<[serde_json::Value]>::is_empty")]
    volume_mounts: &'a [serde_json::Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    security_context: Option<&'a serde_json::Value>,
}

impl<'a> SpecJson<'a> {
    fn new(s: &'a TaskSpec) -> SpecJson<'a> {
        let step = &s.step;
        SpecJson {
            metadata: Metadata { labels: &s.labels, annotations: &s.annotations },
            volumes: &s.volumes,
            steps: [StepJson {
                name: "main",
                image: &step.image,
                command: &step.command,
                args: &step.args,
                env: &step.env,
                env_from: &step.env_from,
                compute_resources: step.compute_resources.as_ref(),
                volume_mounts: &step.volume_mounts,
                security_context: step.security_context.as_ref(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::{json_len, task_len, SpecJson};
    use crate::backend::k8s::SharedName;
    use crate::backend::tekton::{Param, TaskContext};

    /// A pipeline task as Tekton's JSON has it (field names, no empty fields).
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct PipelineTaskJson<'a> {
        name: &'a str,
        #[serde(skip_serializing_if = "<[SharedName]>::is_empty")]
        run_after: &'a [SharedName],
        #[serde(skip_serializing_if = "Option::is_none")]
        retries: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        task_ref: Option<RefJson<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        params: Option<[NameValue<'a>; 1]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        task_spec: Option<SpecJson<'a>>,
    }

    #[derive(Serialize)]
    struct RefJson<'a> {
        name: &'a str,
        kind: &'static str,
    }

    #[derive(Serialize)]
    struct NameValue<'a> {
        name: &'a str,
        value: &'a str,
    }

    impl<'a> PipelineTaskJson<'a> {
        fn new(t: &'a TaskContext) -> PipelineTaskJson<'a> {
            PipelineTaskJson {
                name: &t.name,
                run_after: &t.run_after,
                retries: t.retries,
                timeout: t.timeout.as_deref(),
                task_ref: t.task_ref.as_deref().map(|name| RefJson { name, kind: "Task" }),
                params: t.param.as_ref().map(|p| [NameValue { name: p.name, value: &p.value }]),
                task_spec: t.spec.as_ref().map(SpecJson::new),
            }
        }
    }


    #[test]
    fn task_heads_are_counted_as_serde_json_writes_them() {
        let task = |name: &str| TaskContext {
            name: name.into(),
            run_after: Vec::new(),
            retries: None,
            timeout: None,
            task_ref: None,
            param: None,
            spec: None,
        };
        let tasks = [
            task("a"),
            TaskContext { run_after: vec!["a".into(), "b\"\n".into()], retries: Some(0), ..task("b") },
            TaskContext { retries: Some(10), timeout: Some("1h0m0s".into()), ..task("c") },
            TaskContext {
                retries: Some(u32::MAX),
                task_ref: Some("zenml-0123456789".into()),
                param: Some(Param { name: "step", value: "x\u{1}é".into() }),
                ..task("d")
            },
        ];
        for t in &tasks {
            assert_eq!(task_len(t), json_len(&PipelineTaskJson::new(t)), "{}", t.name.as_str());
        }
    }
}
