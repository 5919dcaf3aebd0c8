//! Reading an Argo Workflow (or WorkflowTemplate + CronWorkflow) back.

use serde_json::Value;

use super::substitute::argo_template;
use super::{
    argv, bug, container_env, k8s_resources, main_file, string_map, strings, yaml_documents, TaskView, RUN_ID,
};
use crate::backend::argo::DAG_TEMPLATE;
use crate::backend::k8s::STEP_NAME_ANNOTATION;
use crate::backend::Artifact;
use crate::error::Result;

/// One view per container template, in DAG order; Argo's templating replayed (the run id).
pub fn read_back(artifacts: &[Artifact]) -> Result<Vec<TaskView>> {
    let docs = yaml_documents(main_file(artifacts)?)?;
    let wf = docs.first().ok_or_else(|| bug("no document".into()))?;
    let templates = wf["spec"]["templates"].as_array().ok_or_else(|| bug("no spec.templates".into()))?;
    let dag = templates.iter().find(|t| t["name"] == DAG_TEMPLATE).ok_or_else(|| bug("no DAG template".into()))?;
    if let Some(cron) = docs.get(1) {
        if cron["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] != wf["metadata"]["name"] {
            return Err(bug("the CronWorkflow does not instantiate the WorkflowTemplate".into()));
        }
    }
    let tasks = dag["dag"]["tasks"].as_array().ok_or_else(|| bug("no DAG tasks".into()))?;
    tasks.iter().map(|task| view(task, templates)).collect()
}

fn view(task: &Value, templates: &[Value]) -> Result<TaskView> {
    let name = task["name"].as_str().unwrap_or_default();
    let t = templates
        .iter()
        .find(|t| t["name"] == task["template"])
        .ok_or_else(|| bug(format!("task `{name}` has no template")))?;
    // Argo templates every string of the template, then Kubernetes expands `$(VAR)`.
    let raw = serde_json::to_string(t).expect("JSON values serialize");
    argo_template(&raw, RUN_ID).map_err(bug)?;
    let replace = |s: &str| argo_template(s, RUN_ID).unwrap_or_default();
    let c = &t["container"];
    let env = container_env(c["env"].as_array().map_or(&[][..], Vec::as_slice), replace);
    Ok(TaskView {
        name: name.to_string(),
        step: t["metadata"]["annotations"][STEP_NAME_ANNOTATION].as_str().map(String::from),
        upstream: strings(&task["dependencies"]),
        image: c["image"].as_str().unwrap_or_default().to_string(),
        argv: argv(&c["command"], &c["args"], &env, replace),
        env,
        labels: Some(string_map(&t["metadata"]["labels"])),
        resources: k8s_resources(&c["resources"]),
    })
}
