//! `--kind pipeline`: steps that differ only in their name run one Task object, which gets the
//! name as a param; a pipeline of 5,000 alike steps is one Task and 5,000 short pipeline tasks
//! (name, `taskRef`, `params`, `runAfter`), and its PipelineRun's copy of the Pipeline in
//! `status.pipelineSpec` stays small enough for etcd.
//!
//! What a referenced Task cannot have, and what it gets instead:
//!
//! - `$(context.pipelineRun.uid)`: Tekton substitutes pipeline context only in a Pipeline and
//!   its inline taskSpecs (`pipelinerun/resources/apply.go` `ApplyContexts`; docs/variables.md
//!   lists `context.pipelineRun.*` for Pipelines only). The run id comes from the label
//!   `tekton.dev/pipelineRunUID` that Tekton (v0.63 and later, so every v1.x) puts on each
//!   TaskRun of a PipelineRun and that the TaskRun's pod inherits, read through the downward
//!   API: the same for every task and retry of one run, new for every run, 0 bytes per task.
//! - per-step labels and annotations: a Pipeline cannot set a referenced Task's metadata, so
//!   `zenml.io/step` and `zenml.io/step-name` are not written (Tekton's own
//!   `tekton.dev/pipelineTask` label names the task), as for Kubeflow's shared executors.
//!
//! Tekton replaces `$(params.step)` in the step's args with the value as it is, and the
//! kubelet then expands `$(VAR)` and `$$` in it: only a name that is a valid label value
//! (`[A-Za-z0-9._-]`, no `$`) passes both unchanged. Any other step keeps its inline taskSpec.

use std::collections::HashMap;

use super::{SharedTaskContext, TaskContext, TaskRef, TaskSpec, RUN_ID};
use crate::backend::k8s::{self, EnvEntry, STEP_NAME_ANNOTATION};
use crate::backend::names;
use crate::ir::{Pipeline, POD_SELECTOR_LABELS};

/// The param that carries the step name (short: it is written once per step, and again in
/// each run's status).
pub const STEP_PARAM: &str = "step";
/// `$(params.step)`.
const STEP_PARAM_REF: &str = "$(params.step)";
/// The label Tekton puts on every TaskRun of a PipelineRun (and so on its pod): the
/// PipelineRun's uid (tektoncd/pipeline#8166, in v0.63).
pub const RUN_UID_LABEL: &str = "tekton.dev/pipelineRunUID";
/// Start of a shared Task's name; then 10 hex characters of a hash of its content.
const TASK_PREFIX: &str = "zenml-";

/// Groups the inline `tasks` (in step order, one per step of `p`) by what their taskSpecs hold
/// besides the step name, in first-use order. A group of two or more becomes a Task object
/// (returned) that its tasks refer to; a group of one keeps its inline taskSpec.
pub fn share(p: &Pipeline, tasks: &mut [TaskContext]) -> Vec<SharedTaskContext> {
    struct Group {
        spec: TaskSpec,
        uses_param: bool,
        key: String,
        members: Vec<usize>,
    }
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (i, (t, s)) in tasks.iter().zip(p.steps()).enumerate() {
        let Some((spec, uses_param)) = t.spec.as_ref().and_then(|spec| parametrize(s.name(), spec)) else { continue };
        let key = serde_json::to_string(&(&spec, uses_param)).expect("a task spec serializes");
        // Pipeline context a referenced Task would not see (`parametrize` took out the run id).
        if key.contains("$(context.") {
            continue;
        }
        let g = if let Some(&g) = keys.get(&key) {
            g
        } else {
            keys.insert(key.clone(), groups.len());
            groups.push(Group { spec, uses_param, key, members: Vec::new() });
            groups.len() - 1
        };
        groups[g].members.push(i);
    }
    let mut shared = Vec::new();
    for g in groups.into_iter().filter(|g| g.members.len() > 1) {
        let name = format!("{TASK_PREFIX}{}", content_hash(&g.key));
        for &i in &g.members {
            let step = p.steps()[i].name();
            let params = if g.uses_param { vec![(STEP_PARAM, step.to_string())] } else { Vec::new() };
            tasks[i].spec = None;
            tasks[i].task_ref = Some(TaskRef { name: name.clone(), params });
        }
        shared.push(SharedTaskContext {
            header: crate::backend::header(p),
            name,
            namespace: p.namespace().map(String::from),
            params: if g.uses_param { vec![STEP_PARAM] } else { Vec::new() },
            spec: g.spec,
        });
    }
    shared
}

/// `spec` as a shared Task would hold it: the step name in `--step_name` replaced by the
/// param (and whether it was), the step label and annotation left out, the run id read from
/// the TaskRun's label. `None`: a name that is not a plain label value.
fn parametrize(name: &str, spec: &TaskSpec) -> Option<(TaskSpec, bool)> {
    if name.is_empty() || !names::is_label_value(name) {
        return None;
    }
    let mut spec = spec.clone();
    let mut uses_param = false;
    let args = &mut spec.step.args;
    for i in 1..args.len() {
        if args[i - 1] == "--step_name" && args[i] == name {
            args[i] = STEP_PARAM_REF.to_string();
            uses_param = true;
        }
    }
    let step_label = POD_SELECTOR_LABELS[2];
    if spec.labels.get(step_label).is_some_and(|v| v == name) {
        spec.labels.remove(step_label);
    }
    if spec.annotations.get(STEP_NAME_ANNOTATION).is_some_and(|v| v == name) {
        spec.annotations.remove(STEP_NAME_ANNOTATION);
    }
    spec.labels.extend(k8s::managed_labels());
    for e in &mut spec.step.env {
        if e.value.as_deref() == Some(RUN_ID) {
            *e = run_id_from_label(&e.name);
        }
    }
    Some((spec, uses_param))
}

/// The env entry `name` holding the PipelineRun's uid, from the pod's label.
pub fn run_id_from_label(name: &str) -> EnvEntry {
    EnvEntry {
        name: name.to_string(),
        value: None,
        value_from: Some(
            serde_json::json!({"fieldRef": {"fieldPath": format!("metadata.labels['{RUN_UID_LABEL}']")}}),
        ),
    }
}

/// Ten hex characters (40 bits) of FNV-1a (64 bit) of `s`: stable across platforms and
/// releases. Every pipeline task names its Task, and Tekton copies the names into each run's
/// status: each character costs 5 KB at 5,000 steps, so the name is a fixed prefix and the
/// hash (the pipeline is on the Task's `zenml.io/pipeline` label). Different content gets a
/// different name unless 40-bit hashes collide (about 1 in 20,000 among 10,000 Tasks).
fn content_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:010x}", h >> 24)
}
