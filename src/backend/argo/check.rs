//! Reading the output back (tests).

use serde_json::Value;

use super::step::ArgoText;
use super::{DAG_TEMPLATE, RUN_ID};
use crate::backend::k8s::{self, EnvText};
use crate::backend::Artifact;
use crate::error::Result;
use crate::ir::Pipeline;

pub fn check(p: &Pipeline, artifacts: &[Artifact]) -> Result<()> {
    use crate::validate::{bug, yaml_documents};
    let docs = yaml_documents(&artifacts.first().ok_or_else(|| bug("no output".into()))?.content)?;
    let wf = docs.first().ok_or_else(|| bug("no document".into()))?;
    let templates = wf["spec"]["templates"].as_array().ok_or_else(|| bug("no spec.templates".into()))?;
    let dag = templates.iter().find(|t| t["name"] == DAG_TEMPLATE).ok_or_else(|| bug("no DAG template".into()))?;
    let graph: Vec<(String, Vec<String>)> = dag["dag"]["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["name"].as_str().unwrap_or_default().to_string(), crate::validate::strings(&t["dependencies"])))
        .collect();
    crate::validate::check_graph(p, &graph)?;
    let containers: Vec<&Value> = templates.iter().filter(|t| t.get("container").is_some()).collect();
    if containers.len() != p.steps().len() {
        return Err(bug(format!("{} container templates for {} steps", containers.len(), p.steps().len())));
    }
    for (step, t) in p.steps().iter().zip(containers) {
        crate::validate::check_pod_labels(p, step, &t["metadata"]["labels"])?;
        let c = &t["container"];
        if c["image"].as_str() != Some(step.image()) {
            return Err(bug(format!("step `{}`: image {} != {}", step.name(), c["image"], step.image())));
        }
        let env = c["env"].as_array().ok_or_else(|| bug(format!("step `{}` has no env", step.name())))?;
        let run_id = env.iter().find(|e| e["name"].as_str() == Some(p.run_id_env()));
        if run_id.and_then(|e| e["value"].as_str()) != Some(RUN_ID) {
            return Err(bug(format!("step `{}`: {} is not the workflow uid", step.name(), p.run_id_env())));
        }
        let strings = |v: &Value| {
            v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>())
        };
        let text = ArgoText;
        let want_args: Vec<String> = step.args().iter().map(|a| text.literal(a)).collect();
        let want_cmd: Vec<String> = step.command().iter().map(|a| text.literal(a)).collect();
        if strings(&c["args"]) != Some(want_args) || strings(&c["command"]) != Some(want_cmd) {
            return Err(bug(format!("step `{}`: command/args differ", step.name())));
        }
        let resources = serde_json::to_value(k8s::resources(step.resources())).expect("serializable");
        if c["resources"] != resources {
            return Err(bug(format!("step `{}`: resources {} != {resources}", step.name(), c["resources"])));
        }
    }
    Ok(())
}
