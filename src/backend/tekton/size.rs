//! What Tekton stores in etcd for a run, estimated before rendering: etcd refuses an object
//! over 1.5 MiB, and a PipelineRun grows while it runs.

use std::io;

use serde::Serialize;

use super::{codes, TaskContext, TektonContext};
use crate::error::{Error, ErrorKind, Result};

/// etcd's default request limit (`--max-request-bytes`), which caps every object it stores.
pub const ETCD_MAX_BYTES: usize = 1536 * 1024;
/// One `status.childReferences` entry (apiVersion, kind, name, pipelineTaskName) per TaskRun.
const CHILD_REFERENCE_BYTES: usize = 130;
/// The rest of a PipelineRun's status (conditions, times, provenance) and the fields the API
/// server adds to its metadata (uid, managedFields, …).
const STATUS_FIXED_BYTES: usize = 4 * 1024;
/// A PipelineRun that only names a Pipeline, before its status.
const RUN_BY_NAME_BYTES: usize = 1024;

/// Refuses a run whose PipelineRun would not fit in etcd once Tekton has copied the pipeline
/// spec into its status (`status.pipelineSpec`) and listed its TaskRuns. `as_template` gives
/// the tasks `--kind pipeline` would write, for the help (only called on refusal).
pub fn check(ctx: &TektonContext, as_template: impl FnOnce() -> Result<Vec<TaskContext>>) -> Result<()> {
    let (estimate, by_name) = match ctx {
        TektonContext::Run(run) | TektonContext::Scheduled { pipeline: None, run, .. } => {
            (Estimate::new(json_len(run), &run.tasks), false)
        }
        TektonContext::Pipeline(p) => (Estimate::new(RUN_BY_NAME_BYTES, &p.tasks), true),
        TektonContext::Scheduled { pipeline: Some(p), run, .. } => (Estimate::new(json_len(run), &p.tasks), true),
    };
    if estimate.total() <= ETCD_MAX_BYTES {
        return Ok(());
    }
    let as_template = if by_name { None } else { Some(Estimate::new(RUN_BY_NAME_BYTES, &as_template()?).fitting()) };
    Err(estimate.error(by_name, as_template))
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
}

impl Estimate {
    fn new(object: usize, tasks: &[TaskContext]) -> Estimate {
        let spec_copy = json_len(tasks);
        Estimate { object, spec_copy, references: CHILD_REFERENCE_BYTES * tasks.len(), steps: tasks.len() }
    }

    fn total(&self) -> usize {
        self.object + self.spec_copy + self.references + STATUS_FIXED_BYTES
    }

    /// Steps of this pipeline one PipelineRun holds: what the run has besides its tasks, then
    /// per step its task (twice when the task is inline: in the spec and in the status copy)
    /// and a TaskRun reference.
    fn fitting(&self) -> usize {
        let per_task = self.spec_copy / self.steps.max(1);
        let inline = self.object > RUN_BY_NAME_BYTES;
        let fixed = self.object.saturating_sub(if inline { self.spec_copy } else { 0 }) + STATUS_FIXED_BYTES;
        let per_step = per_task * if inline { 2 } else { 1 } + CHILD_REFERENCE_BYTES;
        ETCD_MAX_BYTES.saturating_sub(fixed) / per_step
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
            mib(ETCD_MAX_BYTES),
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
