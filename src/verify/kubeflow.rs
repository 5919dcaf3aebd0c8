//! Reading the KFP IR back: the PipelineSpec, the PlatformSpec, and the recurring run.

use serde_json::Value;

use super::substitute::kfp_placeholders;
use super::{bug, container_env, main_file, string_map, strings, yaml_documents, EnvView, Resources, TaskView, RUN_ID};
use crate::backend::kfp::{STEP_NAME_INPUT, STEP_NAME_REF};
use crate::backend::kubeflow::{RECURRING_RUN_SUFFIX, RUN_ID_FIELD_PATH};
use crate::backend::Artifact;
use crate::error::Result;

/// One view per root DAG task. KFP copies the container env verbatim and appends the
/// PlatformSpec's variables; Kubernetes expands `$(VAR)`; the launcher replaces its own
/// placeholders in the command line (none may be left).
pub fn read_back(artifacts: &[Artifact]) -> Result<Vec<TaskView>> {
    let docs = yaml_documents(main_file(artifacts)?)?;
    let [spec, platform] = docs.as_slice() else {
        return Err(bug(format!("{} YAML documents, expected PipelineSpec + PlatformSpec", docs.len())));
    };
    if spec["schemaVersion"].as_str() != Some("2.1.0") {
        return Err(bug("schemaVersion is not 2.1.0".into()));
    }
    check_recurring_run(artifacts, spec, platform)?;
    let tasks = spec["root"]["dag"]["tasks"].as_object().ok_or_else(|| bug("no root.dag.tasks".into()))?;
    let executors = &platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"];
    tasks.iter().map(|(name, task)| view(name, task, spec, executors)).collect()
}

fn view(name: &str, task: &Value, spec: &Value, platform: &Value) -> Result<TaskView> {
    if task["cachingOptions"].get("enableCache") == Some(&Value::Bool(true)) {
        return Err(bug(format!("task `{name}`: KFP caching is on")));
    }
    let component = task["componentRef"]["name"].as_str().unwrap_or_default();
    let label = spec["components"][component]["executorLabel"].as_str().unwrap_or_default();
    let c = &spec["deploymentSpec"]["executors"][label]["container"];
    let k8s = &platform[label];
    // A shared executor takes the step name as an input, which KFP's driver puts in the args
    // before the pod exists.
    let step_name = task["inputs"]["parameters"][STEP_NAME_INPUT]["runtimeValue"]["constant"].as_str();
    let resolve = |a: &str| step_name.map_or_else(|| a.to_string(), |n| a.replace(STEP_NAME_REF, n));
    // KFP runs on Argo, which would template a `{{` left in the pod spec.
    if resolve(&serde_json::to_string(c).expect("JSON values serialize")).contains("{{") {
        return Err(bug(format!("task `{name}`: Argo would template the container")));
    }
    let mut env = container_env(c["env"].as_array().map_or(&[][..], Vec::as_slice), str::to_string);
    env.extend(platform_env(k8s));
    let argv = strings(&c["command"])
        .iter()
        .chain(&strings(&c["args"]))
        .map(|a| kfp_placeholders(&resolve(a)).map_err(bug))
        .collect::<Result<Vec<String>>>()?;
    let visible = super::values(&env);
    let argv = argv.iter().map(|a| super::substitute::kubelet_expand(a, &visible)).collect();
    Ok(TaskView {
        name: name.to_string(),
        step: task["taskInfo"]["name"].as_str().map(String::from),
        upstream: strings(&task["dependentTasks"]),
        group_waits: Vec::new(),
        image: c["image"].as_str().unwrap_or_default().to_string(),
        argv,
        env,
        // One PlatformSpec entry serves every step of a shared executor: no per-step labels.
        labels: step_name.is_none().then(|| string_map(&k8s["podMetadata"]["labels"])),
        resources: resources(&c["resources"]),
    })
}

/// The PlatformSpec's variables: the run id from the `pipeline/runid` pod label, fields,
/// Secret and ConfigMap keys.
fn platform_env(k8s: &Value) -> Vec<(String, EnvView)> {
    let mut env = Vec::new();
    for e in k8s["fieldPathAsEnv"].as_array().into_iter().flatten() {
        let path = e["fieldPath"].as_str().unwrap_or_default();
        let view = if path == RUN_ID_FIELD_PATH {
            EnvView::Value(RUN_ID.into())
        } else {
            EnvView::From(serde_json::json!({"fieldRef": {"fieldPath": path}}))
        };
        env.push((e["name"].as_str().unwrap_or_default().to_string(), view));
    }
    for s in k8s["secretAsEnv"].as_array().into_iter().flatten() {
        for k in s["keyToEnv"].as_array().into_iter().flatten() {
            let view = EnvView::Secret {
                name: s["secretName"].as_str().unwrap_or_default().into(),
                key: k["secretKey"].as_str().unwrap_or_default().into(),
            };
            env.push((k["envVar"].as_str().unwrap_or_default().to_string(), view));
        }
    }
    for m in k8s["configMapAsEnv"].as_array().into_iter().flatten() {
        for k in m["keyToEnv"].as_array().into_iter().flatten() {
            env.push((k["envVar"].as_str().unwrap_or_default().to_string(), EnvView::From(m.clone())));
        }
    }
    env
}

/// KFP's resource fields as the driver gives them to the pod: the accelerator as a limit.
fn resources(r: &Value) -> Resources {
    let mut out = Resources::default();
    for (field, side, name) in [
        ("resourceCpuRequest", 0, "cpu"),
        ("resourceCpuLimit", 1, "cpu"),
        ("resourceMemoryRequest", 0, "memory"),
        ("resourceMemoryLimit", 1, "memory"),
    ] {
        if let Some(q) = r[field].as_str() {
            let map = if side == 0 { &mut out.requests } else { &mut out.limits };
            map.insert(name.into(), q.into());
        }
    }
    if let (Some(kind), Some(count)) =
        (r["accelerator"]["resourceType"].as_str(), r["accelerator"]["resourceCount"].as_str())
    {
        out.limits.insert(kind.into(), count.into());
    }
    out
}

/// A scheduled pipeline's recurring run carries exactly the compiled IR, with a six-field cron.
fn check_recurring_run(artifacts: &[Artifact], spec: &Value, platform: &Value) -> Result<()> {
    let Some(body) = artifacts.iter().find(|a| a.suffix == RECURRING_RUN_SUFFIX) else { return Ok(()) };
    let body: Value = serde_json::from_str(&body.content).map_err(|e| bug(format!("recurring run: {e}")))?;
    if body["pipeline_spec"]["pipeline_spec"] != *spec || body["pipeline_spec"]["platform_spec"] != *platform {
        return Err(bug("recurring run does not carry the compiled IR".into()));
    }
    if let Some(cron) = body["trigger"]["cron_schedule"]["cron"].as_str() {
        if cron.split_whitespace().count() != 6 {
            return Err(bug(format!("recurring-run cron `{cron}` is not 6 fields")));
        }
    }
    Ok(())
}
