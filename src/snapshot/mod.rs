//! Loading: ZenML snapshot JSON or the hand-written YAML form → one unvalidated
//! `RawPipeline` whose every value remembers its input path.

pub mod manual;
pub mod model;
pub mod settings;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diagnostic::codes;
use crate::error::{Error, ErrorKind, Result, Warning};
use settings::{
    Number, OrchestratorSettings, OrderedMap, PodSettings, ResourceSettings, RetryConfig,
    CLIENT_ONLY_ORCHESTRATOR_SETTINGS,
};

/// Which input format a text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ZenML `PipelineSnapshotResponse` JSON.
    Snapshot,
    /// zenc's hand-written YAML pipeline.
    Manual,
}

impl Format {
    /// `.json` (or text starting with `{`) is a snapshot; anything else is the YAML form.
    pub fn detect(file_name: &str, text: &str) -> Format {
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            return Format::Snapshot;
        }
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            return Format::Manual;
        }
        if text.trim_start().starts_with('{') {
            Format::Snapshot
        } else {
            Format::Manual
        }
    }
}

/// A pipeline as read, before validation. Paths point into the input for error messages.
#[derive(Debug, Clone, Default)]
pub struct RawPipeline {
    pub name: String,
    pub snapshot_id: String,
    pub snapshot_id_path: String,
    pub project_id: Option<String>,
    pub stack_id: Option<String>,
    /// Orchestrator flavor of the snapshot's stack, when the input says.
    pub flavor: Option<String>,
    pub dynamic: bool,
    pub execution_mode: Option<String>,
    pub execution_mode_path: String,
    pub tags: Vec<String>,
    pub description: Option<String>,
    /// Components of the snapshot's stack: `(type, name, flavor)`, when the stack is hydrated.
    pub stack_components: Vec<(String, String, String)>,
    /// Image for the whole pipeline (ZenML's `orchestrator` build key).
    pub image: Option<String>,
    /// Stack-level environment (applied before each step's own).
    pub stack_environment: Vec<(String, Value)>,
    /// Pipeline-level orchestrator settings (parallelism, TTL, schedule knobs).
    pub orchestrator: OrchestratorSettings,
    pub orchestrator_path: String,
    pub parallelism: Option<Number>,
    pub parallelism_path: String,
    pub schedule: Option<RawSchedule>,
    pub steps: Vec<RawStep>,
    /// Where the steps and the images are written in this input format.
    pub steps_path: String,
    pub images_path: String,
}

/// One step as read.
#[derive(Debug, Clone, Default)]
pub struct RawStep {
    /// Invocation id: the key of `step_configurations`.
    pub name: String,
    /// Path of the step itself (`metadata.step_configurations.train`, `steps[1]`).
    pub path: String,
    pub image: Option<String>,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub upstream: Vec<String>,
    pub upstream_path: String,
    pub environment: Vec<(String, Value)>,
    pub environment_path: String,
    pub resources: Option<ResourceSettings>,
    pub resources_path: String,
    pub retry: Option<RetryConfig>,
    pub retry_path: String,
    /// Step-level (already merged with pipeline-level) orchestrator settings.
    pub orchestrator: OrchestratorSettings,
    pub orchestrator_path: String,
    /// Path of the Kubernetes pod settings (`...pod_settings`, `steps[1].pod`).
    pub pod_path: String,
    /// Path of the step deadline (`...active_deadline_seconds`, `steps[1].timeout`).
    pub timeout_path: String,
    /// Set when the step runs on a ZenML step operator instead of the orchestrator.
    pub step_operator: bool,
}

/// A schedule as read.
#[derive(Debug, Clone, Default)]
pub struct RawSchedule {
    pub path: String,
    pub name: Option<String>,
    pub active: bool,
    pub cron: Option<String>,
    pub interval: Option<Value>,
    pub run_once: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub catchup: bool,
    pub timezone: Option<String>,
    pub concurrency_policy: Option<String>,
    pub starting_deadline_seconds: Option<Number>,
    pub successful_history_limit: Option<Number>,
    pub failed_history_limit: Option<Number>,
    /// Where the knobs above are written: `[concurrency, deadline, successful, failed]`.
    pub knob_paths: [String; 4],
}

/// Parse `text` (named `file_name` in messages) into a `RawPipeline`.
pub fn load(text: &str, file_name: &str, format: Format) -> Result<(RawPipeline, Vec<Warning>)> {
    let mut warnings = Vec::new();
    let raw = match format {
        Format::Snapshot => {
            let snap: model::Snapshot = parse_json(text)?;
            from_snapshot(snap, &mut warnings)?
        }
        Format::Manual => {
            let manual: manual::ManualPipeline = parse_yaml(text)?;
            from_manual(manual)?
        }
    };
    dedup(&mut warnings);
    let _ = file_name;
    Ok((raw, warnings))
}

fn dedup(warnings: &mut Vec<Warning>) {
    let mut seen = std::collections::BTreeSet::new();
    warnings.retain(|w| seen.insert((w.code, w.message.clone())));
}

/// serde's type errors quote the string they found (`invalid type: string "…"`); that string
/// may be a credential written in the wrong place, so messages say `a string` instead.
fn without_values(message: String) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        out.push_str("a string");
        // The quoted text is written with `{:?}`: a `"` inside it is escaped.
        let quoted = &rest[i + "string \"".len()..];
        let mut escaped = false;
        let end = quoted.char_indices().find(|&(_, c)| {
            let close = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            close
        });
        rest = end.map_or("", |(j, _)| &quoted[j + 1..]);
    }
    out.push_str(rest);
    out
}

fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let err = Error::new(ErrorKind::Parse { format: "JSON", message: without_values(e.into_inner().to_string()) });
        if path == "." {
            err
        } else {
            err.at(path)
        }
    })
}

/// Deepest nesting the YAML reader accepts: serde_yaml's own recursion limit.
const MAX_YAML_DEPTH: usize = 128;

/// How deep `[`/`{` flow collections nest outside quoted scalars, stopping once past `limit`.
/// The YAML parser takes time quadratic in that depth (80,000 levels: half a minute) before the
/// deserializer's recursion limit refuses the input, so deeper text is refused before parsing.
fn flow_depth(text: &str, limit: usize) -> usize {
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None::<char>);
    let mut prev = '\n';
    for c in text.chars() {
        match (quote, c) {
            (Some('"'), _) if prev == '\\' => {
                // `\"` escapes the quote; `\\` escapes the backslash.
                prev = if c == '\\' { ' ' } else { c };
                continue;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"') => quote = Some('"'),
            // A `'` inside a plain scalar (`don't`) is text, not a quote.
            (None, '\'') if " \t\n[{,:".contains(prev) => quote = Some('\''),
            (None, '[' | '{') => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > limit {
                    break;
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        prev = c;
    }
    deepest
}

fn parse_yaml<T: DeserializeOwned>(text: &str) -> Result<T> {
    if flow_depth(text, MAX_YAML_DEPTH) > MAX_YAML_DEPTH {
        return Err(Error::new(ErrorKind::Parse {
            format: "YAML",
            message: format!("`[`/`{{` collections nested more than {MAX_YAML_DEPTH} levels deep"),
        }));
    }
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let err = Error::new(ErrorKind::Parse { format: "YAML", message: without_values(e.into_inner().to_string()) });
        if path == "." {
            err
        } else {
            err.at(path)
        }
    })
}

/// Deserialize a JSON sub-value, reporting errors at `base` + the inner path.
fn typed<T: DeserializeOwned>(value: &Value, base: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." { base.to_string() } else { format!("{base}.{inner}") };
        Error::new(ErrorKind::Parse { format: "setting", message: without_values(e.into_inner().to_string()) }).at(path)
    })
}

/// Quote a map key for a JSON path when it is not a plain identifier.
pub fn key_path(base: &str, key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{base}.{key}")
    } else {
        format!("{base}[{}]", serde_json::to_string(key).expect("strings serialize"))
    }
}

/// Picks the orchestrator entry of a settings map: `orchestrator:<component>` (ZenML ≥0.94.3)
/// or the legacy `orchestrator.<flavor>`. Returns the key too.
fn orchestrator_entry<'a>(
    settings: &'a OrderedMap<Value>,
    component: Option<&str>,
    flavor: Option<&str>,
) -> Option<(&'a String, &'a Value)> {
    let wanted = [component.map(|c| format!("orchestrator:{c}")), flavor.map(|f| format!("orchestrator.{f}"))];
    for key in wanted.iter().flatten() {
        if let Some(hit) = settings.iter().find(|(k, _)| *k == key) {
            return Some(hit);
        }
    }
    if component.is_some() || flavor.is_some() {
        // Settings for a component that is not the stack's orchestrator are dropped by ZenML.
        return None;
    }
    settings.iter().find(|(k, _)| k.starts_with("orchestrator:") || k.starts_with("orchestrator."))
}

fn orchestrator_settings(
    settings: Option<&OrderedMap<Value>>,
    base: &str,
    component: Option<&str>,
    flavor: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Result<(OrchestratorSettings, String)> {
    let Some(settings) = settings else {
        return Ok((OrchestratorSettings::default(), base.to_string()));
    };
    let Some((key, value)) = orchestrator_entry(settings, component, flavor).filter(|(_, v)| !v.is_null()) else {
        return Ok((OrchestratorSettings::default(), base.to_string()));
    };
    let path = key_path(base, key);
    let parsed: OrchestratorSettings = typed(value, &path)?;
    for (extra, _) in parsed.extra.iter() {
        if !CLIENT_ONLY_ORCHESTRATOR_SETTINGS.contains(&extra.as_str()) && extra != "operator" {
            warnings.push(
                Warning::new(
                    &codes::SETTING_IGNORED,
                    format!("orchestrator setting `{extra}` is not carried over into compiled specs"),
                )
                .at(key_path(&path, extra)),
            );
        }
    }
    if let Some(pod) = &parsed.pod_settings {
        for (extra, _) in pod.extra.iter() {
            warnings.push(
                Warning::new(
                    &codes::SETTING_IGNORED,
                    format!("pod setting `{extra}` is not a KubernetesPodSettings field; ignored"),
                )
                .at(key_path(&format!("{path}.pod_settings"), extra)),
            );
        }
    }
    if let Some(operator) = parsed.extra.get("operator").and_then(Value::as_str) {
        if !operator.ends_with("KubernetesPodOperator") {
            warnings.push(
                Warning::new(
                    &codes::SETTING_IGNORED,
                    format!("Airflow operator `{operator}` is not used: every target runs steps as Kubernetes pods"),
                )
                .at(key_path(&path, "operator")),
            );
        }
    }
    Ok((parsed, path))
}

fn from_snapshot(snap: model::Snapshot, warnings: &mut Vec<Warning>) -> Result<RawPipeline> {
    let metadata = snap.metadata.ok_or_else(|| {
        Error::invalid("snapshot", "metadata: null", "a hydrated snapshot (`hydrate=True`, the REST default)")
            .at("metadata")
    })?;
    let resources = snap.resources.unwrap_or(model::Resources { stack: None, build: None, schedule: None });
    let stack_meta = resources.stack.as_ref().and_then(|s| s.metadata.as_ref());
    let orchestrator_component = stack_meta.and_then(|m| m.components.get("orchestrator")).and_then(|c| c.first());
    let component_name = orchestrator_component.map(|c| c.name.as_str());
    let mut flavor = orchestrator_component.map(|c| c.body.flavor_name.clone());

    let pc = &metadata.pipeline_configuration;
    // An unhydrated stack still tells the flavor through a legacy `orchestrator.<flavor>` key.
    if flavor.is_none() {
        if let Some(settings) = &pc.settings {
            let legacy: Vec<&str> = settings.keys().filter_map(|k| k.strip_prefix("orchestrator.")).collect();
            if let [only] = legacy[..] {
                flavor = Some(only.to_string());
            }
        }
    }
    let (orchestrator, orchestrator_path) = orchestrator_settings(
        pc.settings.as_ref(),
        "metadata.pipeline_configuration.settings",
        component_name,
        flavor.as_deref(),
        warnings,
    )?;

    let images = resources.build.as_ref().and_then(|b| b.metadata.as_ref()).map(|m| &m.images);
    let pipeline_image = images.and_then(|i| i.get("orchestrator")).map(|b| b.image.clone());

    let mut steps = Vec::new();
    for (name, step) in metadata.step_configurations.iter() {
        let path = key_path("metadata.step_configurations", name);
        let settings_path = format!("{path}.config.settings");
        let settings = step.config.settings.as_ref();
        let (orch, orch_path) =
            orchestrator_settings(settings, &settings_path, component_name, flavor.as_deref(), warnings)?;
        let resources_path = format!("{settings_path}.resources");
        let resources: Option<ResourceSettings> =
            match settings.and_then(|s| s.get("resources")).filter(|v| !v.is_null()) {
                Some(v) => Some(typed(v, &resources_path)?),
                None => None,
            };
        let retry_path = format!("{path}.config.retry");
        let retry: Option<RetryConfig> = match &step.config.retry {
            Some(Value::Null) | None => None,
            Some(v) => Some(typed(v, &retry_path)?),
        };
        let image = images
            .and_then(|i| i.get(&format!("{name}.orchestrator")))
            .map(|b| b.image.clone())
            .or_else(|| pipeline_image.clone())
            .or_else(|| skip_build_image(settings));
        let step_operator = matches!(&step.config.step_operator, Some(v) if !v.is_null() && *v != Value::Bool(false));
        steps.push(RawStep {
            name: name.clone(),
            path: path.clone(),
            image,
            // A "command step" keeps ZenML's step entrypoint in the orchestrator's container: the
            // entrypoint hands `config.command` to the step operator (zenml.md §1).
            command: None,
            args: None,
            upstream: step.spec.upstream_steps.clone(),
            upstream_path: format!("{path}.spec.upstream_steps"),
            environment: step.config.environment.clone().map(|m| m.0).unwrap_or_default(),
            environment_path: format!("{path}.config.environment"),
            resources,
            resources_path,
            retry,
            retry_path,
            orchestrator: orch,
            pod_path: format!("{orch_path}.pod_settings"),
            timeout_path: format!("{orch_path}.active_deadline_seconds"),
            orchestrator_path: orch_path,
            step_operator,
        });
    }

    let schedule = resources.schedule.map(|s| {
        let b = s.body;
        RawSchedule {
            path: "resources.schedule.body".into(),
            name: s.name,
            active: b.active.unwrap_or(true),
            cron: b.cron_expression,
            interval: b.interval_second.filter(|v| !v.is_null()),
            run_once: b.run_once_start_time,
            start: b.start_time,
            end: b.end_time,
            catchup: b.catchup.unwrap_or(false),
            timezone: None,
            concurrency_policy: orchestrator.concurrency_policy.clone(),
            starting_deadline_seconds: orchestrator.starting_deadline_seconds,
            successful_history_limit: orchestrator.successful_jobs_history_limit,
            failed_history_limit: orchestrator.failed_jobs_history_limit,
            knob_paths: [
                "concurrency_policy",
                "starting_deadline_seconds",
                "successful_jobs_history_limit",
                "failed_jobs_history_limit",
            ]
            .map(|k| format!("{orchestrator_path}.{k}")),
        }
    });

    let tags = pc
        .tags
        .iter()
        .flatten()
        .filter_map(|t| match t {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .collect();

    Ok(RawPipeline {
        name: pc.name.clone(),
        snapshot_id: snap.id,
        snapshot_id_path: "id".into(),
        project_id: snap.body.project_id,
        stack_id: resources.stack.as_ref().map(|s| s.id.clone()),
        flavor,
        dynamic: snap.body.is_dynamic,
        execution_mode: pc.execution_mode.clone(),
        execution_mode_path: "metadata.pipeline_configuration.execution_mode".into(),
        tags,
        description: metadata.description.clone(),
        stack_components: stack_meta
            .iter()
            .flat_map(|m| m.components.iter())
            .flat_map(|(kind, list)| list.iter().map(|c| (kind.clone(), c.name.clone(), c.body.flavor_name.clone())))
            .collect(),
        image: pipeline_image.or_else(|| skip_build_image(pc.settings.as_ref())),
        stack_environment: stack_meta.and_then(|m| m.environment.clone()).map(|m| m.0).unwrap_or_default(),
        parallelism: orchestrator.max_parallelism,
        parallelism_path: format!("{orchestrator_path}.max_parallelism"),
        orchestrator,
        orchestrator_path,
        schedule,
        steps,
        steps_path: "metadata.step_configurations".into(),
        images_path: "resources.build.metadata.images".into(),
    })
}

/// With `DockerSettings(skip_build=True)` ZenML runs `parent_image` as is, so that is the
/// image even when the snapshot's build was not hydrated.
fn skip_build_image(settings: Option<&OrderedMap<Value>>) -> Option<String> {
    let docker = settings?.get("docker")?;
    if docker.get("skip_build")?.as_bool()? {
        docker.get("parent_image")?.as_str().map(str::to_string)
    } else {
        None
    }
}

/// ZenML's settings merge: dicts merged recursively, everything else replaced.
fn deep_merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = a.clone();
            for (k, v) in b {
                let merged = match a.get(k) {
                    Some(old) => deep_merge(old, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, over) => over.clone(),
    }
}

/// The YAML form is strict: an unknown key is a typo.
fn strict(extra: &OrderedMap<Value>, path: &str, what: &str) -> Result<()> {
    let known = match what {
        "pod" => POD_KEYS,
        "resources" => "`cpu_count`, `memory`, `gpu_count`",
        _ => "`max_retries`, `delay`, `backoff`",
    };
    if let Some((key, _)) = extra.iter().next() {
        return Err(
            Error::invalid(format!("{what} key"), key.clone(), format!("one of {known}")).at(key_path(path, key))
        );
    }
    Ok(())
}

const POD_KEYS: &str = "`node_selectors`, `affinity`, `tolerations`, `resources`, `annotations`, `labels`, `volumes`, \
`volume_mounts`, `host_ipc`, `scheduler_name`, `image_pull_secrets`, `env`, `env_from`, `container_security_context`, \
`additional_pod_spec_args`";

fn check_pod(pod: &PodSettings, path: &str) -> Result<()> {
    strict(&pod.extra, path, "pod")
}

fn from_manual(m: manual::ManualPipeline) -> Result<RawPipeline> {
    // Check each level strictly before merging, so a typo is reported where it was written.
    if let Some(r) = &m.resources {
        strict(&r.extra, "resources", "resources")?;
    }
    if let Some(r) = &m.retry {
        strict(&r.extra, "retry", "retry")?;
    }
    if let Some(p) = &m.pod {
        check_pod(p, "pod")?;
    }
    let pipeline_pod = m.pod.as_ref().map(pod_value);
    let mut steps = Vec::new();
    for (i, s) in m.steps.into_iter().enumerate() {
        let path = format!("steps[{i}]");
        if let Some(r) = &s.resources {
            strict(&r.extra, &format!("{path}.resources"), "resources")?;
        }
        if let Some(r) = &s.retry {
            strict(&r.extra, &format!("{path}.retry"), "retry")?;
        }
        if let Some(p) = &s.pod {
            check_pod(p, &format!("{path}.pod"))?;
        }
        let pod = match (&pipeline_pod, s.pod.as_ref().map(pod_value)) {
            (Some(a), Some(b)) => Some(deep_merge(a, &b)),
            (a, b) => b.or_else(|| a.clone()),
        };
        let pod: Option<PodSettings> = match pod {
            Some(v) => Some(typed(&v, &format!("{path}.pod"))?),
            None => None,
        };
        let mut environment: Vec<(String, Value)> = m.environment.clone().map(|e| e.0).unwrap_or_default();
        for (k, v) in s.environment.map(|e| e.0).unwrap_or_default() {
            match environment.iter_mut().find(|(old, _)| *old == k) {
                Some(slot) => slot.1 = v,
                None => environment.push((k, v)),
            }
        }
        let resources_path = if s.resources.is_some() || m.resources.is_none() {
            format!("{path}.resources")
        } else {
            "resources".into()
        };
        let resources = match (&m.resources, s.resources) {
            (Some(base), Some(step)) => Some(ResourceSettings {
                cpu_count: step.cpu_count.or(base.cpu_count),
                gpu_count: step.gpu_count.or(base.gpu_count),
                memory: step.memory.or(base.memory.clone()),
                extra: OrderedMap::default(),
            }),
            (base, step) => step.or_else(|| base.clone()),
        };
        steps.push(RawStep {
            name: s.name,
            image: s.image.or_else(|| m.image.clone()),
            command: s.command,
            args: s.args,
            upstream: s.upstream,
            upstream_path: format!("{path}.upstream"),
            environment,
            environment_path: format!("{path}.environment"),
            resources_path,
            resources,
            retry_path: if s.retry.is_some() || m.retry.is_none() { format!("{path}.retry") } else { "retry".into() },
            retry: s.retry.or_else(|| m.retry.clone()),
            orchestrator: OrchestratorSettings {
                pod_settings: pod,
                step_pod_service_account_name: s.service_account.or_else(|| m.service_account.clone()),
                active_deadline_seconds: s.timeout.or(m.timeout),
                ..OrchestratorSettings::default()
            },
            orchestrator_path: path.clone(),
            pod_path: format!("{path}.pod"),
            timeout_path: if s.timeout.is_some() || m.timeout.is_none() {
                format!("{path}.timeout")
            } else {
                "timeout".into()
            },
            step_operator: false,
            path,
        });
    }
    let schedule = m.schedule.map(|s| RawSchedule {
        path: "schedule".into(),
        name: s.name,
        active: true,
        cron: s.cron,
        interval: s.interval,
        run_once: s.run_once,
        start: s.start,
        end: s.end,
        catchup: s.catchup.unwrap_or(false),
        timezone: s.timezone,
        concurrency_policy: s.concurrency_policy,
        starting_deadline_seconds: s.starting_deadline_seconds,
        successful_history_limit: s.successful_history_limit,
        failed_history_limit: s.failed_history_limit,
        knob_paths: [
            "concurrency_policy",
            "starting_deadline_seconds",
            "successful_history_limit",
            "failed_history_limit",
        ]
        .map(|k| format!("schedule.{k}")),
    });
    Ok(RawPipeline {
        name: m.name,
        snapshot_id: m.snapshot_id,
        snapshot_id_path: "snapshot_id".into(),
        project_id: m.project_id,
        stack_id: m.stack_id,
        flavor: m.flavor,
        dynamic: false,
        execution_mode: m.execution_mode,
        execution_mode_path: "execution_mode".into(),
        tags: m.tags.unwrap_or_default(),
        description: m.description,
        stack_components: Vec::new(),
        image: m.image,
        stack_environment: Vec::new(),
        orchestrator: OrchestratorSettings { max_parallelism: m.parallelism, ..OrchestratorSettings::default() },
        orchestrator_path: "pod".into(),
        parallelism: m.parallelism,
        parallelism_path: "parallelism".into(),
        schedule,
        steps,
        steps_path: "steps".into(),
        images_path: "image".into(),
    })
}

/// Back to JSON for merging (the typed struct was only used to check the keys).
fn pod_value(pod: &PodSettings) -> Value {
    fn map<V: serde::Serialize>(m: &Option<OrderedMap<V>>) -> Option<Value> {
        m.as_ref().map(|m| {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), serde_json::to_value(v).expect("plain data"))).collect())
        })
    }
    let mut out = serde_json::Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    };
    put("node_selectors", map(&pod.node_selectors));
    put("affinity", pod.affinity.clone());
    put("tolerations", pod.tolerations.clone().map(Value::Array));
    put(
        "resources",
        pod.resources
            .as_ref()
            .map(|r| Value::Object(r.iter().map(|(k, v)| (k.clone(), map(&Some(v.clone())).expect("some"))).collect())),
    );
    put("annotations", map(&pod.annotations));
    put("volumes", pod.volumes.clone().map(Value::Array));
    put("volume_mounts", pod.volume_mounts.clone().map(Value::Array));
    put("host_ipc", pod.host_ipc.map(Value::Bool));
    put("scheduler_name", pod.scheduler_name.clone().map(Value::String));
    put(
        "image_pull_secrets",
        pod.image_pull_secrets.as_ref().map(|v| Value::Array(v.iter().cloned().map(Value::String).collect())),
    );
    put("labels", map(&pod.labels));
    put("env", pod.env.clone().map(Value::Array));
    put("env_from", pod.env_from.clone().map(Value::Array));
    put("container_security_context", pod.container_security_context.clone());
    put("additional_pod_spec_args", map(&pod.additional_pod_spec_args));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn flow_nesting_is_counted_outside_quotes() {
        assert_eq!(super::flow_depth("a: [[1], {b: [2]}]", 128), 3);
        assert_eq!(super::flow_depth("a: \"[[[[\\\"[[\"\nb: 'x[[[' \nc: don't [1]", 128), 1);
        let deep = format!("name: p\nimage: {}", "[".repeat(100_000));
        assert_eq!(super::flow_depth(&deep, 128), 129, "stops counting past the limit");
        let err = super::parse_yaml::<serde_json::Value>(&deep).unwrap_err().to_string();
        assert!(err.contains("nested more than 128 levels"), "{err}");
        let fine = format!("a: {}{}", "[".repeat(100), "]".repeat(100));
        assert!(super::parse_yaml::<serde_json::Value>(&fine).is_ok());
    }

    use super::*;

    #[test]
    fn type_errors_do_not_quote_the_string_found() {
        let cases = [
            (r#"invalid type: string "hunter2", expected u32"#, "invalid type: a string, expected u32"),
            (r#"invalid type: string "a \"q\" b", expected a map"#, "invalid type: a string, expected a map"),
            (r#"x string "1" y string "2" z"#, "x a string y a string z"),
            ("unknown field `tags`, expected `name`", "unknown field `tags`, expected `name`"),
        ];
        for (input, want) in cases {
            assert_eq!(without_values(input.to_string()), want, "{input}");
        }
    }
}
