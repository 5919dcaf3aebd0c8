//! One step: image, command, environment, pod settings, resources, retries.

use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use super::env::environment;
use super::pod::pod_settings;
use super::range::{ranged, ranged_opt, BACKOFF, DURATION, RETRIES};
use super::resources::{apply_pod_resources, resources};
use super::BuildOptions;
use crate::diagnostic::codes;
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::{EnvVar, Resources, Retry, Step};
use crate::snapshot::{key_path, Places, RawPipeline, RawStep, WrittenPlaces};

/// ZenML's step entrypoint (zenml/entrypoints/base_entrypoint_configuration.py).
pub const ENTRYPOINT_COMMAND: [&str; 3] = ["python", "-m", "zenml.entrypoints.entrypoint"];

pub(super) const STEP_ENTRYPOINT: &str = "zenml.entrypoints.step_entrypoint_configuration.StepEntrypointConfiguration";

pub(super) const DYNAMIC_ENTRYPOINT: &str =
    "zenml.pipelines.dynamic.entrypoint_configuration.DynamicPipelineEntrypointConfiguration";

/// Name of the single step of a dynamic pipeline.
pub const DYNAMIC_STEP_NAME: &str = "orchestrator";

pub(super) struct StepContext<'a> {
    pub(super) raw: &'a RawPipeline,
    pub(super) opts: &'a BuildOptions,
    pub(super) run_id_env: &'a str,
    pub(super) engine_retries: bool,
    /// `ENTRYPOINT_COMMAND`, once for every step that runs it.
    pub(super) entrypoint: Arc<[String]>,
    /// The environment of a step without one of its own (the same for every such step), and
    /// the warnings made while building it.
    pub(super) shared_env: OnceCell<(Arc<[EnvVar]>, Vec<Warning>)>,
    /// The last image found valid: steps mostly have the same one.
    valid_image: RefCell<Option<String>>,
}

impl<'a> StepContext<'a> {
    pub(super) fn new(raw: &'a RawPipeline, opts: &'a BuildOptions, run_id_env: &'a str, engine_retries: bool) -> Self {
        let entrypoint = ENTRYPOINT_COMMAND.map(String::from).into();
        let (shared_env, valid_image) = (OnceCell::new(), RefCell::default());
        StepContext { raw, opts, run_id_env, engine_retries, entrypoint, shared_env, valid_image }
    }
}

/// The single orchestration container of a dynamic pipeline (zenml.md §1).
pub(super) fn dynamic(ctx: &StepContext, warnings: &mut Vec<Warning>) -> Result<Step> {
    let raw = ctx.raw;
    let image = raw.image.clone().or_else(|| ctx.opts.image.clone()).ok_or_else(|| {
        Error::new(ErrorKind::MissingImage { steps: vec![DYNAMIC_STEP_NAME.into()] })
            .at("resources.build.metadata.images")
    })?;
    check_image(&image, "resources.build.metadata.images.orchestrator")?;
    warnings.push(Warning::new(
        &codes::DYNAMIC_PIPELINE,
        "dynamic pipeline: compiled to one orchestration container that launches the steps itself at run time through the stack's orchestrator",
    ));
    if let Some(flavor) = raw.flavor.as_deref().filter(|f| ["kubeflow", "tekton", "airflow"].contains(f)) {
        warnings.push(Warning::new(
            &codes::DYNAMIC_PIPELINE_FLAVOR,
            format!("ZenML's `{flavor}` orchestrator cannot run dynamic pipelines: the orchestration container will fail unless the stack uses an orchestrator that can (kubernetes)"),
        ));
    }
    let rs = RawStep {
        name: DYNAMIC_STEP_NAME.into(),
        path: "metadata.pipeline_configuration".into(),
        orchestrator: raw.orchestrator.clone(),
        places: Places::Written(Box::new(WrittenPlaces {
            orchestrator: raw.orchestrator_path.clone(),
            pod: format!("{}.pod_settings", raw.orchestrator_path),
            timeout: format!("{}.active_deadline_seconds", raw.orchestrator_path),
            environment: "metadata.pipeline_configuration.environment".into(),
            ..WrittenPlaces::default()
        })),
        ..RawStep::default()
    };
    let env = environment(ctx, &rs, warnings)?;
    let (pod, env_from) = pod_settings(&rs, true, warnings)?;
    let mut resources = Resources::default();
    apply_pod_resources(&rs, &mut resources, warnings)?;
    Ok(Step {
        name: DYNAMIC_STEP_NAME.into(),
        path: "metadata.pipeline_configuration".into(),
        image,
        command: ctx.entrypoint.clone(),
        args: vec![
            "--entrypoint_config_source".into(),
            DYNAMIC_ENTRYPOINT.into(),
            "--snapshot_id".into(),
            raw.snapshot_id.clone(),
        ],
        env,
        env_from,
        resources,
        retry: None,
        zenml_retry: None,
        upstream: Vec::new(),
        timeout_seconds: timeout(&rs)?,
        pod,
    })
}

/// One static step; `None` when it has no image (collected into one error by the caller). Its
/// name, path, image and upstream list move from `rs` into the step.
pub(super) fn build(ctx: &StepContext, rs: &mut RawStep, warnings: &mut Vec<Warning>) -> Result<Option<Step>> {
    if rs.name.is_empty() {
        return Err(Error::invalid("step name", "", "a non-empty name").at(rs.path.clone()));
    }
    let Some(image) = rs.image.take().or_else(|| ctx.opts.image.clone()) else {
        return Ok(None);
    };
    if ctx.valid_image.borrow().as_ref() != Some(&image) {
        check_image(&image, &rs.path)?;
        *ctx.valid_image.borrow_mut() = Some(image.clone());
    }
    let (command, args) = match (&rs.command, &rs.args) {
        (Some(cmd), args) if !cmd.is_empty() => (Arc::from(cmd.as_slice()), args.clone().unwrap_or_default()),
        (_, Some(args)) => (ctx.entrypoint.clone(), args.clone()),
        _ => (
            ctx.entrypoint.clone(),
            vec![
                "--entrypoint_config_source".into(),
                STEP_ENTRYPOINT.into(),
                "--snapshot_id".into(),
                ctx.raw.snapshot_id.clone(),
                "--step_name".into(),
                rs.name.clone(),
            ],
        ),
    };
    let env = environment(ctx, rs, warnings)?;
    let (pod, env_from) = pod_settings(rs, false, warnings)?;
    let resources = resources(rs, warnings)?;
    let zenml_retry = zenml_retry(rs, warnings)?;
    let retry = if ctx.engine_retries { engine_retry(rs, zenml_retry)? } else { None };
    let timeout_seconds = timeout(rs)?;
    Ok(Some(Step {
        name: std::mem::take(&mut rs.name),
        path: std::mem::take(&mut rs.path),
        image,
        command,
        args,
        env,
        env_from,
        resources,
        retry,
        zenml_retry,
        upstream: std::mem::take(&mut rs.upstream),
        timeout_seconds,
        pod,
    }))
}

/// The step's own retry config, checked.
fn zenml_retry(rs: &RawStep, warnings: &mut Vec<Warning>) -> Result<Option<Retry>> {
    let Some(r) = &rs.retry else { return Ok(None) };
    let retry_path = rs.retry_path();
    for (key, _) in r.extra.iter() {
        warnings.push(
            Warning::new(&codes::SETTING_IGNORED, format!("retry setting `{key}` is not known"))
                .at(key_path(&retry_path, key)),
        );
    }
    let at = |field: &str| format!("{retry_path}.{field}");
    let limit = ranged(r.max_retries, "max_retries", &RETRIES, &at("max_retries"))?;
    Ok(Some(Retry {
        limit: u32::try_from(limit).expect("RETRIES fits u32"),
        delay_seconds: ranged_opt(r.delay, "retry delay", &DURATION, &at("delay"))?.unwrap_or(0),
        backoff_factor: ranged_opt(r.backoff, "retry backoff", &BACKOFF, &at("backoff"))?.unwrap_or(0),
    }))
}

/// The retries the engine performs, when the flavor leaves them to it: like ZenML's Kubernetes
/// orchestrator, whose Job has `backoffLimit = max_retries + backoff_limit_margin`.
fn engine_retry(rs: &RawStep, zenml_retry: Option<Retry>) -> Result<Option<Retry>> {
    // The path is made only for a margin that is set: this runs for every step.
    let margin = match rs.orchestrator.backoff_limit_margin {
        None => 0,
        Some(m) => {
            let margin_path = format!("{}.backoff_limit_margin", rs.orchestrator_path());
            u32::try_from(ranged(m, "backoff_limit_margin", &RETRIES, &margin_path)?).expect("RETRIES fits u32")
        }
    };
    let max = zenml_retry.map_or(0, |r| r.limit);
    let limit = Some(max + margin).filter(|l| u64::from(*l) <= RETRIES.hi).ok_or_else(|| {
        Error::invalid(
            "retry limit",
            format!("max_retries {max} + backoff_limit_margin {margin}"),
            format!("at most {} retries in all ({})", RETRIES.hi, RETRIES.why),
        )
        .at(rs.retry_path())
    })?;
    Ok((limit > 0).then(|| Retry {
        limit,
        delay_seconds: zenml_retry.map_or(0, |r| r.delay_seconds),
        backoff_factor: zenml_retry.map_or(0, |r| r.backoff_factor),
    }))
}

/// Step deadline; 0 means none (ZenML's `active_deadline_seconds` default is none).
pub(super) fn timeout(rs: &RawStep) -> Result<Option<u64>> {
    let Some(seconds) = rs.orchestrator.active_deadline_seconds else { return Ok(None) };
    Ok(Some(ranged(seconds, "step timeout", &DURATION, &rs.timeout_path())?).filter(|t| *t > 0))
}

pub(super) fn check_image(image: &str, path: &str) -> Result<()> {
    // Printable ASCII (nearly every image) has neither: the Unicode classes only for the rest.
    let printable = image.bytes().all(|b| b.is_ascii_graphic());
    if image.is_empty() || (!printable && image.chars().any(|c| c.is_whitespace() || c.is_control())) {
        return Err(Error::invalid(
            "image",
            image,
            "an image reference without spaces, e.g. `registry.example.com/team/app:1.0`",
        )
        .at(path));
    }
    Ok(())
}

pub(super) fn check_snapshot_id(id: &str, path: &str) -> Result<()> {
    let groups: Vec<&str> = id.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5
        && groups.iter().zip(lens).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    if !ok {
        return Err(Error::invalid(
            "snapshot id",
            id,
            "a UUID such as `0b9bd5a0-4c61-4a8b-9f5b-2d1f6f0c7a11` (ZenML requires one)",
        )
        .at(path));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn images_with_spaces_or_control_characters_are_refused_ascii_or_not() {
        for ok in ["a:1", "registry.example.com/team/app@sha256:0123", "registry.example.com/café:1"] {
            assert!(super::check_image(ok, "p").is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a\tb", "a\u{7f}", "a\u{a0}b", "a\u{2028}", "é\u{85}"] {
            assert!(super::check_image(bad, "p").is_err(), "{bad:?}");
        }
    }
}
