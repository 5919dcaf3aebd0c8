//! Reading Tekton's output back: the Pipeline, the self-contained PipelineRun, or the
//! PipelineRun a schedule's ConfigMap holds.

use serde_json::Value;

use super::substitute::tekton_replace;
use super::{
    argv, bug, container_env, k8s_resources, main_file, string_map, strings, yaml_documents, TaskView, RUN_ID,
};
use crate::backend::k8s::STEP_NAME_ANNOTATION;
use crate::backend::tekton::MANIFEST_KEY;
use crate::backend::Artifact;
use crate::error::Result;

/// The context variable Tekton resolves to the PipelineRun's uid.
const RUN_UID: &str = "context.pipelineRun.uid";

/// One view per pipeline task; Tekton's param and context replacement replayed.
pub fn read_back(artifacts: &[Artifact]) -> Result<Vec<TaskView>> {
    let docs = yaml_documents(main_file(artifacts)?)?;
    let spec = pipeline_spec(&docs)?;
    let tasks = spec["tasks"].as_array().ok_or_else(|| bug("no tasks".into()))?;
    tasks.iter().map(view).collect()
}

/// The tasks' spec: of the Pipeline, or inline in the run (a document of its own, or the
/// manifest the schedule's ConfigMap holds). A run either is self-contained or names the
/// Pipeline of the same file.
fn pipeline_spec(docs: &[Value]) -> Result<Value> {
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
            Ok(pipeline["spec"].clone())
        }
        (None, Some(run)) if run["spec"].get("pipelineRef").is_none() => Ok(run["spec"]["pipelineSpec"].clone()),
        (None, _) => Err(bug("neither a Pipeline nor a self-contained PipelineRun".into())),
    }
}

fn view(t: &Value) -> Result<TaskView> {
    let name = t["name"].as_str().unwrap_or_default().to_string();
    let steps = t["taskSpec"]["steps"].as_array().ok_or_else(|| bug(format!("task `{name}`: no taskSpec")))?;
    let [c] = steps.as_slice() else {
        return Err(bug(format!("task `{name}`: {} steps in its taskSpec", steps.len())));
    };
    // Pipeline-task params get the run's context; the taskSpec then gets the params.
    let mut known: Vec<(String, String)> = t["params"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let value = tekton_replace(p["value"].as_str().unwrap_or_default(), &[(RUN_UID, RUN_ID)]);
            (format!("params.{}", p["name"].as_str().unwrap_or_default()), value)
        })
        .collect();
    known.push((RUN_UID.into(), RUN_ID.into()));
    let known: Vec<(&str, &str)> = known.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let replace = |s: &str| tekton_replace(s, &known);
    let env = container_env(c["env"].as_array().map_or(&[][..], Vec::as_slice), replace);
    let metadata = &t["taskSpec"]["metadata"];
    Ok(TaskView {
        step: metadata["annotations"][STEP_NAME_ANNOTATION].as_str().map(String::from),
        upstream: strings(&t["runAfter"]),
        group_waits: Vec::new(),
        image: c["image"].as_str().unwrap_or_default().to_string(),
        argv: argv(&c["command"], &c["args"], &env, replace),
        env,
        labels: Some(string_map(&metadata["labels"])),
        resources: k8s_resources(&c["computeResources"]),
        name,
    })
}
