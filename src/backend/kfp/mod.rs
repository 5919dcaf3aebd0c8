//! The KFP v2 pipeline IR (kubeflow/pipelines `api/v2alpha1/pipeline_spec.proto`) as typed
//! structs, shared by the engines that run it. Each struct serializes to the IR's own JSON
//! (camelCase), so one value is both a template's context and, through [`PipelineSpec::json`],
//! the pipeline spec a request body embeds. Maps of the IR (components, executors, tasks) are
//! kept as [`Named`] lists, so templates lay them out in pipeline order.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use serde::Serialize;

use super::k8s::EnvEntry;
use super::names::NameRule;
use crate::backend::duration::go_duration;
use crate::ir::Retry;

/// `schemaVersion` of the IR kfp 2.x writes.
pub const SCHEMA_VERSION: &str = "2.1.0";
/// Pipeline names: `^[a-z0-9][a-z0-9-]{0,127}$` (kfp `dsl/utils.py` `validate_pipeline_name`).
pub const PIPELINE_RULE: NameRule = NameRule::dns_label(128);
/// Task names: KFP's own sanitizer keeps `[-0-9a-z]`; 63 keeps them valid Argo/DNS labels too.
pub const TASK_RULE: NameRule = NameRule::dns_label(63);

/// `sdkVersion`: who wrote the IR.
pub fn sdk_version() -> String {
    format!("zenc-{}", env!("CARGO_PKG_VERSION"))
}

/// One entry of an IR map: a template lays the list out in pipeline order; in JSON it is the
/// key `name` of a map (see [`by_name`]).
#[derive(Debug, Serialize)]
pub struct Named<T> {
    pub name: String,
    #[serde(flatten)]
    pub item: T,
}

/// An entry that stands in for a step's own one until `share` drops it.
pub fn placeholder<T>(item: T) -> Named<T> {
    Named { name: String::new(), item }
}

/// The entries as the IR's JSON map.
pub fn by_name<T>(entries: &[Named<T>]) -> BTreeMap<&str, &T> {
    entries.iter().map(|e| (e.name.as_str(), &e.item)).collect()
}

/// The PipelineSpec document: input of an engine's `pipeline-spec.yaml.j2`.
#[derive(Debug, Serialize)]
pub struct PipelineSpec {
    /// Header comment lines (`backend::header`).
    pub header: Vec<String>,
    /// `components`, one per step (`comp-<task>`), in pipeline order.
    pub components: Vec<Named<Component>>,
    /// `deploymentSpec.executors`, one per step (`exec-<task>`).
    pub executors: Vec<Named<Executor>>,
    #[serde(rename = "pipelineInfo")]
    pub pipeline_info: PipelineInfo,
    /// `root.dag.tasks`, one per step.
    pub tasks: Vec<Named<Task>>,
    #[serde(rename = "schemaVersion")]
    pub schema_version: &'static str,
    #[serde(rename = "sdkVersion")]
    pub sdk_version: String,
}

/// The IR's JSON of a [`PipelineSpec`] (no header comments).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSpecJson<'a> {
    components: BTreeMap<&'a str, &'a Component>,
    deployment_spec: DeploymentSpec<'a>,
    pipeline_info: &'a PipelineInfo,
    root: Root<'a>,
    schema_version: &'a str,
    sdk_version: &'a str,
}

#[derive(Debug, Serialize)]
struct DeploymentSpec<'a> {
    executors: BTreeMap<&'a str, &'a Executor>,
}

#[derive(Debug, Serialize)]
struct Root<'a> {
    dag: Dag<'a>,
}

#[derive(Debug, Serialize)]
struct Dag<'a> {
    tasks: BTreeMap<&'a str, &'a Task>,
}

impl PipelineSpec {
    /// The IR's JSON, for request bodies that carry the pipeline inline.
    pub fn json(&self) -> PipelineSpecJson<'_> {
        PipelineSpecJson {
            components: by_name(&self.components),
            deployment_spec: DeploymentSpec { executors: by_name(&self.executors) },
            pipeline_info: &self.pipeline_info,
            root: Root { dag: Dag { tasks: by_name(&self.tasks) } },
            schema_version: self.schema_version,
            sdk_version: &self.sdk_version,
        }
    }
}

/// `pipelineInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineInfo {
    /// Sanitized (`PIPELINE_RULE`).
    pub name: String,
    /// The ZenML pipeline name verbatim.
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `components.<comp-…>`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// `exec-<task>`.
    pub executor_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_definitions: Option<InputDefinitions>,
}

/// `inputDefinitions`: the component's input parameters.
#[derive(Debug, Serialize)]
pub struct InputDefinitions {
    pub parameters: BTreeMap<&'static str, ParameterSpec>,
}

/// One input parameter's declaration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterSpec {
    /// `STRING`, `NUMBER_INTEGER`, …
    pub parameter_type: &'static str,
}

/// `deploymentSpec.executors.<exec-…>`.
#[derive(Debug, Default, Serialize)]
pub struct Executor {
    pub container: Container,
}

/// `PipelineContainerSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Container {
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// `{name, value}` entries, copied verbatim into the pod by the engine.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceSpec>,
}

/// `container.resources`. The `resource*` strings are Kubernetes quantities; the numeric
/// `cpuLimit`/`memoryLimit` (deprecated in the proto) are what older readers use.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<f64>,
    /// Gigabytes (10^9 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_cpu_request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_cpu_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_memory_request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_memory_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<Accelerator>,
}

/// `resources.accelerator`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accelerator {
    /// Deprecated twin of `resource_type`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Deprecated twin of `resource_count`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
    /// What the engine asks for: a Kubernetes resource name (`nvidia.com/gpu`) on KFP, an
    /// accelerator type (`NVIDIA_TESLA_T4`) on Vertex AI.
    pub resource_type: String,
    /// Device count, as a string.
    pub resource_count: String,
}

/// `root.dag.tasks.<task>`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// `taskInfo.name`: the ZenML step name verbatim.
    pub task_info: TaskInfo,
    pub component_ref: ComponentRef,
    pub caching_options: CachingOptions,
    /// Task names of `spec.upstream_steps`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependent_tasks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<TaskInputs>,
    /// Only when the flavor leaves retries to the engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
}

#[derive(Debug, Serialize)]
pub struct TaskInfo {
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct ComponentRef {
    pub name: String,
}

/// `cachingOptions`: `{}` or `enableCache: false`, both off (ZenML caches steps itself).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CachingOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_cache: Option<bool>,
}

/// `inputs`: the task's input parameters.
#[derive(Debug, Serialize)]
pub struct TaskInputs {
    pub parameters: BTreeMap<&'static str, TaskInput>,
}

/// One input parameter: a constant the engine resolves when the task runs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInput {
    pub runtime_value: RuntimeValue,
}

#[derive(Debug, Serialize)]
pub struct RuntimeValue {
    /// Often a fixed text (Vertex AI's run id placeholder): not copied for every task.
    pub constant: Cow<'static, str>,
}

/// `PipelineTaskSpec.RetryPolicy`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retry_count: u32,
    /// First delay, proto Duration (`30s`).
    pub backoff_duration: String,
    /// Delay multiplier per retry (`1.0`: constant delay).
    pub backoff_factor: f64,
}

impl RetryPolicy {
    pub fn of(r: Retry) -> RetryPolicy {
        // Factors are at most 1000 (`ir::build`): exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let backoff_factor = r.backoff_factor().max(1) as f64;
        RetryPolicy { max_retry_count: r.limit(), backoff_duration: go_duration(r.delay_seconds()), backoff_factor }
    }
}

/// The input parameter of a shared executor that carries the step name.
pub const STEP_NAME_INPUT: &str = "step_name";
/// Where a shared executor's args take the step name: KFP's driver (Vertex AI's service)
/// replaces it with the task's constant before the container starts.
pub const STEP_NAME_REF: &str = "{{$.inputs.parameters['step_name']}}";
/// Base name of the shared components and executors (`comp-zenml-step`, `exec-zenml-step-2`).
const SHARED_NAME: &str = "zenml-step";

/// The args of step `name`'s container with the step name passed as a parameter, for sharing:
/// `None` when the name may not be shared. Only names that are valid label values share
/// (letters, digits, `-`, `_`, `.`: every Python identifier not starting with `_`): with no
/// `$`, `{`, quote or newline, the value is exact whether KFP substitutes it before or after
/// Kubernetes expands `$(VAR)`, and the literal argument needed no escaping. The rest of the
/// container stays as it is: `share` compares it in place, so no step holds a second copy.
pub fn parametrized(container: &Container, name: &str) -> Option<Vec<String>> {
    if !super::names::is_label_value(name) || name.is_empty() {
        return None;
    }
    let mut args = container.args.clone();
    let mut found = false;
    for i in 1..args.len() {
        if args[i] == name && args[i - 1] == "--step_name" {
            args[i] = STEP_NAME_REF.to_string();
            found = true;
        }
    }
    found.then_some(args)
}

/// Whether two containers are written alike, but for their args. (`==` on `f64` takes `0.0`
/// and `-0.0` for one number: the limits are compared as written.)
fn alike_but_args(a: &Container, b: &Container) -> bool {
    let limits =
        |c: &Container| c.resources.as_ref().map(|r| (r.cpu_limit.map(f64::to_bits), r.memory_limit.map(f64::to_bits)));
    a.image == b.image
        && a.command == b.command
        && a.env == b.env
        && a.resources == b.resources
        && limits(a) == limits(b)
}

/// Hash of what `alike_but_args` compares (less the resources), the parametrized args and `key`.
fn share_hash<K: Hash>(c: &Container, args: &[String], key: &K) -> u64 {
    let mut h = FxHasher::default();
    (&c.image, &c.command, args, key).hash(&mut h);
    for e in &c.env {
        (&e.name, &e.value).hash(&mut h);
    }
    h.finish()
}

/// Steps grouped as they are lowered, by their container (but for the step name in the args)
/// and a key of what else must be equal (the engine's per-executor settings). Grouping each
/// step as it comes lets a step alike an earlier one drop its container and settings at once:
/// its group's first step's serve it.
pub struct Grouping<K> {
    /// Group indices by hash (`share_hash`) of what they compare.
    by_hash: FxHashMap<u64, Vec<usize>>,
    /// Per group: its first step and how many steps it has.
    first: Vec<usize>,
    members: Vec<usize>,
    /// Per step: its group (`None` when its name may not be shared), the parametrized args
    /// (kept for the first step of a group only) and its key.
    of: Vec<Option<usize>>,
    args: Vec<Option<Vec<String>>>,
    keys: Vec<K>,
}

impl<K: Hash + Eq> Grouping<K> {
    pub fn new(steps: usize) -> Grouping<K> {
        Grouping {
            by_hash: FxHashMap::default(),
            first: Vec::new(),
            members: Vec::new(),
            of: Vec::with_capacity(steps),
            args: Vec::with_capacity(steps),
            keys: Vec::with_capacity(steps),
        }
    }

    /// Groups the step whose executor `spec` got last, given its parametrized args
    /// (`parametrized`) and its key. True when it joined an earlier step's group: then its
    /// container and settings are never written, and the caller may drop them.
    pub fn add(&mut self, spec: &PipelineSpec, args: Option<Vec<String>>, key: K) -> bool {
        let i = self.of.len();
        let container = &spec.executors[i].item.container;
        let (group, joined) = match &args {
            None => (None, false),
            Some(a) => {
                let candidates = self.by_hash.entry(share_hash(container, a, &key)).or_default();
                let found = candidates.iter().copied().find(|&g| {
                    let f = self.first[g];
                    self.args[f].as_ref() == Some(a)
                        && self.keys[f] == key
                        && alike_but_args(&spec.executors[f].item.container, container)
                });
                if let Some(g) = found {
                    (Some(g), true)
                } else {
                    self.first.push(i);
                    self.members.push(0);
                    candidates.push(self.first.len() - 1);
                    (Some(self.first.len() - 1), false)
                }
            }
        };
        if let Some(g) = group {
            self.members[g] += 1;
        }
        self.of.push(group);
        self.args.push(if joined { None } else { args });
        self.keys.push(key);
        joined
    }
}

impl<K: Clone> Grouping<K> {
    /// Adds the next step, alike step `first` (`alike::Alike`), to `spec` as `task` and to the
    /// group of `first`: `add` would have found that group, so it is not compared again. Its
    /// component and executor are the group's: placeholders hold their places in `spec` until
    /// `share` drops them, so its container and settings are never built.
    pub fn join(&mut self, spec: &mut PipelineSpec, first: usize, task: Named<Task>) {
        spec.components.push(placeholder(Component::default()));
        spec.executors.push(placeholder(Executor::default()));
        spec.tasks.push(task);
        let group = self.of[first];
        if let Some(g) = group {
            self.members[g] += 1;
        }
        self.of.push(group);
        self.args.push(None);
        self.keys.push(self.keys[first].clone());
    }

    /// Whether step `i` takes part in sharing (its name may be passed as a parameter).
    pub fn grouped(&self, i: usize) -> bool {
        self.of[i].is_some()
    }
}

/// Folds the steps `grouping` put in one group (two or more) into one component and executor
/// that takes the step name as the `step_name` input; each task passes its step name as a
/// constant. `spec` holds one component, executor and task per step, in step order. Returns
/// which shared executor label each step now uses. Names are `zenml-step`, `zenml-step-2`, …
/// in order of first use, never a task's name.
pub fn share<K>(spec: &mut PipelineSpec, grouping: Grouping<K>) -> Shared {
    let Grouping { members, of: group_of, args: shared, .. } = grouping;
    // Only task names of the shared names' form can be taken by them.
    let taken: HashSet<String> =
        spec.tasks.iter().filter(|t| t.name.starts_with(SHARED_NAME)).map(|t| t.name.clone()).collect();
    // Per group: its component's and executor's names, made once for all its steps.
    let mut names: Vec<Option<(String, String)>> = vec![None; members.len()];
    let mut next = 1;
    let mut steps = Vec::with_capacity(shared.len());
    let mut keep = Vec::with_capacity(shared.len());
    for (i, (args, g)) in shared.into_iter().zip(group_of).enumerate() {
        let Some(g) = g.filter(|&g| members[g] > 1) else {
            steps.push(None);
            keep.push(true);
            continue;
        };
        let is_first = names[g].is_none();
        let (component, label) = names[g].get_or_insert_with(|| {
            let name = loop {
                let candidate = if next == 1 { SHARED_NAME.to_string() } else { format!("{SHARED_NAME}-{next}") };
                next += 1;
                if !taken.contains(&candidate) {
                    break candidate;
                }
            };
            component_and_executor_names(&name)
        });
        if is_first {
            let c = &mut spec.components[i];
            c.name.clone_from(component);
            c.item.executor_label.clone_from(label);
            let inputs =
                c.item.input_definitions.get_or_insert_with(|| InputDefinitions { parameters: BTreeMap::new() });
            inputs.parameters.insert(STEP_NAME_INPUT, ParameterSpec { parameter_type: "STRING" });
            let executor = &mut spec.executors[i];
            executor.name.clone_from(label);
            executor.item.container.args = args.expect("grouped");
        }
        keep.push(is_first);
        let task = &mut spec.tasks[i].item;
        task.component_ref.name.clone_from(component);
        let constant = TaskInput { runtime_value: RuntimeValue { constant: task.task_info.name.clone().into() } };
        task.inputs
            .get_or_insert_with(|| TaskInputs { parameters: BTreeMap::new() })
            .parameters
            .insert(STEP_NAME_INPUT, constant);
        steps.push(Some(g));
    }
    let mut kept = keep.iter();
    spec.components.retain(|_| *kept.next().expect("one per step"));
    let mut kept = keep.iter();
    spec.executors.retain(|_| *kept.next().expect("one per step"));
    Shared { labels: names.into_iter().map(|n| n.map(|(_, label)| label)).collect(), steps }
}

/// The shared executors `share` made: per step, the group whose label it uses, if any.
pub struct Shared {
    /// Per group: its executor label, when it is shared.
    labels: Vec<Option<String>>,
    steps: Vec<Option<usize>>,
}

impl Shared {
    /// Step `i`'s group (numbered from 0) and that group's executor label, if it shares one.
    pub fn label(&self, i: usize) -> Option<(usize, &str)> {
        let g = self.steps[i]?;
        Some((g, self.labels[g].as_deref().expect("a shared group is named")))
    }

    /// How many groups there are, shared or not.
    pub fn groups(&self) -> usize {
        self.labels.len()
    }
}

/// `comp-<task>` and `exec-<task>`.
pub fn component_and_executor_names(task: &str) -> (String, String) {
    (format!("comp-{task}"), format!("exec-{task}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_alike_only_when_written_alike() {
        let limit = |cpu: f64| Container {
            image: "i".into(),
            command: vec!["python".into()],
            args: vec!["--step_name".into(), "a".into()],
            env: Vec::new(),
            resources: Some(ResourceSpec { cpu_limit: Some(cpu), ..ResourceSpec::default() }),
        };
        let mut other_args = limit(1.0);
        other_args.args[1] = "b".into();
        assert!(alike_but_args(&limit(1.0), &other_args));
        assert!(!alike_but_args(&limit(0.0), &limit(-0.0)), "0.0 and -0.0 are written differently");
        assert_eq!(parametrized(&limit(1.0), "a").unwrap()[1], STEP_NAME_REF);
        assert_eq!(parametrized(&limit(1.0), "a b"), None);
    }
}
