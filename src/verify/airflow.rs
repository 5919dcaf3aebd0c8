//! Reading an Airflow DAG file back, through Python's own parser (`ast`: nothing is imported or
//! run), then Airflow's Jinja rendering and Kubernetes' `$(VAR)` expansion replayed.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::substitute::{jinja_render, kubelet_expand};
use super::{bug, k8s_resources, main_file, strings, values, EnvView, TaskView, RUN_ID};
use crate::backend::k8s::STEP_NAME_ANNOTATION;
use crate::backend::Artifact;
use crate::error::Result;

/// Python code that prints, as JSON, the keyword arguments every `KubernetesPodOperator(...)`
/// call of the file on stdin ends up with (its own, then the DAG's `default_args`), module
/// constants resolved, and the upstream tasks of its `set_upstream([...])`. Only literals,
/// constant names, `*` / `**` unpacking and calls are understood; anything else is an error
/// (`ast.literal_eval`'s).
const AST_PROBE: &str = r#"
import ast, json, sys
tree = ast.parse(sys.stdin.read())
names = {}
def ev(n):
    if isinstance(n, ast.Constant):
        return n.value
    if isinstance(n, ast.Name):
        return names[n.id]
    if isinstance(n, ast.List):
        out = []
        for e in n.elts:
            out += ev(e.value) if isinstance(e, ast.Starred) else [ev(e)]
        return out
    if isinstance(n, ast.Dict):
        out = {}
        for k, v in zip(n.keys, n.values):
            if k is None:
                out.update(ev(v))
            else:
                out[ev(k)] = ev(v)
        return out
    if isinstance(n, ast.Call):
        return {"call": ast.unparse(n.func), "args": [ev(a) for a in n.args],
                "kw": {k.arg: ev(k.value) for k in n.keywords}}
    return ast.literal_eval(n)
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        names[node.targets[0].id] = ev(node.value)
defaults = {}
for node in ast.walk(tree):
    if isinstance(node, ast.With):
        for item in node.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "DAG":
                defaults = {k.arg: ev(k.value) for k in call.keywords}.get("default_args", {})
out = []
upstream = {}
for node in ast.walk(tree):
    if not isinstance(node, ast.Call):
        continue
    if getattr(node.func, "id", None) == "KubernetesPodOperator":
        kw = {**defaults, **{k.arg: ev(k.value) for k in node.keywords}}
        env = kw.get("env_vars") or []
        if isinstance(env, dict):
            env = [[k, v] for k, v in env.items()]
        else:
            env = [[e["kw"]["name"], e["kw"]["value"]] for e in env]
        res = kw.get("container_resources")
        out.append({"task_id": kw["task_id"], "image": kw.get("image"), "cmds": kw.get("cmds", []),
                    "arguments": kw.get("arguments", []), "env": env,
                    "secrets": [s["args"] for s in kw.get("secrets", [])],
                    "labels": kw.get("labels", {}), "annotations": kw.get("annotations", {}),
                    "resources": res["kw"] if res else {}})
    elif getattr(node.func, "attr", None) == "set_upstream":
        task = ev(node.func.value.slice)
        upstream[task] = upstream.get(task, []) + [ev(u.slice) for u in node.args[0].elts]
for op in out:
    op["upstream"] = upstream.get(op["task_id"], [])
json.dump(out, sys.stdout)
"#;

/// One view per operator; `None` without `python3`.
pub fn read_back(artifacts: &[Artifact]) -> Result<Option<Vec<TaskView>>> {
    let Some(found) = ast_probe(main_file(artifacts)?)? else { return Ok(None) };
    let operators = found.as_array().ok_or_else(|| bug("ast probe: not a list".into()))?;
    operators.iter().map(view).collect::<Result<Vec<_>>>().map(Some)
}

fn view(op: &Value) -> Result<TaskView> {
    let render = |s: &str| jinja_render(s, RUN_ID).map_err(bug);
    let text = |v: &Value| render(v.as_str().unwrap_or_default());
    let mut env: Vec<(String, EnvView)> = Vec::new();
    for pair in op["env"].as_array().into_iter().flatten() {
        let value = kubelet_expand(&text(&pair[1])?, &values(&env));
        env.push((text(&pair[0])?, EnvView::Value(value)));
    }
    for s in op["secrets"].as_array().into_iter().flatten() {
        let [_, var, name, key] = [0, 1, 2, 3].map(|i| s[i].as_str().unwrap_or_default().to_string());
        env.push((var, EnvView::Secret { name, key }));
    }
    let visible = values(&env);
    let argv = strings(&op["cmds"])
        .iter()
        .chain(&strings(&op["arguments"]))
        .map(|a| render(a).map(|a| kubelet_expand(&a, &visible)))
        .collect::<Result<Vec<_>>>()?;
    let labels = op["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| Ok((k.clone(), text(v)?)))
        .collect::<Result<_>>()?;
    Ok(TaskView {
        name: op["task_id"].as_str().unwrap_or_default().to_string(),
        step: op["annotations"][STEP_NAME_ANNOTATION].as_str().map(render).transpose()?,
        upstream: strings(&op["upstream"]),
        group_waits: Vec::new(),
        image: text(&op["image"])?,
        argv,
        env,
        labels: Some(labels),
        resources: k8s_resources(&op["resources"]),
    })
}

/// Run [`AST_PROBE`] with `python3`; `None` when there is no `python3`.
fn ast_probe(text: &str) -> Result<Option<Value>> {
    let child = Command::new("python3")
        .args(["-c", AST_PROBE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else { return Ok(None) };
    child.stdin.take().expect("stdin is piped").write_all(text.as_bytes()).map_err(|e| bug(format!("python3: {e}")))?;
    let out = child.wait_with_output().map_err(|e| bug(format!("python3: {e}")))?;
    if !out.status.success() {
        return Err(bug(format!("the DAG file does not parse: {}", String::from_utf8_lossy(&out.stderr))));
    }
    serde_json::from_slice(&out.stdout).map(Some).map_err(|e| bug(format!("ast probe output: {e}")))
}
