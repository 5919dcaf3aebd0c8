//! Reading Tekton's output back: the Pipeline (with the shared Tasks its tasks refer to), the
//! self-contained PipelineRun, or the PipelineRun a schedule's ConfigMap holds.

use serde_json::Value;

use super::substitute::tekton_replace;
use super::{
    argv, bug, container_env, k8s_resources, main_file, string_map, strings, yaml_documents, TaskView, RUN_ID,
};
use crate::backend::k8s::STEP_NAME_ANNOTATION;
use crate::backend::tekton::{MANIFEST_KEY, RUN_UID_LABEL, STEP_PARAM};
use crate::backend::Artifact;
use crate::error::Result;

/// The context variable Tekton resolves to the PipelineRun's uid.
const RUN_UID: &str = "context.pipelineRun.uid";

/// One view per pipeline task; Tekton's param and context replacement replayed.
pub fn read_back(artifacts: &[Artifact]) -> Result<Vec<TaskView>> {
    let docs = yaml_documents(main_file(artifacts)?)?;
    let (spec, run) = pipeline_spec(&docs)?;
    let tasks = spec["tasks"].as_array().ok_or_else(|| bug("no tasks".into()))?;
    let shared: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Task").collect();
    tasks.iter().map(|t| view(t, &shared, run.as_ref())).collect()
}

/// The tasks' spec: of the Pipeline, or inline in the run (a document of its own, or the
/// manifest the schedule's ConfigMap holds), and the run if there is one. A run either is
/// self-contained or names the Pipeline of the same file.
fn pipeline_spec(docs: &[Value]) -> Result<(Value, Option<Value>)> {
    let pipeline = docs.iter().find(|d| d["kind"] == "Pipeline");
    let run = match docs.iter().find(|d| d["kind"] == "PipelineRun") {
        Some(run) => Some(run.clone()),
        None => match docs.iter().find(|d| d["kind"] == "ConfigMap") {
            Some(cm) => {
                let text = cm["data"][MANIFEST_KEY].as_str().ok_or_else(|| bug("ConfigMap without manifest".into()))?;
                yaml_documents(text)?.into_iter().next()
            }
            None => None,
        },
    };
    match (pipeline, &run) {
        (Some(pipeline), run) => {
            let name = pipeline["metadata"]["name"].as_str();
            if run.as_ref().is_some_and(|r| r["spec"]["pipelineRef"]["name"].as_str() != name) {
                return Err(bug("the PipelineRun does not reference the Pipeline".into()));
            }
            Ok((pipeline["spec"].clone(), run.clone()))
        }
        (None, Some(run)) if run["spec"].get("pipelineRef").is_none() => {
            Ok((run["spec"]["pipelineSpec"].clone(), Some(run.clone())))
        }
        (None, _) => Err(bug("neither a Pipeline nor a self-contained PipelineRun".into())),
    }
}

fn view(t: &Value, shared: &[&Value], run: Option<&Value>) -> Result<TaskView> {
    let name = t["name"].as_str().unwrap_or_default().to_string();
    let (spec, metadata, by_ref) = match t["taskRef"]["name"].as_str() {
        Some(task) => {
            let found = shared.iter().find(|d| d["metadata"]["name"] == task);
            let d = found.ok_or_else(|| bug(format!("task `{name}`: no Task `{task}` in the output")))?;
            if t["taskRef"]["kind"] != "Task" {
                return Err(bug(format!("task `{name}`: taskRef kind {}", t["taskRef"]["kind"])));
            }
            (&d["spec"], &d["metadata"], true)
        }
        None => (&t["taskSpec"], &t["taskSpec"]["metadata"], false),
    };
    let steps = spec["steps"].as_array().ok_or_else(|| bug(format!("task `{name}`: no taskSpec")))?;
    let [c] = steps.as_slice() else {
        return Err(bug(format!("task `{name}`: {} steps in its taskSpec", steps.len())));
    };
    let declared = strings(&spec["params"].as_array().into_iter().flatten().map(|p| p["name"].clone()).collect());
    if by_ref && t["params"].as_array().into_iter().flatten().any(|p| !declared.iter().any(|d| p["name"] == **d)) {
        return Err(bug(format!("task `{name}`: a param its Task does not declare")));
    }
    // Pipeline-task params get the run's context; the taskSpec then gets the params. A
    // referenced Task sees no pipeline context: only its params, and its pod's labels.
    let mut known: Vec<(String, String)> = t["params"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let value = tekton_replace(p["value"].as_str().unwrap_or_default(), &[(RUN_UID, RUN_ID)]);
            (format!("params.{}", p["name"].as_str().unwrap_or_default()), value)
        })
        .collect();
    if !by_ref {
        known.push((RUN_UID.into(), RUN_ID.into()));
    }
    let known: Vec<(&str, &str)> = known.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let replace = |s: &str| tekton_replace(s, &known);
    let env = container_env(&step_env(c, run, &name, &replace), ToString::to_string);
    // A TaskRun gets the run's labels, then its Task's; its pod gets the TaskRun's. A shared
    // Task has no per-step labels: not compared (as for Kubeflow's shared executors).
    let mut labels = run.map(|r| string_map(&r["metadata"]["labels"])).unwrap_or_default();
    labels.extend(string_map(&metadata["labels"]));
    let step = if by_ref {
        t["params"].as_array().into_iter().flatten().find(|p| p["name"] == STEP_PARAM).and_then(|p| p["value"].as_str())
    } else {
        metadata["annotations"][STEP_NAME_ANNOTATION].as_str()
    };
    Ok(TaskView {
        step: step.map(String::from),
        upstream: strings(&t["runAfter"]),
        group_waits: Vec::new(),
        image: c["image"].as_str().unwrap_or_default().to_string(),
        argv: argv(&c["command"], &c["args"], &env, replace),
        env,
        labels: (!by_ref).then_some(labels),
        resources: k8s_resources(&c["computeResources"]),
        name,
    })
}

/// The step's env with Tekton's replacement done, then the run's pod-template env (the task's
/// own pod template merged over the run's by name), which Tekton adds after it and which wins
/// on equal names (`pkg/pod/pod.go` `Build`; `pod.MergePodTemplateWithDefault`).
fn step_env(c: &Value, run: Option<&Value>, task: &str, replace: &impl Fn(&str) -> String) -> Vec<Value> {
    let entries = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mut pod = run.map(|r| entries(&r["spec"]["taskRunTemplate"]["podTemplate"]["env"])).unwrap_or_default();
    let own = run
        .and_then(|r| r["spec"]["taskRunSpecs"].as_array())
        .into_iter()
        .flatten()
        .find(|s| s["pipelineTaskName"] == task)
        .map(|s| entries(&s["podTemplate"]["env"]))
        .unwrap_or_default();
    pod.retain(|e| own.iter().all(|o| o["name"] != e["name"]));
    pod.splice(0..0, own);
    let mut env: Vec<Value> = entries(&c["env"])
        .into_iter()
        .filter(|e| pod.iter().all(|p| p["name"] != e["name"]))
        .map(|mut e| {
            if let Some(v) = e["value"].as_str() {
                e["value"] = Value::String(replace(v));
            } else if e["valueFrom"] == run_uid_label() {
                // The downward API reads the label Tekton sets to the PipelineRun's uid.
                e = serde_json::json!({"name": e["name"], "value": RUN_ID});
            }
            e
        })
        .collect();
    env.extend(pod);
    env
}

/// The `valueFrom` of the PipelineRun's uid (`tekton.dev/pipelineRunUID` on the pod).
fn run_uid_label() -> Value {
    serde_json::json!({"fieldRef": {"fieldPath": format!("metadata.labels['{RUN_UID_LABEL}']")}})
}
