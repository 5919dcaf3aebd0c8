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

use std::collections::HashSet;

use rustc_hash::FxHashMap;

use super::{Param, SharedTaskContext, TaskContext, TaskSpec, RUN_ID};
use crate::backend::k8s::{self, EnvEntry, SharedName, STEP_NAME_ANNOTATION};
use crate::backend::{alike, names};
use crate::ir::{Pipeline, POD_SELECTOR_LABELS};

/// The param that carries the step name (short: it is written once per step, and again in
/// each run's status).
pub const STEP_PARAM: &str = "step";
/// `$(params.step)`.
const STEP_PARAM_REF: &str = "$(params.step)";
/// The label Tekton puts on every TaskRun of a PipelineRun (and so on its pod): the
/// PipelineRun's uid (tektoncd/pipeline#8166, in v0.63).
pub const RUN_UID_LABEL: &str = "tekton.dev/pipelineRunUID";
/// Start of a shared Task's name; then 10 base-36 characters of a hash of its content.
const TASK_PREFIX: &str = "zenml-";

/// Groups the `tasks` (in step order, one per step of `p`) by what their taskSpecs hold
/// besides the step name, in first-use order. A group of two or more becomes a Task object
/// (returned) that its tasks refer to; a group of one keeps its inline taskSpec. A task without
/// a spec is in the group of the first step alike it (`first_alike`, `run::lower`).
pub fn share(p: &Pipeline, tasks: &mut [TaskContext], first_alike: &[usize]) -> Vec<SharedTaskContext> {
    struct Group {
        spec: TaskSpec,
        uses_param: bool,
        key: String,
        members: Vec<usize>,
    }
    let mut keys: FxHashMap<String, usize> = FxHashMap::default();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: Vec<Option<usize>> = vec![None; tasks.len()];
    for (i, (t, s)) in tasks.iter().zip(p.steps()).enumerate() {
        if first_alike[i] != i {
            if let Some(g) = group_of[first_alike[i]] {
                group_of[i] = Some(g);
                groups[g].members.push(i);
            }
            continue;
        }
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
        group_of[i] = Some(g);
        groups[g].members.push(i);
    }
    groups.retain(|g| g.members.len() > 1);
    let names = task_names(groups.iter().map(|g| g.key.as_str()), content_hash);
    let mut shared = Vec::new();
    for (g, name) in groups.into_iter().zip(names) {
        let Some(name) = name else { continue };
        let task = SharedName::from(name.as_str());
        for &i in &g.members {
            let step = p.steps()[i].name();
            tasks[i].spec = None;
            tasks[i].task_ref = Some(task.clone());
            tasks[i].param = g.uses_param.then(|| Param { name: STEP_PARAM, value: step.to_string() });
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

/// The Task name of each group key, `None` where an earlier key took the same name (two
/// contents with one hash): that group keeps its inline taskSpecs rather than overwrite the
/// other's Task.
fn task_names<'a>(keys: impl Iterator<Item = &'a str>, hash: fn(&str) -> String) -> Vec<Option<String>> {
    let mut taken = HashSet::new();
    keys.map(|k| {
        let name = format!("{TASK_PREFIX}{}", hash(k));
        taken.insert(name.clone()).then_some(name)
    })
    .collect()
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
        if args[i - 1] == alike::STEP_NAME_FLAG && args[i] == name {
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

/// Ten base-36 characters (51 bits) of FNV-1a (64 bit) of `s`: stable across platforms and
/// releases, and valid in a DNS-1123 name. Every pipeline task names its Task, and Tekton copies
/// the names into each run's status: each character costs 5 KB at 5,000 steps, so the name is a
/// fixed prefix and the hash (the pipeline is on the Task's `zenml.io/pipeline` label). Tasks
/// accumulate in a namespace, one set per snapshot, so the hash must keep them apart: among
/// 10,000 Tasks two collide with a chance of about 2 in 100 million (40 hex bits: 1 in 20,000).
fn content_hash(s: &str) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut h = names::fnv1a(s) >> 13;
    let mut out = [0u8; 10];
    for c in out.iter_mut().rev() {
        *c = DIGITS[(h % 36) as usize];
        h /= 36;
    }
    out.iter().map(|&c| char::from(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_collision_keeps_the_second_group_inline() {
        let names = task_names(["a", "b", "c"].into_iter(), |k| if k == "c" { "1".into() } else { "0".into() });
        assert_eq!(names, [Some("zenml-0".to_string()), None, Some("zenml-1".to_string())]);
    }

    #[test]
    fn task_names_are_ten_base36_characters() {
        let h = content_hash("some task spec");
        assert_eq!(h.len(), 10);
        assert!(h.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()), "{h}");
        assert_eq!(h, content_hash("some task spec"));
        assert_ne!(h, content_hash("some task spec "));
    }
}
