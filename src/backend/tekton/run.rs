//! The Pipeline's tasks and the PipelineRun around them: pod settings that every step shares
//! go to the run's `taskRunTemplate`, the rest to per-task `taskRunSpecs`.

use std::collections::{BTreeMap, HashSet};

use super::{
    codes, task, NameRef, PipelineContext, PodTemplate, RunContext, TaskContext, TaskRunSpec, TaskSpec, POD_TEMPLATE_KEYS,
    RUN_PREFIX_MAX,
};
use crate::backend::alike;
use crate::backend::k8s::{self, EnvEntry, SharedName, STEP_NAME_ANNOTATION};
use crate::backend::names::{self, NameRule, StepNames};
use crate::error::{Result, Warning};
use crate::ir::{FailureMode, Pipeline, Step, POD_SELECTOR_LABELS};

/// IR → `PipelineContext` + `RunContext` (the run's `tasks` left empty).
///
/// | IR                        | Tekton                                                     |
/// |---------------------------|------------------------------------------------------------|
/// | step                      | pipeline task with inline `taskSpec`, one step `main`      |
/// | step.upstream             | `runAfter`                                                 |
/// | step.env (RunId)          | step env `$(context.pipelineRun.uid)` (propagated into inline taskSpecs) |
/// | step.env shared by all    | run `taskRunTemplate.podTemplate.env` (`inline`)           |
/// | step.resources            | step `computeResources`                                    |
/// | step.retry                | task `retries` (delay/backoff lost: `tekton-retry-backoff`) |
/// | step.timeout_seconds      | task `timeout`; run `timeouts.pipeline: 0s`                |
/// | pod.labels/annotations    | `taskSpec.metadata`; labels all tasks share on the PipelineRun (`inline`) |
/// | pod.volumes/volume_mounts | `taskSpec.volumes`, step `volumeMounts`                    |
/// | pod.security_context      | step `securityContext`                                     |
/// | pod.node_selector/...     | PipelineRun `taskRunTemplate.podTemplate` or `taskRunSpecs[].podTemplate` |
/// | pod.service_account       | `taskRunTemplate.serviceAccountName` or `taskRunSpecs[]`   |
/// | pod.host_ipc, grace period| lost: `tekton-pod-field`                                   |
/// | failure_mode              | Tekton stops scheduling after a failure: `tekton-failure-mode` |
/// | parallelism, ttl          | lost: `tekton-parallelism`, `tekton-ttl`                   |
///
/// A step alike an earlier one (`alike::first_alike`, returned) gets no taskSpec here: `fill`
/// copies it from that one's where it stays inline.
pub fn lower(
    p: &Pipeline,
    names: &StepNames,
    warnings: &mut Vec<Warning>,
) -> Result<(PipelineContext, RunContext, Vec<usize>)> {
    pipeline_warnings(p, warnings);
    let first_alike = alike::first_alike(p);
    let mut tasks = Vec::with_capacity(p.steps().len());
    // The pod template of each step lowered in full; a step alike one has that one's (its pod
    // settings are equal and written alike).
    let mut lowered = Vec::new();
    let mut pod_of = Vec::with_capacity(p.steps().len());
    let task_names = shared_names(names);
    for (i, s) in p.steps().iter().enumerate() {
        tasks.push(pipeline_task(p, names, &task_names, &first_alike, i)?);
        warn_lost_pod_fields(s, warnings);
        if first_alike[i] == i {
            lowered.push(pod_template(s));
            pod_of.push(lowered.len() - 1);
        } else {
            pod_of.push(pod_of[first_alike[i]]);
        }
    }
    let pods: Vec<&PodTemplate> = pod_of.iter().map(|&k| &lowered[k]).collect();
    let accounts: Vec<Option<&str>> =
        p.steps().iter().map(|s| s.pod().service_account().or(p.service_account())).collect();
    let shared_account = accounts.iter().all(|a| *a == accounts[0]);
    // Step 0 is lowered first: `lowered[0]` is its pod template.
    let shared_pod = lowered.iter().all(|t| *t == lowered[0]);
    let run = RunContext {
        header: crate::backend::header(p),
        generate_name: format!("{}-", names::sanitize(p.name(), &NameRule::dns_label(RUN_PREFIX_MAX))),
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: k8s::pipeline_annotations(p),
        pipeline_ref: None,
        tasks: Vec::new(),
        pipeline_timeout: "0s",
        service_account_name: if shared_account { accounts[0] } else { p.service_account() }.map(String::from),
        pod_template: (shared_pod && !pods[0].is_empty()).then(|| pods[0].clone()),
        task_run_specs: task_run_specs(names.names(), &accounts, &pods, shared_account, shared_pod),
    };
    let pipeline = PipelineContext {
        header: crate::backend::header(p),
        name: names::sanitize(p.name(), &NameRule::dns_label(63)),
        namespace: p.namespace().map(String::from),
        labels: k8s::managed_labels(),
        annotations: k8s::pipeline_annotations(p),
        tasks,
        shared: Vec::new(),
    };
    Ok((pipeline, run, first_alike))
}

/// A run's `tasks` as `lower` made them for the Pipeline: the taskSpecs that `inline` changed
/// (those of the steps lowered in full; the others have none yet) lowered again.
pub fn relower_specs(p: &Pipeline, tasks: &mut [TaskContext]) -> Result<()> {
    for (t, s) in tasks.iter_mut().zip(p.steps()) {
        if t.spec.is_some() {
            t.spec = Some(task::spec(p, s)?);
        }
    }
    Ok(())
}

/// Each step's task name, once for the task and the `runAfter` of the tasks after it.
fn shared_names(names: &StepNames) -> Vec<SharedName> {
    names.names().iter().map(|n| SharedName::from(n.as_str())).collect()
}

/// The pipeline task of step `i`; a step alike an earlier one gets no taskSpec yet (`fill`).
fn pipeline_task(
    p: &Pipeline,
    names: &StepNames,
    task_names: &[SharedName],
    first_alike: &[usize],
    i: usize,
) -> Result<TaskContext> {
    let s = &p.steps()[i];
    let spec = if first_alike[i] == i { Some(task::spec(p, s)?) } else { None };
    let run_after = names.upstream_indices(s).map(|u| task_names[u].clone()).collect();
    Ok(task::lower(s, task_names[i].clone(), run_after, spec))
}

/// The inline taskSpec of each task that has neither one nor a `taskRef`: a copy of the one of
/// the first step alike it, with its name (`first_alike` as `lower` returned it).
pub fn fill(p: &Pipeline, tasks: &mut [TaskContext], first_alike: &[usize]) -> Result<()> {
    for (i, s) in p.steps().iter().enumerate() {
        if tasks[i].spec.is_some() || tasks[i].task_ref.is_some() {
            continue;
        }
        let spec = match &tasks[first_alike[i]].spec {
            Some(first) if first_alike[i] < i => renamed(first, s),
            // The first one's spec went into a shared Task while this one's did not: not
            // the case (`share` groups alike steps together), but lowering is always right.
            _ => task::spec(p, s)?,
        };
        tasks[i].spec = Some(spec);
    }
    Ok(())
}

/// Puts `tasks` into the self-contained `run`, writing once what every task shares, so that a
/// PipelineRun holds as many steps as it can (etcd keeps at most 1.5 MiB per object):
///
/// - labels: on the PipelineRun. Tekton copies a PipelineRun's labels to each TaskRun and a
///   TaskRun's to its pod; a taskSpec's own labels are copied after them and win
///   (`pipelinerun.go` `getTaskrunLabels`, `pod.go` `makeLabels`). The step label stays per task.
/// - env: in `taskRunTemplate.podTemplate.env`, which Tekton adds after each step's own env
///   (a per-task pod template is merged over it by name; a copy goes there too, for Tekton
///   versions that replaced it instead). Equal in every step, no `$(` in its value (a value
///   only sees the variables before it) and no value of any step refers to it as `$(NAME)`:
///   then every container gets the same values as with the env written per step.
///
/// Tasks without a spec yet (`fill` copies them later from the first step alike, after this)
/// are left out: an alike step's labels and env are the first one's.
pub fn inline(run: &mut RunContext, mut tasks: Vec<TaskContext>) {
    let mut specs: Vec<&mut TaskSpec> = tasks.iter_mut().filter_map(|t| t.spec.as_mut()).collect();
    share_labels(&mut run.labels, &mut specs);
    let env = shared_env(&specs);
    if !env.is_empty() {
        let moved: HashSet<&str> = env.iter().map(|e| e.name.as_str()).collect();
        for t in &mut specs {
            t.step.env.retain(|e| !moved.contains(e.name.as_str()));
        }
        for spec in &mut run.task_run_specs {
            if let Some(pod) = &mut spec.pod_template {
                pod.env.clone_from(&env);
            }
        }
        run.pod_template.get_or_insert_with(PodTemplate::default).env = env;
    }
    run.tasks = tasks;
}

/// Moves the labels every task has with the same value (the step label excepted) to the run's
/// labels; a key the run already has stays per task.
fn share_labels(run_labels: &mut BTreeMap<String, String>, tasks: &mut [&mut TaskSpec]) {
    let Some((first, rest)) = tasks.split_first() else { return };
    let step_label = POD_SELECTOR_LABELS[2];
    let shared: Vec<(String, String)> = first
        .labels
        .iter()
        .filter(|&(k, v)| {
            k != step_label && !run_labels.contains_key(k) && rest.iter().all(|t| t.labels.get(k) == Some(v))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for t in tasks.iter_mut() {
        for (k, _) in &shared {
            t.labels.remove(k);
        }
    }
    run_labels.extend(shared);
}

/// The env entries that may be written once for all `tasks` (see `inline`), in step order.
fn shared_env(tasks: &[&mut TaskSpec]) -> Vec<EnvEntry> {
    let Some((first, rest)) = tasks.split_first() else { return Vec::new() };
    let mut referenced: HashSet<&str> = HashSet::new();
    for t in tasks {
        let values = t.step.env.iter().filter_map(|e| e.value.as_deref());
        for text in values.chain(t.step.command.iter().map(String::as_str)).chain(t.step.args.iter().map(String::as_str)) {
            referenced.extend(references(text));
        }
    }
    first
        .step
        .env
        .iter()
        .filter(|e| {
            e.value.as_deref().is_none_or(|v| !v.contains("$("))
                && !referenced.contains(e.name.as_str())
                && rest.iter().all(|t| t.step.env.contains(e))
        })
        .cloned()
        .collect()
}

/// The names `text` may refer to as `$(NAME)` (a `$$(NAME)`, which is none, included).
fn references(text: &str) -> impl Iterator<Item = &str> {
    text.split("$(").skip(1).filter_map(|after| after.split_once(')').map(|(name, _)| name))
}

/// Per-task service accounts and pod templates where steps differ (Tekton merges them over
/// the run's `taskRunTemplate`, per-task winning).
fn task_run_specs(
    names: &[String],
    accounts: &[Option<&str>],
    pods: &[&PodTemplate],
    shared_account: bool,
    shared_pod: bool,
) -> Vec<TaskRunSpec> {
    let mut specs = Vec::new();
    for ((name, account), pod) in names.iter().zip(accounts).zip(pods) {
        let account = if shared_account { None } else { account.map(String::from) };
        let pod = if shared_pod || pod.is_empty() { None } else { Some((*pod).clone()) };
        if account.is_some() || pod.is_some() {
            specs.push(TaskRunSpec { pipeline_task_name: name.clone(), service_account_name: account, pod_template: pod });
        }
    }
    specs
}

/// Pipeline settings Tekton has no field for.
fn pipeline_warnings(p: &Pipeline, warnings: &mut Vec<Warning>) {
    failure_mode_warning(p, warnings);
    if p.parallelism().is_some() {
        warnings.push(Warning::new(
            &codes::PARALLELISM,
            "Tekton has no per-run limit on parallel tasks: `parallelism` is not carried (a ResourceQuota on the namespace can cap pods)",
        ));
    }
    if p.ttl_seconds_after_finished().is_some() {
        warnings.push(Warning::new(
            &codes::TTL,
            "Tekton has no per-run TTL: finished PipelineRuns are kept until pruned (tektoncd pruner or `tkn pipelinerun delete --keep`)",
        ));
    }
    if p.steps().iter().any(|s| s.retry().is_some_and(|r| r.delay_seconds() > 0 || r.backoff_factor() > 1)) {
        warnings.push(Warning::new(
            &codes::RETRY_BACKOFF,
            "Tekton retries a task at once: the retry delay and backoff factor are not carried, only the number of retries",
        ));
    }
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
        &codes::FAILURE_MODE,
        format!("execution mode {what} (steps `{}` and `{}` are independent)", a.name(), b.name()),
    ));
}

/// What `pod.Template` cannot hold of a step's pod settings is a warning.
fn warn_lost_pod_fields(s: &Step, warnings: &mut Vec<Warning>) {
    let mut lost = Vec::new();
    if s.pod().host_ipc() {
        lost.push("host_ipc".to_string());
    }
    if s.pod().termination_grace_period_seconds().is_some() {
        lost.push("pod_stop_grace_period (terminationGracePeriodSeconds)".to_string());
    }
    for k in s.pod().extra_pod_spec().keys() {
        if !POD_TEMPLATE_KEYS.contains(&k.as_str()) {
            lost.push(format!("additional_pod_spec_args.{k}"));
        }
    }
    if !lost.is_empty() {
        warnings.push(Warning::new(
            &codes::POD_FIELD,
            format!("step `{}`: Tekton's pod template has no field for {}; not carried", s.name(), lost.join(", ")),
        ));
    }
}

/// The run-level pod settings of a step (what it cannot hold: `warn_lost_pod_fields`).
fn pod_template(s: &Step) -> PodTemplate {
    let extra: BTreeMap<String, serde_json::Value> = s
        .pod()
        .extra_pod_spec()
        .iter()
        .filter(|(k, _)| POD_TEMPLATE_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    PodTemplate {
        env: Vec::new(),
        node_selector: s.pod().node_selector().clone(),
        tolerations: s.pod().tolerations().to_vec(),
        affinity: s.pod().affinity().cloned(),
        image_pull_secrets: s.pod().image_pull_secrets().iter().map(|n| NameRef { name: n.clone() }).collect(),
        scheduler_name: s.pod().scheduler_name().map(String::from),
        extra,
    }
}

/// `spec` (the taskSpec of a step alike `s`) with the name of `s` in it.
pub(super) fn renamed(spec: &TaskSpec, s: &Step) -> TaskSpec {
    let name = s.name();
    let mut spec = spec.clone();
    for i in alike::name_positions(s) {
        name.clone_into(&mut spec.step.args[i]);
    }
    if let Some(v) = spec.labels.get_mut(POD_SELECTOR_LABELS[2]) {
        name.clone_into(v);
    }
    if let Some(v) = spec.annotations.get_mut(STEP_NAME_ANNOTATION) {
        name.clone_into(v);
    }
    spec
}
