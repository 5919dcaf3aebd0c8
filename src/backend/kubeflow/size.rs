//! The Argo Workflow that KFP's API server makes of the IR, and the limits it meets.
//!
//! KFP does not run the IR: its backend compiler (kubeflow/pipelines
//! `backend/src/v2/compiler/argocompiler`, `dag.go` `task()`, `container.go`) turns every
//! container task into two tasks of the Argo DAG template of its parent DAG — `<t>-driver`
//! (template `system-container-driver`, with the task's own spec inlined as a JSON string) and
//! `<t>` (the executor) — and stores the root component, whose DAG lists every task again, as a
//! Workflow argument (`components-root`). Components, containers and PlatformSpec entries are
//! Workflow arguments too, one per distinct container (`argo.go` `saveProtoToArguments`, KFP
//! 2.3+). The Workflow is created in the cluster as compact JSON, with Go's escaping.
//!
//! [`workflow_bytes`] counts those parts, field for field as KFP 2.15's compiler writes them,
//! without building them; it leaves out what depends on the KFP version or its configuration
//! (`task-name`, per-task pod-metadata and retry parameters, the system templates beyond a
//! fixed floor), so it errs low. Three limits apply: Argo's controller keeps a Workflow, spec
//! plus compressed node status, only up to `MAX_WORKFLOW_SIZE` (1 MiB by default; KFP's
//! manifests neither raise it nor offload node status), etcd stores 1.5 MiB per object by
//! default, and the API server reads no request body over 3 MiB (`k8s.io/apiserver`
//! `MaxRequestBodyBytes`, not configurable). The run's status counts for the first only, and
//! only as an approximation ([`STATUS_PER_STEP`]).

use serde::Serialize;

use super::codes;
use super::platform::PlatformSpec;
use crate::backend::kfp::{by_name, PipelineSpec, Task};
use crate::backend::k8s::size::{mib, ARGO_CONTROLLER_LIMIT, ETCD_LIMIT};
use crate::error::{Error, ErrorKind, Result, Warning};

/// The API server's request body limit (`MaxRequestBodyBytes`, 3 MiB).
pub const API_SERVER_LIMIT: usize = 3 * 1024 * 1024;
/// Tasks per DAG template allowed by Argo 4's full CRDs (`maxItems: 200`).
pub const ARGO_DAG_TASKS: usize = 200;
/// Compressed run-time status per step: three Argo nodes (driver pod, executor DAG, pod), each
/// holding its resolved inputs and outputs (the task spec, component, container, pod spec
/// patch), ≈200 B each compressed — derived from kubeflow/pipelines#12131, where a loop of
/// ≈475 iterations of ≈11 nodes reached Argo's 1 MiB.
pub const STATUS_PER_STEP: usize = 600;
/// Argo DAG tasks KFP makes of one container task (driver + executor).
const ARGO_TASKS_PER_TASK: usize = 2;
/// A floor for what every Workflow KFP writes holds besides the tasks: metadata, the
/// `system-container-driver`/`-executor`/`-impl` and `system-dag-driver` templates, `root` and
/// `entrypoint` (together well over this).
const FIXED: usize = 4096;
/// Hex digits of the SHA-256 that names a container's arguments (`components-<hash>`).
const HASH: usize = 64;

// The fixed text of the two DAG tasks of a container task (`dag.go`, `container.go`) in compact
// JSON, between the task name `<t>`, the hashes, the task's JSON as a string and its
// component's name.
const DRIVER: [&str; 2] = [r#"{"name":""#, r#"-driver","template":"system-container-driver","arguments":{"parameters":[{"name":"component","value":"{{workflow.parameters.components-"#];
const DRIVER_TASK: &str = r#"}}"},{"name":"task","value":"#;
const DRIVER_CONTAINER: &str = r#"},{"name":"container","value":"{{workflow.parameters.implementations-"#;
/// Newer KFP versions also pass `task-name`; older ones do not, so it is not counted.
const DRIVER_PARENT: &str = r#"}}"},{"name":"parent-dag-id","value":"{{inputs.parameters.parent-dag-id}}"}"#;
const DRIVER_K8S: [&str; 2] = [r#",{"name":"kubernetes-config","value":"{{workflow.parameters.kubernetes-"#, r#"}}"}"#];
const DRIVER_END: &str = "]}";
const DEPENDS: [&str; 2] = [r#","depends":""#, r#"""#];
/// Each upstream in `depends`; between two of them Go writes ` && ` as ` \u0026\u0026 `.
const SUCCEEDED: &str = ".Succeeded";
const AND: &str = r" \u0026\u0026 ";
const EXECUTOR: [&str; 5] = [
    r#"{"name":""#,
    r#"","template":"system-container-executor","arguments":{"parameters":[{"name":"pod-spec-patch","value":"{{tasks."#,
    r#"-driver.outputs.parameters.pod-spec-patch}}"},{"name":"cached-decision","default":"false","value":"{{tasks."#,
    r#"-driver.outputs.parameters.cached-decision}}"}]},"depends":""#,
    r#"-driver.Succeeded"}"#,
];
/// One Workflow argument: `{"name":"<name>","value":<JSON as a string>}`.
const ARGUMENT: [&str; 3] = [r#"{"name":""#, r#"","value":"#, "}"];
/// The root component around its tasks: `{"dag":{"tasks":{…}}}`.
const ROOT: &str = r#"{"dag":{"tasks":{}}}"#;

fn sum(parts: &[&str]) -> usize {
    parts.iter().map(|p| p.len()).sum()
}

/// Bytes of the Workflow KFP creates for these documents (module doc), a lower estimate.
pub fn workflow_bytes(spec: &PipelineSpec, platform: &PlatformSpec) -> usize {
    let components = by_name(&spec.components);
    let configs = by_name(&platform.executors);
    let config_of = |component: &str| {
        components.get(component).and_then(|c| configs.get(c.executor_label.as_str())).is_some()
    };
    let mut json = Measure::default();
    let mut tasks = 0;
    // `components-root`: the root component, its DAG holding every task again (`dag.go` `DAG()`).
    let mut root = JsonLen { bytes: ROOT.len(), escapes: ROOT.matches('"').count() };
    for (i, t) in spec.tasks.iter().enumerate() {
        let task = task_json(&t.item, &mut json);
        let component = &t.item.component_ref.name;
        tasks += usize::from(i > 0) + task_pair(&t.name, &t.item, task, config_of(component).then_some(component.as_str()));
        // `"<t>":<task>` (and a comma) inside the root component's JSON.
        root.bytes += usize::from(i > 0) + t.name.len() + 3 + task.bytes;
        root.escapes += 2 + task.escapes;
    }
    let mut arguments = vec![argument("components-root".len(), root)];
    // One `components-<hash>` and `implementations-<hash>` per container, one `kubernetes-<comp>`
    // per component with a PlatformSpec entry.
    for c in &spec.components {
        arguments.push(argument("components-".len() + HASH, json.of(&c.item)));
        if let Some(config) = configs.get(c.item.executor_label.as_str()) {
            arguments.push(argument("kubernetes-".len() + c.name.len(), json.of(config)));
        }
    }
    for e in &spec.executors {
        arguments.push(argument("implementations-".len() + HASH, json.of(&e.item.container)));
    }
    FIXED + tasks + arguments.iter().sum::<usize>() + arguments.len().saturating_sub(1)
}

/// Bytes of one Workflow argument whose value is the JSON `value`.
fn argument(name: usize, value: JsonLen) -> usize {
    sum(&ARGUMENT) + name + value.as_string()
}

/// Bytes of the driver and the executor DAG task of task `name` (and the comma between them);
/// `config` is the component whose PlatformSpec entry the driver reads, if any.
fn task_pair(name: &str, task: &Task, json: JsonLen, config: Option<&str>) -> usize {
    let mut driver = sum(&DRIVER) + name.len() + 2 * HASH + DRIVER_TASK.len() + json.as_string();
    driver += DRIVER_CONTAINER.len() + DRIVER_PARENT.len() + DRIVER_END.len() + 1;
    if let Some(component) = config {
        driver += sum(&DRIVER_K8S) + component.len();
    }
    let deps = &task.dependent_tasks;
    if !deps.is_empty() {
        driver += sum(&DEPENDS) + deps.iter().map(|d| d.len() + SUCCEEDED.len()).sum::<usize>() + AND.len() * (deps.len() - 1);
    }
    driver + 1 + sum(&EXECUTOR) + 4 * name.len()
}

/// Warns when the running Workflow passes Argo's controller limit and refuses above the API
/// server's (the Workflow alone: node status can be offloaded, the spec cannot); warns when the
/// root DAG needs more Argo tasks than Argo 4's full CRDs allow in one DAG template.
pub fn check(spec: &PipelineSpec, platform: &PlatformSpec, warnings: &mut Vec<Warning>) -> Result<()> {
    let steps = spec.tasks.len();
    let argo_tasks = ARGO_TASKS_PER_TASK * steps;
    if argo_tasks > ARGO_DAG_TASKS {
        warnings.push(Warning::new(
            &codes::DAG_TASKS,
            format!(
                "KFP runs each of the {steps} steps as two Argo tasks (driver and executor) in one DAG template: {argo_tasks} tasks, over the {ARGO_DAG_TASKS} that Argo 4's full CRDs allow; fine with the minimal CRDs KFP's own manifests install"
            ),
        ));
    }
    let bytes = workflow_bytes(spec, platform);
    let size = format!(
        "KFP will turn these {steps} steps into an Argo Workflow of at least {} (≈{} B per step: each step's task twice, its driver and executor tasks)",
        mib(bytes),
        bytes / steps.max(1)
    );
    if bytes > API_SERVER_LIMIT {
        return Err(Error::new(ErrorKind::Engine {
            code: &codes::TOO_LARGE,
            message: format!(
                "{size}, over the {} the Kubernetes API server accepts in one request: KFP cannot create the run",
                mib(API_SERVER_LIMIT)
            ),
            help: format!(
                "split the pipeline (≈{} steps of this one fit under etcd's default {}, ≈{} on a default KFP install, counting the run's status), or compile it for Airflow, whose DAG file has no such limit",
                steps * ETCD_LIMIT.saturating_sub(FIXED) / bytes.max(1),
                mib(ETCD_LIMIT),
                steps * ARGO_CONTROLLER_LIMIT.saturating_sub(FIXED) / (bytes + STATUS_PER_STEP * steps).max(1)
            ),
        }));
    }
    let running = bytes + STATUS_PER_STEP * steps;
    if running > ARGO_CONTROLLER_LIMIT {
        let etcd = if bytes > ETCD_LIMIT {
            format!(", and the Workflow alone is over etcd's default {} per object", mib(ETCD_LIMIT))
        } else {
            String::new()
        };
        warnings.push(Warning::new(
            &codes::WORKFLOW_SIZE,
            format!(
                "{size}; ≈{} once running (≈{STATUS_PER_STEP} B of compressed status per step), over Argo's default `MAX_WORKFLOW_SIZE` of {}{etcd}",
                mib(running),
                mib(ARGO_CONTROLLER_LIMIT)
            ),
        ));
    }
    Ok(())
}

/// Compact JSON's length and how many of its bytes a JSON string of it escapes.
#[derive(Clone, Copy, Default)]
struct JsonLen {
    /// Bytes as Go writes it: serde_json's output, with `<`, `>`, `&` as `\u003c`….
    bytes: usize,
    /// `"` and `\` in it: each takes one more byte inside a string.
    escapes: usize,
}

impl JsonLen {
    fn add(&mut self, other: JsonLen) {
        self.bytes += other.bytes;
        self.escapes += other.escapes;
    }

    /// Bytes of this JSON as a JSON string value, quotes included.
    fn as_string(self) -> usize {
        self.bytes + self.escapes + 2
    }
}

/// What [`Measure::of`] finds for a task, counted from its strings: the tasks are most of the
/// estimate, and serde_json writes one in some forty pieces. Debug builds (the tests) check it
/// against `Measure` for every task they compile.
fn task_json(task: &Task, measure: &mut Measure) -> JsonLen {
    let mut n = JsonLen::default();
    n.add(literal(r#"{"taskInfo":{"name":"#));
    n.add(string(&task.task_info.name));
    n.add(literal(r#"},"componentRef":{"name":"#));
    n.add(string(&task.component_ref.name));
    n.add(literal(r#"},"cachingOptions":"#));
    n.add(match task.caching_options.enable_cache {
        None => literal("{}"),
        Some(true) => literal(r#"{"enableCache":true}"#),
        Some(false) => literal(r#"{"enableCache":false}"#),
    });
    if !task.dependent_tasks.is_empty() {
        n.add(literal(r#","dependentTasks":["#));
        for (i, name) in task.dependent_tasks.iter().enumerate() {
            n.bytes += usize::from(i > 0);
            n.add(string(name));
        }
        n.add(literal("]"));
    }
    if let Some(inputs) = &task.inputs {
        n.add(literal(r#","inputs":{"parameters":{"#));
        for (i, (name, input)) in inputs.parameters.iter().enumerate() {
            n.bytes += usize::from(i > 0);
            n.add(string(name));
            n.add(literal(r#":{"runtimeValue":{"constant":"#));
            n.add(string(&input.runtime_value.constant));
            n.add(literal("}}"));
        }
        n.add(literal("}}"));
    }
    if let Some(retry) = &task.retry_policy {
        n.add(literal(r#","retryPolicy":"#));
        n.add(measure.of(retry));
    }
    n.add(literal("}"));
    debug_assert_eq!((n.bytes, n.escapes), {
        let m = measure.of(task);
        (m.bytes, m.escapes)
    });
    n
}

/// JSON text of ours (keys, brackets; no `\`, `<`, `>`, `&`) as `Measure` counts it.
fn literal(json: &str) -> JsonLen {
    JsonLen { bytes: json.len(), escapes: json.bytes().filter(|&b| b == b'"').count() }
}

/// A string as serde_json writes it (quoted, escaped), as `Measure` counts it.
fn string(s: &str) -> JsonLen {
    let mut n = JsonLen { bytes: s.len() + 2, escapes: 2 };
    for b in s.bytes() {
        match b {
            // `\"`, `\\`: one more byte, and both are escaped again inside a string.
            b'"' | b'\\' => {
                n.bytes += 1;
                n.escapes += 2;
            }
            // `\n` and the like.
            0x08 | 0x0c | b'\n' | b'\r' | b'\t' => {
                n.bytes += 1;
                n.escapes += 1;
            }
            // Other controls as `\u001f`; Go's `\u003c`, `\u003e`, `\u0026`.
            0..=0x1f | b'<' | b'>' | b'&' => {
                n.bytes += 5;
                n.escapes += 1;
            }
            _ => {}
        }
    }
    n
}

/// Measures values' compact JSON without keeping it.
#[derive(Default)]
struct Measure {
    count: JsonLen,
}

impl std::io::Write for Measure {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            match b {
                // Go writes `\u003c`: five more bytes, and one more backslash to escape.
                b'<' | b'>' | b'&' => {
                    self.count.bytes += 6;
                    self.count.escapes += 1;
                }
                b'"' | b'\\' => {
                    self.count.bytes += 1;
                    self.count.escapes += 1;
                }
                _ => self.count.bytes += 1,
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Measure {
    fn of(&mut self, value: &impl Serialize) -> JsonLen {
        self.count = JsonLen::default();
        serde_json::to_writer(&mut *self, value).expect("the IR serializes");
        self.count
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{task_json, task_pair, workflow_bytes, Measure, API_SERVER_LIMIT, ARGO_CONTROLLER_LIMIT};
    use crate::backend::kfp::{
        CachingOptions, ComponentRef, RetryPolicy, RuntimeValue, Task, TaskInfo, TaskInput, TaskInputs,
    };

    /// Bytes of `value` as Go's encoding/json writes it: serde_json's, with `&`, `<`, `>` as
    /// `\u0026`….
    fn go_len(value: &serde_json::Value) -> usize {
        let text = serde_json::to_string(value).unwrap();
        text.len() + 5 * text.matches(['&', '<', '>']).count()
    }

    fn task(deps: &[&str], step: &str) -> Task {
        Task {
            task_info: TaskInfo { name: step.into() },
            component_ref: ComponentRef { name: "comp-zenml-step".into() },
            caching_options: CachingOptions::default(),
            dependent_tasks: deps.iter().map(|d| (*d).to_string()).collect(),
            inputs: None,
            retry_policy: None,
        }
    }

    /// The two DAG tasks KFP's compiler writes for a container task (`containerDriverTask`,
    /// `containerExecutorTask`, `depends`), built as JSON: `task_pair` counts them exactly,
    /// `&&` and a `<&>` in the step name included (escaped by Go twice: in the task's JSON,
    /// then in the string holding it).
    #[test]
    fn a_task_pair_is_counted_as_kfp_writes_it() {
        let hash = "0".repeat(64);
        for deps in [&[][..], &["load"][..], &["load", "clean-up", "x"][..]] {
            let t = task(deps, "train <&> eval");
            let task_json = Measure::default().of(&t);
            let inner = serde_json::to_string(&t).unwrap().replace('&', r"\u0026").replace('<', r"\u003c").replace('>', r"\u003e");
            let depends: Vec<String> = deps.iter().map(|d| format!("{d}.Succeeded")).collect();
            let mut driver = json!({
                "name": "train-driver",
                "template": "system-container-driver",
                "arguments": {"parameters": [
                    {"name": "component", "value": format!("{{{{workflow.parameters.components-{hash}}}}}")},
                    {"name": "task", "value": inner},
                    {"name": "container", "value": format!("{{{{workflow.parameters.implementations-{hash}}}}}")},
                    {"name": "parent-dag-id", "value": "{{inputs.parameters.parent-dag-id}}"},
                    {"name": "kubernetes-config", "value": "{{workflow.parameters.kubernetes-comp-zenml-step}}"},
                ]},
            });
            if !deps.is_empty() {
                driver["depends"] = json!(depends.join(" && "));
            }
            let executor = json!({
                "name": "train",
                "template": "system-container-executor",
                "arguments": {"parameters": [
                    {"name": "pod-spec-patch", "value": "{{tasks.train-driver.outputs.parameters.pod-spec-patch}}"},
                    {"name": "cached-decision", "default": "false", "value": "{{tasks.train-driver.outputs.parameters.cached-decision}}"},
                ]},
                "depends": "train-driver.Succeeded",
            });
            // The inner escapes are literal text once inside the string: count them as serde does.
            let expected = serde_json::to_string(&driver).unwrap().len()
                + 5 * depends.len().saturating_sub(1) * 2
                + 1
                + go_len(&executor);
            assert_eq!(task_pair("train", &t, task_json, Some("comp-zenml-step")), expected, "{deps:?}");
        }
    }

    /// A task's JSON counted from its strings is what serde_json writes, measured: escapes,
    /// controls, Go's `<>&`, non-ASCII, every optional part.
    #[test]
    fn task_json_counts_what_serde_json_writes() {
        let hostile = "a\"b\\c\nd\u{1}e\u{1f}f<g>h&i\u{7f}j\u{e9}k\u{2028}l\tm\u{8}n\u{c}o\rp";
        let mut with_all = task(&["load", hostile], hostile);
        with_all.caching_options.enable_cache = Some(false);
        let input = |constant: &str| TaskInput { runtime_value: RuntimeValue { constant: constant.to_string().into() } };
        with_all.inputs = Some(TaskInputs {
            parameters: [("step_name", input(hostile)), ("zenml_run_id", input("{{$.pipeline_job_name}}"))].into(),
        });
        with_all.retry_policy =
            Some(RetryPolicy { max_retry_count: 3, backoff_duration: "30s".into(), backoff_factor: 2.5 });
        let mut cached = task(&[], "plain");
        cached.caching_options.enable_cache = Some(true);
        for t in [task(&[], ""), task(&["x"], "y"), with_all, cached] {
            let (ours, serde) = (task_json(&t, &mut Measure::default()), Measure::default().of(&t));
            assert_eq!((ours.bytes, ours.escapes), (serde.bytes, serde.escapes), "{t:?}");
        }
    }

    /// A layered pipeline of `n` steps (each after the two before), as the Kubeflow target
    /// lowers it.
    fn layered(n: usize) -> String {
        let mut text = String::from(
            "name: big\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: i\nsteps:\n",
        );
        for i in 0..n {
            let up: Vec<String> = (i.saturating_sub(2)..i).map(|j| format!("s{j:05}")).collect();
            text += &format!("  - {{name: s{i:05}, upstream: [{}]}}\n", up.join(", "));
        }
        text
    }

    fn compile(n: usize) -> crate::Result<crate::Output> {
        crate::compile(&layered(n), "big.yaml", &[crate::Engine::Kubeflow], &crate::Options::default())
    }

    fn codes(out: &crate::Output) -> Vec<&str> {
        out.warnings.iter().map(|w| w.code).collect()
    }

    /// Each step costs over 1 KB of Workflow: the warnings start past 100 steps and where the
    /// running Workflow passes 1 MiB, the error where the Workflow alone passes 3 MiB, and never
    /// before.
    #[test]
    fn limits_follow_the_estimate() {
        let out = compile(100).unwrap();
        assert!(!codes(&out).contains(&"kubeflow-dag-tasks"), "{:?}", codes(&out));
        let out = compile(101).unwrap();
        assert!(codes(&out).contains(&"kubeflow-dag-tasks"));
        assert!(!codes(&out).contains(&"kubeflow-workflow-size"));
        let out = compile(400).unwrap();
        assert!(!codes(&out).contains(&"kubeflow-workflow-size"), "{:?}", codes(&out));
        let out = compile(600).unwrap();
        assert!(codes(&out).contains(&"kubeflow-workflow-size"), "{:?}", codes(&out));
        let out = compile(1_000).unwrap();
        assert!(codes(&out).contains(&"kubeflow-workflow-size"), "{:?}", codes(&out));
        let err = compile(2_500).unwrap_err();
        assert_eq!(err.code(), "kubeflow-too-large", "{err}");
        assert!(err.to_string().contains("3.00 MiB"), "{err}");
    }

    /// The estimate grows with the steps, between 1 and 3 KB per step for ZenML's steps.
    #[test]
    fn the_estimate_is_about_a_kilobyte_and_a_half_per_step() {
        let (ir, _) = crate::load_ir(layered(1_000), "big.yaml", &crate::BuildOptions::default()).unwrap();
        let mut warnings = Vec::new();
        let ctx = <super::super::Kubeflow as crate::backend::Backend>::lower(&ir, &crate::backend::EngineOptions::default(), &mut warnings).unwrap();
        let bytes = workflow_bytes(&ctx.spec, &ctx.platform);
        assert!((1_000_000..3_000_000).contains(&bytes), "{bytes}");
        assert!(bytes > ARGO_CONTROLLER_LIMIT && bytes < API_SERVER_LIMIT);
    }
}
