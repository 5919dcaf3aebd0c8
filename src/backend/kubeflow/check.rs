//! Reading the output back (tests).

use serde_json::Value;

use super::executor::{literal, resources};
use super::{RECURRING_RUN_SUFFIX, RUN_ID_FIELD_PATH};
use crate::backend::Artifact;
use crate::error::Result;
use crate::ir::{Pipeline, Trigger};

/// Read the output back: per step a task named after the step, its executor with the image,
/// command and args, and the run-id variable delivered from the `pipeline/runid` pod label.
pub fn check(p: &Pipeline, artifacts: &[Artifact]) -> Result<()> {
    use crate::validate::{bug, yaml_documents};
    let first = artifacts.first().ok_or_else(|| bug("no output".into()))?;
    let docs = yaml_documents(&first.content)?;
    let [spec, platform] = docs.as_slice() else {
        return Err(bug(format!("{} YAML documents, expected PipelineSpec + PlatformSpec", docs.len())));
    };
    if spec["schemaVersion"].as_str() != Some("2.1.0") {
        return Err(bug("schemaVersion is not 2.1.0".into()));
    }
    let tasks = spec["root"]["dag"]["tasks"].as_object().ok_or_else(|| bug("no root.dag.tasks".into()))?;
    if tasks.len() != p.steps().len() {
        return Err(bug(format!("{} tasks for {} steps", tasks.len(), p.steps().len())));
    }
    let mut graph = Vec::new();
    for step in p.steps() {
        let (name, task) = tasks
            .iter()
            .find(|(_, t)| t["taskInfo"]["name"].as_str() == Some(step.name()))
            .ok_or_else(|| bug(format!("no task for step `{}`", step.name())))?;
        graph.push((name.clone(), crate::validate::strings(&task["dependentTasks"])));
    }
    crate::validate::check_graph(p, &graph)?;
    let strings =
        |v: &Value| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>());
    for step in p.steps() {
        let (_, task) = tasks
            .iter()
            .find(|(_, t)| t["taskInfo"]["name"].as_str() == Some(step.name()))
            .ok_or_else(|| bug(format!("no task for step `{}`", step.name())))?;
        if task["cachingOptions"].get("enableCache") == Some(&Value::Bool(true)) {
            return Err(bug(format!("step `{}`: KFP caching is on", step.name())));
        }
        let component = task["componentRef"]["name"].as_str().unwrap_or_default();
        let label = spec["components"][component]["executorLabel"].as_str().unwrap_or_default();
        let c = &spec["deploymentSpec"]["executors"][label]["container"];
        if c["image"].as_str() != Some(step.image()) {
            return Err(bug(format!("step `{}`: image {} != {}", step.name(), c["image"], step.image())));
        }
        let want_args: Vec<String> = step.args().iter().map(|a| literal(a)).collect();
        let want_cmd: Vec<String> = step.command().iter().map(|a| literal(a)).collect();
        if strings(&c["args"]) != Some(want_args) || strings(&c["command"]) != Some(want_cmd) {
            return Err(bug(format!("step `{}`: command/args differ", step.name())));
        }
        let want = serde_json::to_value(resources(step)).expect("serializable");
        if c["resources"] != want {
            return Err(bug(format!("step `{}`: resources {} != {want}", step.name(), c["resources"])));
        }
        if c["env"].as_array().into_iter().flatten().any(|e| e["name"].as_str() == Some(p.run_id_env())) {
            return Err(bug(format!(
                "step `{}`: {} in container env, where KFP does not resolve it",
                step.name(),
                p.run_id_env()
            )));
        }
        let k8s = &platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"][label];
        crate::validate::check_pod_labels(p, step, &k8s["podMetadata"]["labels"])?;
        let run_id =
            k8s["fieldPathAsEnv"].as_array().into_iter().flatten().find(|e| e["name"].as_str() == Some(p.run_id_env()));
        if run_id.and_then(|e| e["fieldPath"].as_str()) != Some(RUN_ID_FIELD_PATH) {
            return Err(bug(format!("step `{}`: {} is not the pipeline/runid label", step.name(), p.run_id_env())));
        }
    }
    if p.schedule().as_ref().is_some_and(|s| !matches!(s.trigger(), Trigger::Once { .. })) {
        let body = artifacts
            .iter()
            .find(|a| a.suffix == RECURRING_RUN_SUFFIX)
            .ok_or_else(|| bug("scheduled pipeline without a recurring run".into()))?;
        let body: Value = serde_json::from_str(&body.content).map_err(|e| bug(format!("recurring run: {e}")))?;
        if body["pipeline_spec"]["pipeline_spec"] != *spec || body["pipeline_spec"]["platform_spec"] != *platform {
            return Err(bug("recurring run does not carry the compiled IR".into()));
        }
        if let Some(cron) = body["trigger"]["cron_schedule"]["cron"].as_str() {
            if cron.split_whitespace().count() != 6 {
                return Err(bug(format!("recurring-run cron `{cron}` is not 6 fields")));
            }
        }
    }
    Ok(())
}

