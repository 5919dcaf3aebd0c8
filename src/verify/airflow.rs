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

/// Python code that prints, as JSON, the literal keyword arguments of every
/// `KubernetesPodOperator(...)` call of the file on stdin, and the `a >> b` edges.
const AST_PROBE: &str = r#"
import ast, json, sys
tree = ast.parse(sys.stdin.read())
out = []
lit = lambda kw, k, d: ast.literal_eval(kw[k]) if k in kw else d
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "KubernetesPodOperator":
        kw = {k.arg: k.value for k in node.keywords}
        env = []
        for e in kw["env_vars"].elts if "env_vars" in kw else []:
            ek = {k.arg: ast.literal_eval(k.value) for k in e.keywords}
            env.append([ek["name"], ek["value"]])
        secrets = [[ast.literal_eval(a) for a in s.args] for s in kw["secrets"].elts] if "secrets" in kw else []
        res = {k.arg: ast.literal_eval(k.value) for k in kw["container_resources"].keywords} if "container_resources" in kw else {}
        out.append({"task_id": lit(kw, "task_id", None), "image": lit(kw, "image", None),
                    "cmds": lit(kw, "cmds", []), "arguments": lit(kw, "arguments", []), "env": env,
                    "secrets": secrets, "labels": lit(kw, "labels", {}), "annotations": lit(kw, "annotations", {}),
                    "resources": res})
edges = [(ast.literal_eval(n.left.slice), ast.literal_eval(n.right.slice)) for n in ast.walk(tree)
         if isinstance(n, ast.BinOp) and isinstance(n.op, ast.RShift)]
for op in out:
    op["upstream"] = [u for u, d in edges if d == op["task_id"]]
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
