//! Reading the output back (tests).

use serde_json::Value;

use super::escape::TektonText;
use super::{MANIFEST_KEY, RUN_ID, RUN_ID_PARAM, RUN_ID_REF};
use crate::backend::k8s::{self, EnvText};
use crate::backend::Artifact;
use crate::error::Result;
use crate::ir::Pipeline;

/// Read the output back: one pipeline task per step with its image, command, args and the run
/// id in the flavor's variable, fed by a task param that Tekton fills from the PipelineRun uid.
pub fn check(p: &Pipeline, artifacts: &[Artifact]) -> Result<()> {
    use crate::validate::{bug, yaml_documents};
    let docs = yaml_documents(&artifacts.first().ok_or_else(|| bug("no output".into()))?.content)?;
    let pipeline = docs.iter().find(|d| d["kind"] == "Pipeline");
    // The run: a document of its own, or the manifest the schedule's ConfigMap holds.
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
    // A run is self-contained (the tasks inline, no Pipeline beside it) or names the Pipeline
    // of the same file.
    let spec = match (pipeline, &run) {
        (Some(pipeline), run) => {
            let name = pipeline["metadata"]["name"].as_str();
            if run.as_ref().is_some_and(|r| r["spec"]["pipelineRef"]["name"].as_str() != name) {
                return Err(bug("the PipelineRun does not reference the Pipeline".into()));
            }
            &pipeline["spec"]
        }
        (None, Some(run)) if run["spec"].get("pipelineRef").is_none() => &run["spec"]["pipelineSpec"],
        (None, _) => return Err(bug("neither a Pipeline nor a self-contained PipelineRun".into())),
    };
    let tasks = spec["tasks"].as_array().ok_or_else(|| bug("no tasks".into()))?;
    if tasks.len() != p.steps().len() {
        return Err(bug(format!("{} tasks for {} steps", tasks.len(), p.steps().len())));
    }
    let graph: Vec<(String, Vec<String>)> = tasks
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or_default().to_string(), crate::validate::strings(&t["runAfter"])))
        .collect();
    crate::validate::check_graph(p, &graph)?;
    let strings =
        |v: &Value| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>());
    let text = TektonText;
    for (step, t) in p.steps().iter().zip(tasks) {
        crate::validate::check_pod_labels(p, step, &t["taskSpec"]["metadata"]["labels"])?;
        let steps =
            t["taskSpec"]["steps"].as_array().ok_or_else(|| bug(format!("step `{}`: no taskSpec", step.name())))?;
        let [c] = steps.as_slice() else {
            return Err(bug(format!("step `{}`: {} steps in its taskSpec", step.name(), steps.len())));
        };
        if c["image"].as_str() != Some(step.image()) {
            return Err(bug(format!("step `{}`: image {} != {}", step.name(), c["image"], step.image())));
        }
        let param = t["params"].as_array().and_then(|ps| ps.iter().find(|x| x["name"] == RUN_ID_PARAM));
        if param.and_then(|x| x["value"].as_str()) != Some(RUN_ID) {
            return Err(bug(format!("step `{}`: no {RUN_ID_PARAM} param with the PipelineRun uid", step.name())));
        }
        let env = c["env"].as_array().ok_or_else(|| bug(format!("step `{}` has no env", step.name())))?;
        let run_id = env.iter().find(|e| e["name"].as_str() == Some(p.run_id_env()));
        if run_id.and_then(|e| e["value"].as_str()) != Some(RUN_ID_REF) {
            return Err(bug(format!("step `{}`: {} is not the run-id param", step.name(), p.run_id_env())));
        }
        let want_args: Vec<String> = step.args().iter().map(|a| text.literal(a)).collect();
        let want_cmd: Vec<String> = step.command().iter().map(|a| text.literal(a)).collect();
        if strings(&c["args"]) != Some(want_args) || strings(&c["command"]) != Some(want_cmd) {
            return Err(bug(format!("step `{}`: command/args differ", step.name())));
        }
        let resources = serde_json::to_value(k8s::resources(step.resources())).expect("serializable");
        if c["computeResources"] != resources {
            return Err(bug(format!(
                "step `{}`: computeResources {} != {resources}",
                step.name(),
                c["computeResources"]
            )));
        }
    }
    Ok(())
}

