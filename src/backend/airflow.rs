//! Lowering of the IR to one Apache Airflow DAG file (Airflow 3, or 2.9+ with `--airflow-version 2`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::k8s;
use super::names::{self, NameRule};
use super::{Artifact, EngineOptions};
use crate::error::{Result, Warning};
use crate::ir::{Concurrency, EnvValue, FailureMode, Pipeline, Step, Trigger, UtcDateTime};
use crate::render::Renderer;

const ENGINE: &str = "airflow";
/// Airflow's per-run id, rendered by Airflow's Jinja at run time: the same for every task of a
/// DAG run, new for every run (`manual__…`, `scheduled__…`), unchanged by task retries.
pub const RUN_ID: &str = "{{ run_id }}";
/// The KPO's container name: `full_pod_spec` is merged into the operator's pod by index, and
/// the operator's own container is called `base`.
const BASE_CONTAINER: &str = "base";
/// Suffixes that make Airflow read a templated string as a template *file* name when they are
/// in an operator's `template_ext` (apache/airflow#16922). The KPO of cncf.kubernetes 10.25 has
/// `template_ext = ()`; older providers had `("yml", "yaml", "json")` and other operators add
/// `sql`. `endswith` is not dot-aware, so the suffixes are matched without a dot.
const TEMPLATE_SUFFIXES: &[&str] = &["json", "yaml", "yml", "sql"];

/// `dag_id` and `task_id`: Airflow's `validate_key` (`^[\w.-]+$`, ≤250), ASCII only (`re2`
/// reads `\w` as ASCII).
const ID_RULE: NameRule =
    NameRule { max_len: 250, start_letter: false, allow_dots: true, allow_underscore: true, allow_upper: true };

/// Input of `templates/airflow/dag.py.j2`.
#[derive(Debug, Serialize)]
pub struct DagContext {
    /// Header comment lines (`backend::header`).
    pub header: Vec<String>,
    /// Module docstring (a Python string literal once escaped).
    pub docstring: String,
    /// Emit Airflow 2.9+ imports and parameter names instead of Airflow 3's.
    pub airflow2: bool,
    pub dag_id: String,
    /// Cron schedule: five fields, read in `timezone`.
    pub cron: Option<String>,
    /// IANA time zone of the cron schedule.
    pub timezone: Option<String>,
    /// Interval schedule, in seconds.
    pub interval_seconds: Option<u64>,
    /// A single run at `start_date` (`@once`).
    pub once: bool,
    /// First run moment, ISO 8601 with `+00:00` (UTC).
    pub start_date: Option<String>,
    /// Last run moment, ISO 8601 with `+00:00` (UTC).
    pub end_date: Option<String>,
    pub catchup: bool,
    /// DAG runs at once (1 when the schedule forbids overlapping runs).
    pub max_active_runs: Option<u32>,
    /// Tasks of one DAG run at once (pipeline `parallelism`).
    pub max_active_tasks: Option<u32>,
    /// Stop the run at the first failed task (`fail_fast`, Airflow 2: `fail_stop`).
    pub fail_fast: bool,
    /// Created paused (schedule inactive) or not; `None` leaves Airflow's config default.
    pub is_paused_upon_creation: Option<bool>,
    pub tags: Vec<String>,
    /// `description` shown in the Airflow UI: the pipeline's description.
    pub description: Option<String>,
    /// Some task needs the `Secret` import.
    pub uses_secrets: bool,
    /// Some task needs the `PodGenerator` import.
    pub uses_pod_spec: bool,
    /// One KubernetesPodOperator per step, in topological order.
    pub tasks: Vec<TaskContext>,
}

/// One `KubernetesPodOperator`. Strings marked *templated* are already Jinja-protected.
#[derive(Debug, Serialize)]
pub struct TaskContext {
    pub task_id: String,
    /// Pod name stem (templated; KPO adds a random suffix).
    pub name: String,
    pub namespace: Option<String>,
    /// Container image (templated).
    pub image: String,
    /// Container command (templated).
    pub cmds: Vec<String>,
    /// Container arguments (templated).
    pub arguments: Vec<String>,
    /// `V1EnvVar(name, value)` entries (templated), in order.
    pub env_vars: Vec<EnvPair>,
    /// Secret-backed variables (`Secret("env", …)`, not templated).
    pub secrets: Vec<SecretEnv>,
    pub container_resources: Option<ContainerResources>,
    /// Node selector (values templated).
    pub node_selector: BTreeMap<String, String>,
    /// Pod labels (values templated).
    pub labels: BTreeMap<String, String>,
    /// Pod annotations (values templated).
    pub annotations: BTreeMap<String, String>,
    pub service_account_name: Option<String>,
    pub image_pull_secrets: Vec<String>,
    pub schedulername: Option<String>,
    pub priority_class_name: Option<String>,
    /// Seconds the pod gets to stop.
    pub termination_grace_period: Option<u64>,
    /// Kubernetes API JSON (camelCase) of a base pod for everything the operator has no typed
    /// argument for (tolerations, affinity, volumes, `valueFrom`, …); not templated.
    pub full_pod_spec: Option<Value>,
    /// Retries after the first attempt (0 when ZenML retries in-process).
    pub retries: u32,
    /// Seconds before a retry.
    pub retry_delay_seconds: Option<u64>,
    /// Airflow 3: delay multiplier (number); Airflow 2: `True` (factor 2).
    pub retry_exponential_backoff: Option<Value>,
    /// Task deadline in seconds.
    pub execution_timeout_seconds: Option<u64>,
    /// Task ids that must finish first.
    pub upstream: Vec<String>,
}

/// `k8s.V1ResourceRequirements(requests=…, limits=…)`: either side may be absent.
#[derive(Debug, Serialize)]
pub struct ContainerResources {
    /// Requests by resource name, Kubernetes quantities (`500m`, `2Gi`).
    pub requests: Option<BTreeMap<String, String>>,
    /// Limits by resource name.
    pub limits: Option<BTreeMap<String, String>>,
}

/// The step's resources; `None` when it sets none.
fn container_resources(s: &Step) -> Option<ContainerResources> {
    let side = |m: &BTreeMap<String, crate::ir::Quantity>| {
        (!m.is_empty()).then(|| m.iter().map(|(k, q)| (k.clone(), q.to_string())).collect())
    };
    let r = s.resources();
    (!r.is_empty()).then(|| ContainerResources { requests: side(r.requests()), limits: side(r.limits()) })
}

/// A literal environment variable.
#[derive(Debug, Serialize)]
pub struct EnvPair {
    pub name: String,
    pub value: String,
}

/// `Secret("env", deploy_target, secret, key)`.
#[derive(Debug, Serialize)]
pub struct SecretEnv {
    pub env: String,
    pub secret: String,
    pub key: String,
}

/// Makes `s` come out of Airflow's Jinja rendering unchanged. Jinja starts code at `{{`,
/// `{%` and `{#`, turns `\r\n`/`\r` into `\n` and drops one trailing `\n`; each of those
/// characters is written as a Jinja string expression instead (`{{ '{' }}`). A string ending
/// in a `template_ext` suffix gets an empty expression appended so it is not read as a file
/// name. Airflow renders once, so the result renders back to `s` exactly.
pub fn protect_jinja(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if matches!(chars.peek(), Some('{' | '%' | '#')) => out.push_str("{{ '{' }}"),
            '\r' => out.push_str("{{ '\\r' }}"),
            '\n' if chars.peek().is_none() => out.push_str("{{ '\\n' }}"),
            c => out.push(c),
        }
    }
    if TEMPLATE_SUFFIXES.iter().any(|x| out.ends_with(x)) {
        out.push_str("{{ '' }}");
    }
    out
}

/// A ZenML literal in `cmds`/`arguments`/env: survives Kubernetes' `$(VAR)` and Airflow's Jinja.
fn literal(s: &str) -> String {
    protect_jinja(&k8s::escape_dollars(s))
}

/// Compile `p` into one Airflow DAG file.
pub fn compile(
    p: &Pipeline,
    opts: &EngineOptions,
    renderer: &Renderer,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Artifact>> {
    let ctx = lower(p, opts, warnings)?;
    let content = renderer.render(ENGINE, "dag.py.j2", &ctx)?;
    Ok(vec![Artifact { suffix: "airflow.py".into(), content }])
}

/// Airflow refuses tags over 100 characters: cut them, with a warning.
fn tags(p: &Pipeline, warnings: &mut Vec<Warning>) -> Vec<String> {
    const MAX: usize = 100;
    p.tags()
        .iter()
        .map(|t| {
            if t.chars().count() <= MAX {
                return t.clone();
            }
            warnings.push(Warning::new("airflow-tag-length", format!("tag `{t}` cut to Airflow's {MAX} characters")));
            t.chars().take(MAX).collect()
        })
        .collect()
}

/// IR → `DagContext`.
///
/// | IR                          | Airflow                                                      |
/// |-----------------------------|--------------------------------------------------------------|
/// | pipeline name               | `dag_id` (sanitised, ≤250)                                   |
/// | step                        | `KubernetesPodOperator(task_id=…)`; upstream → `a >> b`      |
/// | step.image/command/args     | `image`, `cmds`, `arguments` (Jinja-protected, `$$`)         |
/// | env Literal/Kubernetes      | `env_vars=[k8s.V1EnvVar(name, value)]`                       |
/// | env RunId                   | `"{{ run_id }}"`                                             |
/// | env Secret                  | `secrets=[Secret("env", NAME, secret, key)]`                 |
/// | env ValueFrom, env_from     | `full_pod_spec` container `base`                             |
/// | step.resources              | `container_resources=k8s.V1ResourceRequirements`             |
/// | step.retry                  | `retries`, `retry_delay`, `retry_exponential_backoff`        |
/// | step.timeout_seconds        | `execution_timeout`                                          |
/// | pod node_selector/labels/annotations/service account/pull secrets/scheduler/priority/grace | operator arguments |
/// | pod tolerations/affinity/volumes/mounts/security context/hostIPC/extra | `full_pod_spec` |
/// | schedule cron/interval/once | `CronTriggerTimetable(cron, timezone)`, `timedelta`, `@once` |
/// | schedule start/end/catchup  | `start_date`, `end_date` (UTC), `catchup`                    |
/// | concurrency Forbid/Replace  | `max_active_runs=1`                                          |
/// | failure_mode                | `fail_fast`                                                  |
/// | parallelism                 | `max_active_tasks`                                           |
fn lower(p: &Pipeline, opts: &EngineOptions, warnings: &mut Vec<Warning>) -> Result<DagContext> {
    let airflow2 = opts.airflow_version == 2;
    let inputs: Vec<String> = p.steps().iter().map(|s| s.name().to_string()).collect();
    let input_refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let task_ids = names::assign(&input_refs, &ID_RULE, &[], "Airflow")?;
    let originals: Vec<&str> = p.steps().iter().map(|s| s.name()).collect();
    let pod_names = names::assign(&originals, &NameRule::dns_label(63), &[], "Airflow")?;
    let by_step: BTreeMap<&str, &str> = originals.iter().copied().zip(task_ids.iter().map(String::as_str)).collect();

    let fail_fast = match p.failure_mode() {
        FailureMode::ContinueOnFailure => false,
        FailureMode::FailFast => true,
        FailureMode::StopOnFailure => {
            // Only tasks that run at the same time as the failed one can tell the difference.
            if let Some((a, b)) = p.unordered_pair() {
                warnings.push(Warning::new(
                    "airflow-stop-on-failure",
                    format!(
                        "execution mode stop_on_failure: Airflow's fail_fast also stops the tasks that are still running (steps `{}` and `{}` are independent)",
                        a.name(), b.name()
                    ),
                ));
            }
            true
        }
    };
    if p.ttl_seconds_after_finished().is_some() {
        warnings.push(Warning::new(
            "airflow-ttl",
            "Airflow keeps DAG runs in its database (pods are deleted when a task ends); `ttl_seconds_after_finished` ignored",
        ));
    }

    let tasks = p
        .steps()
        .iter()
        .zip(task_ids.iter().zip(&pod_names))
        .map(|(s, (task_id, pod_name))| {
            let upstream = s.upstream().iter().map(|u| by_step[u.as_str()].to_string()).collect();
            lower_step(p, s, task_id, pod_name, upstream, airflow2, warnings)
        })
        .collect::<Vec<_>>();

    let mut ctx = DagContext {
        header: super::header(p),
        docstring: format!(
            "ZenML pipeline `{}` (snapshot {}): one KubernetesPodOperator per step.",
            p.name(),
            p.snapshot_id()
        ),
        airflow2,
        dag_id: names::sanitize(p.name(), &ID_RULE),
        cron: None,
        timezone: None,
        interval_seconds: None,
        once: false,
        start_date: None,
        end_date: None,
        catchup: false,
        max_active_runs: None,
        max_active_tasks: p.parallelism(),
        fail_fast,
        is_paused_upon_creation: None,
        tags: tags(p, warnings),
        description: p.description().map(String::from),
        uses_secrets: tasks.iter().any(|t| !t.secrets.is_empty()),
        uses_pod_spec: tasks.iter().any(|t| t.full_pod_spec.is_some()),
        tasks,
    };
    if let Some(s) = p.schedule() {
        match &s.trigger() {
            Trigger::Cron(c) => {
                ctx.cron = Some(c.five_fields().to_string());
                // Airflow's default_timezone is UTC unless configured; ZenML reads cron in UTC.
                ctx.timezone = Some(s.timezone().map(String::from).unwrap_or_else(|| "UTC".into()));
            }
            Trigger::Interval { seconds } => ctx.interval_seconds = Some(*seconds),
            Trigger::Once { at } => {
                ctx.once = true;
                ctx.start_date = Some(iso(at));
            }
        }
        if let Some(start) = s.start() {
            ctx.start_date = Some(iso(&start));
        }
        ctx.end_date = s.end().as_ref().map(iso);
        // Airflow refuses `catchup=True` without a `start_date` (ZenML allows it).
        ctx.catchup = s.catchup() && ctx.start_date.is_some();
        if s.catchup() && ctx.start_date.is_none() {
            warnings.push(Warning::new(
                "airflow-catchup-start",
                "catchup needs a start time in Airflow, and the schedule has none: catchup=False",
            ));
        }
        ctx.is_paused_upon_creation = Some(!s.active());
        ctx.max_active_runs = match s.concurrency() {
            None | Some(Concurrency::Allow) => None,
            Some(Concurrency::Forbid) => Some(1),
            Some(Concurrency::Replace) => {
                warnings.push(Warning::new(
                    "airflow-concurrency-replace",
                    "concurrency Replace: Airflow cannot cancel the running DAG run; max_active_runs=1 queues the next one instead",
                ));
                Some(1)
            }
        };
        if s.starting_deadline_seconds().is_some() {
            warnings.push(Warning::new(
                "airflow-starting-deadline",
                "Airflow has no starting deadline for a scheduled run; `starting_deadline_seconds` ignored",
            ));
        }
        if s.successful_history_limit().is_some() || s.failed_history_limit().is_some() {
            warnings.push(Warning::new(
                "airflow-history-limit",
                "Airflow keeps every DAG run (clean up with `airflow db clean`); history limits ignored",
            ));
        }
    }
    Ok(ctx)
}

/// `2030-01-01T00:00:00+00:00`: what `datetime.fromisoformat` reads as UTC-aware on every
/// Python Airflow supports (a `Z` suffix needs Python 3.11).
fn iso(t: &UtcDateTime) -> String {
    format!("{}+00:00", t.to_rfc3339().trim_end_matches('Z'))
}

fn lower_step(
    p: &Pipeline,
    s: &Step,
    task_id: &str,
    pod_name: &str,
    upstream: Vec<String>,
    airflow2: bool,
    warnings: &mut Vec<Warning>,
) -> TaskContext {
    let mut env_vars = Vec::new();
    let mut secrets = Vec::new();
    let mut value_from = Vec::new();
    for e in s.env() {
        let value = match e.value() {
            EnvValue::Literal(v) => literal(v),
            // Pod-settings values mean their `$(VAR)` for Kubernetes.
            EnvValue::Kubernetes(v) => protect_jinja(v),
            EnvValue::RunId => RUN_ID.to_string(),
            EnvValue::Secret { name, key } => {
                secrets.push(SecretEnv { env: e.name().to_string(), secret: name.clone(), key: key.clone() });
                continue;
            }
            EnvValue::ValueFrom(v) => {
                value_from.push(json!({"name": e.name(), "valueFrom": v}));
                continue;
            }
        };
        env_vars.push(EnvPair { name: protect_jinja(e.name()), value });
    }

    let mut container = Map::new();
    container.insert("name".into(), BASE_CONTAINER.into());
    if !value_from.is_empty() {
        container.insert("env".into(), Value::Array(value_from));
    }
    if !s.env_from().is_empty() {
        container.insert("envFrom".into(), Value::Array(s.env_from().to_vec()));
    }
    if !s.pod().volume_mounts().is_empty() {
        container.insert("volumeMounts".into(), Value::Array(s.pod().volume_mounts().to_vec()));
    }
    if let Some(sc) = s.pod().security_context() {
        container.insert("securityContext".into(), sc.clone());
    }
    let mut spec: Map<String, Value> = s.pod().extra_pod_spec().clone().into_iter().collect();
    let priority_class_name = spec.remove("priorityClassName").and_then(|v| v.as_str().map(str::to_string));
    if !s.pod().tolerations().is_empty() {
        spec.insert("tolerations".into(), Value::Array(s.pod().tolerations().to_vec()));
    }
    if let Some(a) = s.pod().affinity() {
        spec.insert("affinity".into(), a.clone());
    }
    if !s.pod().volumes().is_empty() {
        spec.insert("volumes".into(), Value::Array(s.pod().volumes().to_vec()));
    }
    if s.pod().host_ipc() {
        spec.insert("hostIPC".into(), Value::Bool(true));
    }
    let full_pod_spec = (container.len() > 1 || !spec.is_empty()).then(|| {
        spec.insert("containers".into(), json!([Value::Object(container)]));
        json!({"metadata": {}, "spec": spec})
    });

    let (retries, retry_delay_seconds, retry_exponential_backoff) = match &s.retry() {
        None => (0, None, None),
        Some(r) => {
            let backoff = (r.backoff_factor() > 1).then(|| {
                if airflow2 {
                    if r.backoff_factor() != 2 {
                        warnings.push(Warning::new(
                            "airflow-backoff-factor",
                            format!(
                                "step `{}`: Airflow 2 doubles the retry delay; backoff factor {} is not carried",
                                s.name(),
                                r.backoff_factor()
                            ),
                        ));
                    }
                    Value::Bool(true)
                } else {
                    Value::from(r.backoff_factor())
                }
            });
            (r.limit(), Some(r.delay_seconds()), backoff)
        }
    };

    let protect_values =
        |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| (k.clone(), protect_jinja(v))).collect::<BTreeMap<_, _>>();
    let mut annotations = protect_values(s.pod().annotations());
    annotations.insert(k8s::STEP_NAME_ANNOTATION.into(), protect_jinja(s.name()));
    let mut labels = protect_values(&k8s::pod_labels(p, s));
    labels.extend(k8s::managed_labels());

    TaskContext {
        task_id: task_id.to_string(),
        name: pod_name.to_string(),
        namespace: p.namespace().map(protect_jinja),
        image: protect_jinja(s.image()),
        cmds: s.command().iter().map(|c| literal(c)).collect(),
        arguments: s.args().iter().map(|a| literal(a)).collect(),
        env_vars,
        secrets,
        container_resources: container_resources(s),
        node_selector: protect_values(s.pod().node_selector()),
        labels,
        annotations,
        service_account_name: s
            .pod()
            .service_account()
            .map(String::from)
            .or_else(|| p.service_account().map(String::from)),
        image_pull_secrets: s.pod().image_pull_secrets().to_vec(),
        schedulername: s.pod().scheduler_name().map(String::from),
        priority_class_name,
        termination_grace_period: s.pod().termination_grace_period_seconds(),
        full_pod_spec,
        retries,
        retry_delay_seconds,
        retry_exponential_backoff,
        execution_timeout_seconds: s.timeout_seconds(),
        upstream,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Jinja's lexer for Airflow's default environment, reduced to what `protect_jinja`
    /// emits: data, and `{{ '<escaped>' }}` string expressions.
    fn jinja_render(src: &str) -> String {
        let norm = src.replace("\r\n", "\n").replace('\r', "\n");
        let norm = norm.strip_suffix('\n').unwrap_or(&norm);
        let mut out = String::new();
        let mut rest = norm;
        while let Some(i) = rest.find(['{']) {
            let (head, tail) = rest.split_at(i);
            out.push_str(head);
            if let Some(expr) = tail.strip_prefix("{{ '") {
                let end = expr.find("' }}").expect("closed expression");
                out.push_str(&expr[..end].replace("\\r", "\r").replace("\\n", "\n"));
                rest = &expr[end + 4..];
            } else {
                assert!(!tail.starts_with("{{") && !tail.starts_with("{%") && !tail.starts_with("{#"), "{src}");
                out.push('{');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn jinja_protection_round_trips() {
        for s in [
            "{{ run_id }}",
            "{% if x %}{# c #}{%- endif %}",
            "{{{triple}}}",
            "{",
            "a{b",
            "{{",
            "line1\nline2\r\nline3\r",
            "ends\n",
            "config.json",
            "query.sql",
            "x.yml",
            "",
            "héllo ✓",
        ] {
            let p = protect_jinja(s);
            assert_eq!(jinja_render(&p), s, "{s:?} -> {p:?}");
            assert!(!TEMPLATE_SUFFIXES.iter().any(|x| p.ends_with(x)), "{p}");
        }
        assert_eq!(protect_jinja("plain text"), "plain text");
        assert_eq!(protect_jinja("{{x}}"), "{{ '{' }}{x}}");
    }

    #[test]
    fn ids_avoid_double_dots() {
        assert_eq!(names::sanitize("a..b", &ID_RULE), "a.-.b");
        assert_eq!(names::sanitize("Train_Model.v2", &ID_RULE), "Train_Model.v2");
        assert_eq!(names::sanitize("step \"one\"\n{{x}}", &ID_RULE), "step-one-x");
        let ids = names::assign(&["a..b", "a.-.b"], &ID_RULE, &[], "Airflow").unwrap();
        assert_eq!(ids[1], "a.-.b", "the step already named `a.-.b` keeps it");
        assert_ne!(ids[0], ids[1]);
        let long = "s".repeat(300);
        assert!(names::sanitize(&long, &ID_RULE).len() <= 250);
    }

    #[test]
    fn dates_are_utc_aware_iso() {
        let t = UtcDateTime::parse("2030-03-01T08:30:00+02:00").unwrap();
        assert_eq!(iso(&t), "2030-03-01T06:30:00+00:00");
    }
}
