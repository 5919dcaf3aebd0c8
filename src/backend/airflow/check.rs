//! Reading the output back (tests): through Python's `ast` when `python3` is on PATH.

use serde_json::{json, Value};

use super::jinja::{literal, protect_jinja};
use super::RUN_ID;
use crate::backend::k8s;
use crate::backend::Artifact;
use crate::error::Result;
use crate::ir::Pipeline;

/// Python code that prints, as JSON, the literal keyword arguments of every
/// `KubernetesPodOperator(...)` call of the file on stdin (read with `ast`, nothing imported).
const AST_PROBE: &str = r#"
import ast, json, sys
tree = ast.parse(sys.stdin.read())
out = []
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "KubernetesPodOperator":
        kw = {k.arg: k.value for k in node.keywords}
        env = {}
        for e in kw["env_vars"].elts if "env_vars" in kw else []:
            ek = {k.arg: ast.literal_eval(k.value) for k in e.keywords}
            env[ek["name"]] = ek["value"]
        res = {k.arg: ast.literal_eval(k.value) for k in kw["container_resources"].keywords} if "container_resources" in kw else None
        out.append({"task_id": ast.literal_eval(kw["task_id"]), "image": ast.literal_eval(kw["image"]),
                    "cmds": ast.literal_eval(kw["cmds"]), "arguments": ast.literal_eval(kw["arguments"]), "env": env,
                    "labels": ast.literal_eval(kw["labels"]) if "labels" in kw else {},
                    "resources": res})
edges = [(ast.literal_eval(n.left.slice), ast.literal_eval(n.right.slice)) for n in ast.walk(tree)
         if isinstance(n, ast.BinOp) and isinstance(n.op, ast.RShift)]
for op in out:
    op["upstream"] = [u for u, d in edges if d == op["task_id"]]
json.dump(out, sys.stdout)
"#;

/// Read the output back: every step is one operator whose image, command, arguments and
/// run-id variable are the protected values; with `python3` on PATH, through Python's `ast`.
pub fn check(p: &Pipeline, artifacts: &[Artifact]) -> Result<()> {
    use crate::validate::bug;
    let text = &artifacts.first().ok_or_else(|| bug("no output".into()))?.content;
    let want: Vec<Value> = p
        .steps()
        .iter()
        .map(|s| {
            json!({
                "image": protect_jinja(s.image()),
                "cmds": s.command().iter().map(|c| literal(c)).collect::<Vec<_>>(),
                "arguments": s.args().iter().map(|a| literal(a)).collect::<Vec<_>>(),
            })
        })
        .collect();
    for (s, w) in p.steps().iter().zip(&want) {
        for key in ["image", "cmds", "arguments"] {
            let line = format!("{key}={},", crate::render::python_literal(&w[key]));
            if !text.contains(&line) {
                return Err(bug(format!("step `{}`: `{line}` not in the DAG file", s.name())));
            }
        }
    }
    let Some(found) = ast_probe(text)? else { return Ok(()) };
    let found = found.as_array().ok_or_else(|| bug("ast probe: not a list".into()))?;
    if found.len() != p.steps().len() {
        return Err(bug(format!("{} operators for {} steps", found.len(), p.steps().len())));
    }
    let graph: Vec<(String, Vec<String>)> = found
        .iter()
        .map(|f| (f["task_id"].as_str().unwrap_or_default().to_string(), crate::validate::strings(&f["upstream"])))
        .collect();
    crate::validate::check_graph(p, &graph)?;
    for ((s, w), f) in p.steps().iter().zip(&want).zip(found) {
        for key in ["image", "cmds", "arguments"] {
            if f[key] != w[key] {
                return Err(bug(format!("step `{}`: {key} {} != {}", s.name(), f[key], w[key])));
            }
        }
        crate::validate::check_pod_labels(p, s, &f["labels"])?;
        if f["env"][p.run_id_env()].as_str() != Some(RUN_ID) {
            return Err(bug(format!("step `{}`: {} is not {RUN_ID}", s.name(), p.run_id_env())));
        }
        let resources = serde_json::to_value(k8s::resources(s.resources())).expect("serializable");
        if f["resources"] != resources {
            return Err(bug(format!("step `{}`: resources {} != {resources}", s.name(), f["resources"])));
        }
    }
    Ok(())
}

/// Run [`AST_PROBE`] with `python3`; `None` when there is no `python3`.
fn ast_probe(text: &str) -> Result<Option<Value>> {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use crate::validate::bug;
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

