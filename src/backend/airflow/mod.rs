//! Lowering of the IR to one Apache Airflow DAG file (Airflow 3, or 2.9+ with `--airflow-version 2`).

pub mod codes;
mod context;
pub mod jinja;
mod schedule;
mod share;
mod task;
mod view;

pub use context::*;
pub use jinja::protect_jinja;

use std::sync::Arc;

use minijinja::Value;
use rustc_hash::FxHashMap;

use super::names::{self, NameRule};
use super::template_value::Map;
use super::{alike, template_context, Backend, Content, Document, EngineOptions};
use crate::error::{Result, Warning};
use crate::ir::{FailureMode, Pipeline, Step};

/// The Airflow target.
pub struct Airflow;

/// Airflow's per-run id, rendered by Airflow's Jinja at run time: the same for every task of a
/// DAG run, new for every run (`manual__…`, `scheduled__…`), unchanged by task retries.
pub const RUN_ID: &str = "{{ run_id }}";
const FILE: &str = "airflow.py";

/// `dag_id` and `task_id`: Airflow's `validate_key` (`^[\w.-]+$`, ≤250), ASCII only (`re2`
/// reads `\w` as ASCII).
const ID_RULE: NameRule =
    NameRule { max_len: 250, start_letter: false, allow_dots: true, allow_underscore: true, allow_upper: true };

impl Backend for Airflow {
    const NAME: &'static str = "airflow";
    const TEMPLATES: &'static [(&'static str, &'static str)] = templates!("airflow": "dag.py.j2");
    const CODES: &'static [crate::diagnostic::Code] = codes::CODES;
    type Context = DagContext;

    /// IR → `DagContext`.
    ///
    /// | IR                          | Airflow                                                      |
    /// |-----------------------------|--------------------------------------------------------------|
    /// | pipeline name               | `dag_id` (sanitised, ≤250)                                   |
    /// | step                        | `KubernetesPodOperator(task_id=…)`; upstream → `set_upstream([…])` |
    /// | step.image/command/args     | `image`, `cmds`, `arguments` (Jinja-protected, `$$`)         |
    /// | env Literal/Kubernetes      | `env_vars={name: value}`; `[k8s.V1EnvVar(name, value)]` when a value has `$(` |
    /// | values tasks share          | module constants `_ENV`, `_SECRETS`, `_RESOURCES`, `_ARGS`, `_LABELS`, `_ANNOTATIONS`; `default_args` (`share.rs`) |
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
        let originals: Vec<&str> = p.steps().iter().map(Step::name).collect();
        let task_ids: Vec<TaskId> = names::assign(&originals, &ID_RULE, &[], "Airflow")?
            .into_iter()
            .map(|id| TaskId(Arc::from(id)))
            .collect();
        let pod_names = names::assign(&originals, &NameRule::dns_label(63), &[], "Airflow")?;
        let index: FxHashMap<&str, usize> = originals.iter().enumerate().map(|(i, name)| (*name, i)).collect();
        let fail_fast = fail_fast(p, warnings);
        if p.ttl_seconds_after_finished().is_some() {
            warnings.push(Warning::new(
                &codes::TTL,
                "Airflow keeps DAG runs in its database (pods are deleted when a task ends); `ttl_seconds_after_finished` ignored",
            ));
        }
        let first_alike = alike::first_alike(p);
        let mut tasks: Vec<task::Operator> = Vec::with_capacity(p.steps().len());
        for (i, (s, pod_name)) in p.steps().iter().zip(pod_names).enumerate() {
            let task_id = task_ids[i].clone();
            let upstream = s.upstream().iter().map(|u| task_ids[index[u.as_str()]].clone()).collect();
            let t = match tasks.get(first_alike[i]) {
                Some(first) if first_alike[i] < i => {
                    task::renamed(first, p, s, task_id, pod_name, upstream, airflow2, warnings)
                }
                _ => task::lower(p, s, task_id, pod_name, upstream, airflow2, warnings),
            };
            tasks.push(t);
        }
        let uses_secrets = tasks.iter().any(|t| !t.secrets.is_empty());
        let uses_pod_spec = tasks.iter().any(|t| t.full_pod_spec.is_some());
        let (shared, defaults, tasks) = share::share(tasks, p.namespace().map(protect_jinja));
        Ok(DagContext {
            header: super::header(p),
            docstring: format!(
                "ZenML pipeline `{}` (snapshot {}): one KubernetesPodOperator per step.",
                p.name(),
                p.snapshot_id()
            ),
            airflow2,
            dag_id: names::sanitize(p.name(), &ID_RULE),
            max_active_tasks: p.parallelism(),
            fail_fast,
            tags: tags(p, warnings),
            description: p.description().map(String::from),
            uses_secrets,
            uses_pod_spec,
            shared,
            defaults,
            tasks: Arc::new(tasks),
            schedule: p.schedule().map(|s| schedule::lower(s, warnings)).unwrap_or_default(),
        })
    }

    fn documents(ctx: &DagContext) -> Vec<Document> {
        let head = Map::of(&template_context(ctx)).expect("a context converts to a map");
        let mut entries = head.entries;
        let tasks = (Value::from("tasks"), Value::from_object(view::Tasks(Arc::clone(&ctx.tasks))));
        let at = if head.sorted { entries.partition_point(|(k, _)| *k < tasks.0) } else { entries.len() };
        entries.insert(at, tasks);
        let context = Value::from_object(Map { entries, sorted: head.sorted });
        vec![Document { file: FILE, content: Content::Template { template: "dag.py.j2", context } }]
    }
}

/// Airflow's `fail_fast`: stop the run at the first failed task.
fn fail_fast(p: &Pipeline, warnings: &mut Vec<Warning>) -> bool {
    match p.failure_mode() {
        FailureMode::ContinueOnFailure => false,
        FailureMode::FailFast => true,
        FailureMode::StopOnFailure => {
            // Only tasks that run at the same time as the failed one can tell the difference.
            if let Some((a, b)) = p.unordered_pair() {
                warnings.push(Warning::new(
                    &codes::STOP_ON_FAILURE,
                    format!(
                        "execution mode stop_on_failure: Airflow's fail_fast also stops the tasks that are still running (steps `{}` and `{}` are independent)",
                        a.name(), b.name()
                    ),
                ));
            }
            true
        }
    }
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
            warnings.push(Warning::new(&codes::TAG_LENGTH, format!("tag `{t}` cut to Airflow's {MAX} characters")));
            t.chars().take(MAX).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of an alike step's operator with the name put in is the step's own operator.
    #[test]
    fn a_renamed_operator_is_the_steps_own() {
        let mut copies = 0;
        for (name, p) in alike::tests::pipelines() {
            let first = alike::first_alike(&p);
            for (i, s) in p.steps().iter().enumerate() {
                let (r, airflow2) = (&p.steps()[first[i]], i % 2 == 0);
                let id = |id: &str| TaskId(Arc::from(id));
                let own = task::lower(&p, s, id("id"), "pod".into(), vec![id("up")], airflow2, &mut Vec::new());
                if first[i] != i {
                    let first = task::lower(&p, r, id("x"), "y".into(), Vec::new(), airflow2, &mut Vec::new());
                    let copy = task::renamed(
                        &first,
                        &p,
                        s,
                        id("id"),
                        "pod".into(),
                        vec![id("up")],
                        airflow2,
                        &mut Vec::new(),
                    );
                    assert_eq!(copy, own, "{name} {}", s.name());
                    copies += 1;
                }
            }
        }
        assert!(copies > 20, "{copies}");
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
}
