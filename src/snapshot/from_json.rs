//! A ZenML snapshot (`PipelineSnapshotResponse` JSON) as a `RawPipeline`.

use rustc_hash::FxHashMap;

use serde_json::Value;

use super::parse::typed;
use super::settings::{
    OrchestratorSettings, OrderedMap, ResourceSettings, RetryConfig, CLIENT_ONLY_ORCHESTRATOR_SETTINGS,
};
use super::{key_path, model, Places, RawPipeline, RawSchedule, RawStep};
use crate::diagnostic::codes;
use crate::error::{Error, Result, Warning};

/// Picks the orchestrator entry of a settings map: `orchestrator:<component>` (ZenML ≥0.94.3)
/// or the legacy `orchestrator.<flavor>`. Returns the key too.
fn orchestrator_entry<'a>(
    settings: &'a OrderedMap<Value>,
    component: Option<&str>,
    flavor: Option<&str>,
) -> Option<(&'a String, &'a Value)> {
    // Compared in place: this runs for every step, and a `format!` of each key costs more.
    let wanted = [(":", component), (".", flavor)];
    for (separator, name) in wanted {
        let Some(name) = name else { continue };
        let hit = settings
            .iter()
            .find(|(k, _)| k.strip_prefix("orchestrator").and_then(|k| k.strip_prefix(separator)) == Some(name));
        if hit.is_some() {
            return hit;
        }
    }
    if component.is_some() || flavor.is_some() {
        // Settings for a component that is not the stack's orchestrator are dropped by ZenML.
        return None;
    }
    settings.iter().find(|(k, _)| k.starts_with("orchestrator:") || k.starts_with("orchestrator."))
}

/// The orchestrator settings of a settings map (at `base`), and their path when there are some.
fn orchestrator_settings(
    settings: Option<&OrderedMap<Value>>,
    base: impl FnOnce() -> String,
    component: Option<&str>,
    flavor: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Result<(OrchestratorSettings, Option<String>)> {
    let Some(settings) = settings else {
        return Ok((OrchestratorSettings::default(), None));
    };
    let Some((key, value)) = orchestrator_entry(settings, component, flavor).filter(|(_, v)| !v.is_null()) else {
        return Ok((OrchestratorSettings::default(), None));
    };
    let path = key_path(&base(), key);
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
    Ok((parsed, Some(path)))
}

/// A ZenML snapshot (`PipelineSnapshotResponse` JSON) as read.
pub(super) fn pipeline(snap: model::Snapshot, warnings: &mut Vec<Warning>) -> Result<RawPipeline> {
    let mut metadata = snap.metadata.ok_or_else(|| {
        Error::invalid("snapshot", "metadata: null", "a hydrated snapshot (`hydrate=True`, the REST default)")
            .at("metadata")
    })?;
    let resources = snap.resources.unwrap_or(model::Resources { stack: None, build: None, schedule: None });
    let stack_meta = resources.stack.as_ref().and_then(|s| s.metadata.as_ref());
    let orchestrator_component = stack_meta.and_then(|m| m.components.get("orchestrator")).and_then(|c| c.first());
    let component_name = orchestrator_component.map(|c| c.name.as_str());
    let pc = &metadata.pipeline_configuration;
    let flavor = orchestrator_component.map(|c| c.body.flavor_name.clone()).or_else(|| legacy_flavor(pc));
    let settings_path = "metadata.pipeline_configuration.settings";
    let (orchestrator, orchestrator_path) = orchestrator_settings(
        pc.settings.as_ref(),
        || settings_path.into(),
        component_name,
        flavor.as_deref(),
        warnings,
    )?;
    let orchestrator_path = orchestrator_path.unwrap_or_else(|| settings_path.into());
    let images = resources.build.as_ref().and_then(|b| b.metadata.as_ref()).map(|m| &m.images);
    let pipeline_image = images.and_then(|i| i.get("orchestrator")).map(|b| b.image.clone());
    // Looked up once per step: a map by step name, not the ordered list (keys are unique).
    let images: Option<FxHashMap<&str, &model::BuildItem>> =
        images.map(|i| i.iter().filter_map(|(k, v)| Some((k.strip_suffix(".orchestrator")?, v))).collect());
    let found = Found {
        images: images.as_ref(),
        pipeline_image: pipeline_image.as_deref(),
        component_name,
        flavor: flavor.as_deref(),
    };
    // Taken out of the model: each step's name, upstream list and environment move into it.
    let step_configurations = std::mem::take(&mut metadata.step_configurations).0;
    let mut steps = Vec::with_capacity(step_configurations.len());
    for (name, step) in step_configurations {
        steps.push(self::step(name, step, &found, warnings)?);
    }
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
        tags: tags(pc),
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
        schedule: resources.schedule.map(|s| schedule(s, &orchestrator, &orchestrator_path)),
        orchestrator,
        orchestrator_path,
        steps,
        steps_path: "metadata.step_configurations".into(),
        images_path: "resources.build.metadata.images".into(),
    })
}

/// An unhydrated stack still tells the flavor through a legacy `orchestrator.<flavor>` key.
fn legacy_flavor(pc: &model::PipelineConfiguration) -> Option<String> {
    let settings = pc.settings.as_ref()?;
    let legacy: Vec<&str> = settings.keys().filter_map(|k| k.strip_prefix("orchestrator.")).collect();
    match legacy[..] {
        [only] => Some(only.to_string()),
        _ => None,
    }
}

/// What the snapshot says about every step: build images, the orchestrator component.
struct Found<'a> {
    /// Build images by step (the `<step>` of the key `<step>.orchestrator`).
    images: Option<&'a FxHashMap<&'a str, &'a model::BuildItem>>,
    pipeline_image: Option<&'a str>,
    component_name: Option<&'a str>,
    flavor: Option<&'a str>,
}

/// One entry of `step_configurations`.
fn step(name: String, step: model::Step, found: &Found, warnings: &mut Vec<Warning>) -> Result<RawStep> {
    let path = key_path("metadata.step_configurations", &name);
    let settings_path = || join(&path, ".config.settings");
    let settings = step.config.settings.as_ref();
    let orchestrator = settings.map(|s| &s.orchestrator);
    let (orch, orchestrator_path) =
        orchestrator_settings(orchestrator, settings_path, found.component_name, found.flavor, warnings)?;
    let resources: Option<ResourceSettings> = match settings.and_then(|s| s.resources.as_ref()).filter(|v| !v.is_null())
    {
        Some(v) => Some(typed(v, &join(&path, ".config.settings.resources"))?),
        None => None,
    };
    let retry: Option<RetryConfig> = match &step.config.retry {
        Some(Value::Null) | None => None,
        Some(v) => Some(typed(v, &join(&path, ".config.retry"))?),
    };
    let image = found
        .images
        .and_then(|i| i.get(name.as_str()))
        .map(|b| b.image.clone())
        .or_else(|| found.pipeline_image.map(String::from))
        .or_else(|| {
            let docker = settings?.docker.as_ref()?;
            docker.skip_build?.then(|| docker.parent_image.clone())?
        });
    let step_operator = matches!(&step.config.step_operator, Some(v) if !v.is_null() && *v != Value::Bool(false));
    Ok(RawStep {
        name,
        path,
        image,
        // A "command step" keeps ZenML's step entrypoint in the orchestrator's container: the
        // entrypoint hands `config.command` to the step operator (zenml.md §1).
        command: None,
        args: None,
        upstream: step.spec.upstream_steps,
        environment: step.config.environment.map(|m| m.0).unwrap_or_default(),
        resources,
        retry,
        orchestrator: orch,
        places: Places::Snapshot { orchestrator_path },
        step_operator,
    })
}

/// `base` + `tail`, without `format!`'s parsing.
fn join(base: &str, tail: &str) -> String {
    let mut path = String::with_capacity(base.len() + tail.len());
    path.push_str(base);
    path.push_str(tail);
    path
}

/// The snapshot's schedule, with the orchestrator's schedule knobs.
fn schedule(s: model::NestedSchedule, orchestrator: &OrchestratorSettings, orchestrator_path: &str) -> RawSchedule {
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
}

/// Tag names (ZenML stores a string or a `{name, …}` object).
fn tags(pc: &model::PipelineConfiguration) -> Vec<String> {
    pc.tags
        .iter()
        .flatten()
        .filter_map(|t| match t {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .collect()
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
