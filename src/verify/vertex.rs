//! Reading the Vertex AI spec back: one PipelineSpec; Vertex AI resolves the run-id input to
//! the PipelineJob id, the `/bin/sh` wrapper exports it and runs ZenML's command line.

use serde_json::Value;

use super::substitute::{kfp_placeholders, kubelet_expand};
use super::{bug, container_env, main_file, strings, values, yaml_documents, EnvView, Resources, TaskView, RUN_ID};
use crate::backend::kfp::{STEP_NAME_INPUT, STEP_NAME_REF};
use crate::backend::vertex::{wrapper_script, RUN_ID as PIPELINE_JOB_NAME, RUN_ID_INPUT, SCHEDULE_SUFFIX, SHELL};
use crate::backend::Artifact;
use crate::error::Result;

/// One view per root DAG task.
pub fn read_back(artifacts: &[Artifact]) -> Result<Vec<TaskView>> {
    let docs = yaml_documents(main_file(artifacts)?)?;
    let [spec] = docs.as_slice() else {
        return Err(bug(format!("{} YAML documents: Vertex AI's loader reads exactly one", docs.len())));
    };
    check_schedule(artifacts, spec)?;
    let tasks = spec["root"]["dag"]["tasks"].as_object().ok_or_else(|| bug("no root.dag.tasks".into()))?;
    tasks.iter().map(|(name, task)| view(name, task, spec)).collect()
}

fn view(name: &str, task: &Value, spec: &Value) -> Result<TaskView> {
    if task["cachingOptions"]["enableCache"] != Value::Bool(false) {
        return Err(bug(format!("task `{name}`: caching is not off")));
    }
    let component = task["componentRef"]["name"].as_str().unwrap_or_default();
    let label = spec["components"][component]["executorLabel"].as_str().unwrap_or_default();
    let c = &spec["deploymentSpec"]["executors"][label]["container"];
    let run_id = &task["inputs"]["parameters"][RUN_ID_INPUT]["runtimeValue"]["constant"];
    if run_id.as_str() != Some(PIPELINE_JOB_NAME) {
        return Err(bug(format!("task `{name}`: the run-id input is {run_id}")));
    }
    let mut env = container_env(c["env"].as_array().map_or(&[][..], Vec::as_slice), str::to_string);
    // Vertex AI's placeholders, then (if it does) Kubernetes' expansion: both readings must agree.
    let resolved = strings(&c["command"])
        .iter()
        .chain(&strings(&c["args"]))
        .map(|a| {
            let placeholder = format!("{{{{$.inputs.parameters['{RUN_ID_INPUT}']}}}}");
            let mut a = a.replace(&placeholder, RUN_ID);
            // A shared executor takes the step name as an input (a name with no `$` or `{`).
            if let Some(step) = task["inputs"]["parameters"][STEP_NAME_INPUT]["runtimeValue"]["constant"].as_str() {
                a = a.replace(STEP_NAME_REF, step);
            }
            kfp_placeholders(&a).map_err(bug)
        })
        .collect::<Result<Vec<String>>>()?;
    let expanded: Vec<String> = resolved.iter().map(|a| kubelet_expand(a, &values(&env))).collect();
    if expanded != resolved {
        return Err(bug(format!("task `{name}`: `$(VAR)` expansion would change the command line")));
    }
    let argv = unwrap_shell(name, &resolved, &mut env)?;
    Ok(TaskView {
        name: name.to_string(),
        step: task["taskInfo"]["name"].as_str().map(String::from),
        upstream: strings(&task["dependentTasks"]),
        group_waits: Vec::new(),
        image: c["image"].as_str().unwrap_or_default().to_string(),
        argv,
        env,
        labels: None,
        resources: resources(&c["resources"]),
    })
}

/// `sh -c 'export VAR="$0"; exec "$@"' RUN_ID COMMAND…`: the process is COMMAND…, with VAR set.
fn unwrap_shell(name: &str, argv: &[String], env: &mut Vec<(String, EnvView)>) -> Result<Vec<String>> {
    let [sh, c, script, run_id, rest @ ..] = argv else {
        return Err(bug(format!("task `{name}`: no run-id wrapper")));
    };
    let var = script.strip_prefix("export ").and_then(|s| s.split_once('=')).map(|(v, _)| v).unwrap_or_default();
    if [sh.as_str(), c.as_str()] != SHELL || *script != wrapper_script(var) {
        return Err(bug(format!("task `{name}`: the command is not the run-id wrapper: {argv:?}")));
    }
    env.push((var.to_string(), EnvView::Value(run_id.clone())));
    Ok(rest.to_vec())
}

/// The limits Vertex AI reads, in Kubernetes' vocabulary (`K` is decimal kilo, as `k`; the
/// accelerator is the GPU).
fn resources(r: &Value) -> Resources {
    let mut out = Resources::default();
    if let Some(cpu) = r["resourceCpuLimit"].as_str() {
        out.limits.insert("cpu".into(), cpu.into());
    }
    if let Some(memory) = r["resourceMemoryLimit"].as_str() {
        let memory = memory.strip_suffix('K').map_or_else(|| memory.to_string(), |n| format!("{n}k"));
        out.limits.insert("memory".into(), memory);
    }
    if let Some(count) = r["accelerator"]["resourceCount"].as_str() {
        out.limits.insert(crate::ir::GPU_RESOURCE.into(), count.into());
    }
    out
}

/// A scheduled pipeline's schedule body carries exactly the compiled spec and a five-field cron.
fn check_schedule(artifacts: &[Artifact], spec: &Value) -> Result<()> {
    let Some(body) = artifacts.iter().find(|a| a.suffix == SCHEDULE_SUFFIX) else { return Ok(()) };
    let body: Value = serde_json::from_str(&body.content).map_err(|e| bug(format!("schedule: {e}")))?;
    if body["createPipelineJobRequest"]["pipelineJob"]["pipelineSpec"] != *spec {
        return Err(bug("the schedule does not carry the compiled spec".into()));
    }
    let cron = body["cron"].as_str().unwrap_or_default();
    let fields = cron.strip_prefix("TZ=").map_or(cron, |c| c.split_once(' ').map_or("", |(_, f)| f));
    if fields.split_whitespace().count() != 5 {
        return Err(bug(format!("schedule cron `{cron}` is not 5 fields")));
    }
    Ok(())
}
