//! Reading an Argo Workflow (or WorkflowTemplate + CronWorkflow) back.

use std::collections::HashMap;

use serde_json::Value;

use super::substitute::argo_template;
use super::{
    argv, bug, container_env, k8s_resources, main_file, string_map, strings, yaml_documents, TaskView, RUN_ID,
};
use crate::backend::k8s::STEP_NAME_ANNOTATION;
use crate::backend::Artifact;
use crate::error::Result;

/// One view per container task, nested DAGs flattened in order; Argo's templating replayed
/// (the task's input parameters, then the run id).
pub fn read_back(artifacts: &[Artifact]) -> Result<Vec<TaskView>> {
    let docs = yaml_documents(main_file(artifacts)?)?;
    let wf = docs.first().ok_or_else(|| bug("no document".into()))?;
    if let Some(cron) = docs.get(1) {
        if cron["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] != wf["metadata"]["name"] {
            return Err(bug("the CronWorkflow does not instantiate the WorkflowTemplate".into()));
        }
    }
    let templates: HashMap<&str, &Value> = wf["spec"]["templates"]
        .as_array()
        .ok_or_else(|| bug("no spec.templates".into()))?
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or_default(), t))
        .collect();
    let entry = wf["spec"]["entrypoint"].as_str().ok_or_else(|| bug("no entrypoint".into()))?;
    let dag = *templates.get(entry).ok_or_else(|| bug(format!("no template `{entry}`")))?;
    let mut reader = Reader { templates, raw: HashMap::new(), views: Vec::new() };
    reader.dag(dag, &[], 0)?;
    Ok(reader.views)
}

struct Reader<'a> {
    templates: HashMap<&'a str, &'a Value>,
    /// Container templates as the JSON Argo substitutes in.
    raw: HashMap<&'a str, String>,
    views: Vec<TaskView>,
}

impl<'a> Reader<'a> {
    /// Reads the tasks of DAG template `dag`, which starts once the steps in `waits` are done;
    /// returns the steps (container tasks) it runs.
    fn dag(&mut self, dag: &'a Value, waits: &[String], depth: usize) -> Result<Vec<String>> {
        if depth > 2 {
            return Err(bug("DAGs nested more than twice".into()));
        }
        let tasks = dag["dag"]["tasks"].as_array().ok_or_else(|| bug("no DAG tasks".into()))?;
        // Per task seen so far: the steps it runs (a nested DAG) and all it waits for.
        let mut seen: HashMap<&str, (Vec<String>, Vec<String>)> = HashMap::new();
        for task in tasks {
            let name = task["name"].as_str().unwrap_or_default();
            let template = task["template"].as_str().unwrap_or_default();
            let t = *self.templates.get(template).ok_or_else(|| bug(format!("task `{name}` has no template")))?;
            let mut exact = Vec::new();
            let mut group_waits = waits.to_vec();
            let mut all_waits = waits.to_vec();
            for d in strings(&task["dependencies"]) {
                let (runs, before) = seen
                    .get(d.as_str())
                    .ok_or_else(|| bug(format!("task `{name}` waits for `{d}`, not an earlier task")))?;
                all_waits.extend(before.iter().cloned());
                if runs.is_empty() {
                    exact.push(d.clone());
                    all_waits.push(d);
                } else {
                    group_waits.extend(runs.iter().cloned());
                    group_waits.extend(before.iter().cloned());
                    all_waits.extend(runs.iter().cloned());
                }
            }
            all_waits.sort_unstable();
            all_waits.dedup();
            group_waits.sort_unstable();
            group_waits.dedup();
            if t.get("dag").is_some() {
                let runs = self.dag(t, &all_waits, depth + 1)?;
                seen.insert(name, (runs, all_waits));
            } else {
                let mut view = self.container(name, t, &task["arguments"]["parameters"])?;
                view.upstream = exact;
                view.group_waits = group_waits;
                self.views.push(view);
                seen.insert(name, (Vec::new(), all_waits));
            }
        }
        Ok(seen.into_values().flat_map(|(runs, _)| runs).chain(self.container_names(tasks)).collect())
    }

    /// Container tasks of a DAG's task list.
    fn container_names(&self, tasks: &[Value]) -> Vec<String> {
        tasks
            .iter()
            .filter(|t| {
                self.templates.get(t["template"].as_str().unwrap_or_default()).is_some_and(|t| t.get("dag").is_none())
            })
            .filter_map(|t| t["name"].as_str().map(String::from))
            .collect()
    }

    /// The task's container: its template with the task's arguments filled in, then the
    /// globals, as Argo does; then Kubernetes' `$(VAR)` expansion.
    fn container(&mut self, name: &str, t: &'a Value, arguments: &Value) -> Result<TaskView> {
        let key = t["name"].as_str().unwrap_or_default();
        let raw = self.raw.entry(key).or_insert_with(|| serde_json::to_string(t).expect("JSON values serialize"));
        let mut filled = raw.clone();
        for p in arguments.as_array().map_or(&[][..], Vec::as_slice) {
            let (param, value) = (p["name"].as_str().unwrap_or_default(), p["value"].as_str().unwrap_or_default());
            let quoted = serde_json::to_string(value).expect("strings serialize");
            filled = filled.replace(&format!("{{{{inputs.parameters.{param}}}}}"), &quoted[1..quoted.len() - 1]);
        }
        let filled = argo_template(&filled, RUN_ID).map_err(|e| bug(format!("task `{name}`: {e}")))?;
        let t: Value = serde_json::from_str(&filled).map_err(|e| bug(format!("task `{name}`: {e}")))?;
        let c = &t["container"];
        let same = |s: &str| s.to_string();
        let env = container_env(c["env"].as_array().map_or(&[][..], Vec::as_slice), same);
        Ok(TaskView {
            name: name.to_string(),
            step: t["metadata"]["annotations"][STEP_NAME_ANNOTATION].as_str().map(String::from),
            upstream: Vec::new(),
            group_waits: Vec::new(),
            image: c["image"].as_str().unwrap_or_default().to_string(),
            argv: argv(&c["command"], &c["args"], &env, same),
            env,
            labels: Some(string_map(&t["metadata"]["labels"])),
            resources: k8s_resources(&c["resources"]),
        })
    }
}
