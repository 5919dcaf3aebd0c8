//! RawPipeline → validated `Pipeline`: defaults, quantities, environment, graph, schedule.
//! Every error carries the input path of the value it is about.

use serde_json::Value;

use super::graph::{self, Node};
use super::schedule::{parse_interval, Concurrency, Cron, Schedule, Trigger, UtcDateTime};
use super::syntax;
use super::{
    EnvValue, EnvVar, FailureMode, PodSettings, Quantity, Resources, Retry, Step, GPU_RESOURCE, POD_SELECTOR_LABELS,
};
use crate::diagnostic::codes;
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::snapshot::settings::{Number, OrchestratorSettings, IGNORED_RESOURCE_SETTINGS};
use crate::snapshot::{key_path, RawPipeline, RawSchedule, RawStep};
use crate::Pipeline;

/// ZenML's step entrypoint (zenml/entrypoints/base_entrypoint_configuration.py).
pub const ENTRYPOINT_COMMAND: [&str; 3] = ["python", "-m", "zenml.entrypoints.entrypoint"];
const STEP_ENTRYPOINT: &str = "zenml.entrypoints.step_entrypoint_configuration.StepEntrypointConfiguration";
const DYNAMIC_ENTRYPOINT: &str =
    "zenml.pipelines.dynamic.entrypoint_configuration.DynamicPipelineEntrypointConfiguration";
/// Largest duration in seconds (deadlines, delays, TTLs, intervals): 68 years, 2^31−1. It is
/// the upper bound of a Pod's `activeDeadlineSeconds` (checked on a real API server) and the
/// int32 of Argo's `ttlStrategy`, KFP's `resourceTtlOnCompletion` and a Job's TTL; every other
/// duration field (int64 seconds, Go durations up to 292 years, Python timedeltas) holds more,
/// and one range for every duration is simpler to remember.
pub const MAX_SECONDS: u64 = i32::MAX as u64;

/// The documented range of a numeric input field (README "Numeric ranges").
struct Range {
    lo: u64,
    hi: u64,
    /// Unit after the numbers (` s`).
    unit: &'static str,
    /// Why the bound is there.
    why: &'static str,
}

/// Durations: timeouts, grace periods, TTLs, starting deadlines, retry delays.
const DURATION: Range =
    Range { lo: 0, hi: MAX_SECONDS, unit: " s", why: "68 years, the longest duration every engine holds" };
/// Counts the engines store as 32-bit integers: parallelism, history limits, GPUs.
const COUNT: Range = Range { lo: 0, hi: i32::MAX as u64, unit: "", why: "engines store it as a 32-bit integer" };
/// Retries (also `max_retries + backoff_limit_margin`): engines store them as 32-bit integers,
/// and ZenML's server would refuse that many attempts long before.
const RETRIES: Range = Range { lo: 0, hi: 10_000, unit: "", why: "far more attempts than ZenML's server accepts" };
/// Retry backoff factor: a larger one overflows the engines' delay arithmetic within a few retries.
const BACKOFF: Range =
    Range { lo: 0, hi: 1000, unit: "", why: "larger factors overflow the engines' delay arithmetic" };
/// Schedule intervals: at least a second, at most the duration bound.
const INTERVAL: Range = Range { lo: 1, ..DURATION };

/// `n` as a whole number within `range`, or an error naming the field, its path and the range.
fn ranged(n: Number, what: &str, range: &Range, path: &str) -> Result<u64> {
    n.whole().and_then(|w| u64::try_from(w).ok()).filter(|w| (range.lo..=range.hi).contains(w)).ok_or_else(|| {
        let Range { lo, hi, unit, why } = range;
        Error::invalid(what, n.to_string(), format!("a whole number from {lo} to {hi}{unit} ({why})")).at(path)
    })
}

fn ranged_opt(n: Option<Number>, what: &str, range: &Range, path: &str) -> Result<Option<u64>> {
    n.map(|n| ranged(n, what, range, path)).transpose()
}

/// A count within `COUNT` (which fits `u32`).
fn count(n: Option<Number>, what: &str, path: &str) -> Result<Option<u32>> {
    Ok(ranged_opt(n, what, &COUNT, path)?.map(|c| u32::try_from(c).expect("COUNT fits u32")))
}

/// Name of the single step of a dynamic pipeline.
pub const DYNAMIC_STEP_NAME: &str = "orchestrator";

/// A reference to a key of a Kubernetes Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    pub key: String,
}

impl SecretRef {
    /// Parse `NAME[:KEY]`; the key defaults to `api-key`.
    pub fn parse(text: &str) -> Result<SecretRef> {
        let (name, key) = text.split_once(':').unwrap_or((text, "api-key"));
        syntax::object_name("secret name", name).map_err(|e| e.at("--zenml-secret"))?;
        syntax::secret_key(key).map_err(|e| e.at("--zenml-secret"))?;
        Ok(SecretRef { name: name.to_string(), key: key.to_string() })
    }
}

/// Deployment choices that are not in the snapshot.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Image for steps the snapshot has none for.
    pub image: Option<String>,
    /// ZenML server URL the steps report to.
    pub zenml_url: Option<String>,
    /// Secret holding a ZenML service-account API key.
    pub zenml_secret: Option<SecretRef>,
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    /// Overrides the run-id variable derived from the flavor.
    pub run_id_env: Option<String>,
    /// Overrides the orchestrator flavor read from the snapshot.
    pub flavor: Option<String>,
    /// IANA time zone for cron schedules.
    pub timezone: Option<String>,
}

/// Run-id variable read by each ZenML orchestrator flavor (zenml.md §2) and whether the flavor
/// leaves step retries to the engine (`handles_step_retries`, §3.0).
fn flavor_facts(flavor: &str) -> Option<(&'static str, bool)> {
    Some(match flavor {
        "kubernetes" => ("ZENML_KUBERNETES_RUN_ID", true),
        "kubeflow" => ("KFP_RUN_ID", false),
        "tekton" => ("ZENML_TEKTON_RUN_ID", false),
        "airflow" => ("ZENML_AIRFLOW_RUN_ID", false),
        "vertex" => ("ZENML_VERTEX_RUN_ID", false),
        "sagemaker" => ("ZENML_SAGEMAKER_RUN_ID", false),
        // zenc's own flavor (python/zenc/zenml): the engine owns the step pod, so it retries.
        "zenc" => ("ZENML_ZENC_RUN_ID", true),
        _ => return None,
    })
}

/// Validate `raw` and build the engine-neutral pipeline.
pub fn build(raw: RawPipeline, opts: &BuildOptions, warnings: &mut Vec<Warning>) -> Result<Pipeline> {
    let flavor = opts.flavor.clone().or(raw.flavor.clone());
    let facts = flavor.as_deref().and_then(flavor_facts);
    let run_id_env = match (&opts.run_id_env, facts) {
        (Some(env), _) => {
            syntax::run_id_env(env).map_err(|e| e.at("--run-id-env"))?;
            env.clone()
        }
        (None, Some((env, _))) => env.to_string(),
        (None, None) => return Err(Error::new(ErrorKind::UnknownFlavor { flavor })),
    };
    let engine_retries = facts.is_some_and(|(_, engine)| engine);
    if raw.name.trim().is_empty() {
        return Err(
            Error::invalid("pipeline name", &raw.name, "a non-empty name").at("metadata.pipeline_configuration.name")
        );
    }
    check_snapshot_id(&raw.snapshot_id, &raw.snapshot_id_path)?;
    let failure_mode = match raw.execution_mode.as_deref() {
        None | Some("continue_on_failure") => FailureMode::ContinueOnFailure,
        Some("stop_on_failure") => FailureMode::StopOnFailure,
        Some("fail_fast") => FailureMode::FailFast,
        Some(other) => {
            return Err(Error::invalid(
                "execution mode",
                other,
                "`continue_on_failure`, `stop_on_failure` or `fail_fast`",
            )
            .at(raw.execution_mode_path.clone()))
        }
    };
    if let Some(url) = &opts.zenml_url {
        syntax::http_url(url).map_err(|e| e.at("--zenml-url"))?;
    } else {
        warnings.push(Warning::new(
            &codes::NO_ZENML_URL,
            "no --zenml-url: step containers get no ZENML_STORE_URL and will not reach a ZenML server unless their image configures one",
        ));
    }
    if opts.zenml_url.is_some() && opts.zenml_secret.is_none() {
        warnings.push(Warning::new(
            &codes::NO_ZENML_SECRET,
            "no --zenml-secret: step containers get no ZENML_STORE_API_KEY (fine only for a server without authentication)",
        ));
    }
    if let Some(tz) = &opts.timezone {
        check_timezone(tz, "--timezone".into())?;
    }
    if let Some(ns) = &opts.namespace {
        syntax::namespace(ns).map_err(|e| e.at("--namespace"))?;
    } else if let Some(ns) = &raw.orchestrator.kubernetes_namespace {
        syntax::namespace(ns).map_err(|e| e.at(format!("{}.kubernetes_namespace", raw.orchestrator_path)))?;
    }
    if let Some(sa) = &opts.service_account {
        syntax::object_name("service account", sa).map_err(|e| e.at("--service-account"))?;
    }
    if let (Some(cli), Some(own)) = (&opts.flavor, &raw.flavor) {
        if cli != own {
            warnings.push(Warning::new(
                &codes::FLAVOR_OVERRIDDEN,
                format!("--flavor {cli} replaces the snapshot's orchestrator flavor `{own}` (the command line wins: run-id variable and retries follow `{cli}`)"),
            ));
        }
    }
    let image_fallback_used =
        if raw.dynamic { raw.image.is_none() } else { raw.steps.iter().any(|s| s.image.is_none()) };
    if opts.image.is_some() && !image_fallback_used {
        warnings.push(Warning::new(
            &codes::OPTION_UNUSED,
            "--image has no effect: the snapshot names an image for every step",
        ));
    }

    let ctx = StepContext { raw: &raw, opts, run_id_env: &run_id_env, engine_retries };
    let mut steps = Vec::new();
    if raw.dynamic {
        steps.push(dynamic_step(&ctx, warnings)?);
    } else {
        if raw.steps.is_empty() {
            return Err(Error::new(ErrorKind::EmptyPipeline).at(raw.steps_path.clone()));
        }
        let mut missing = Vec::new();
        for rs in &raw.steps {
            match step(&ctx, rs, warnings)? {
                Some(s) => steps.push(s),
                None => missing.push(rs.name.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(Error::new(ErrorKind::MissingImage { steps: missing }).at(raw.images_path.clone()));
        }
        let nodes: Vec<Node> = raw
            .steps
            .iter()
            .map(|s| Node { name: &s.name, path: &s.path, upstream: &s.upstream, upstream_path: &s.upstream_path })
            .collect();
        let order = graph::order(&nodes)?;
        let mut slots: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
        steps = order.into_iter().map(|i| slots[i].take().expect("each index once")).collect();
    }

    local_components(&raw, &steps, warnings);
    let parallelism = count(raw.parallelism, "parallelism", &raw.parallelism_path)?;
    let ttl_seconds_after_finished = ranged_opt(
        raw.orchestrator.ttl_seconds_after_finished,
        "TTL",
        &DURATION,
        &format!("{}.ttl_seconds_after_finished", raw.orchestrator_path),
    )?;
    let namespace = opts.namespace.clone().or(raw.orchestrator.kubernetes_namespace.clone());
    let schedule = match &raw.schedule {
        Some(s) => Some(schedule(s, opts, warnings)?),
        None => None,
    };
    if opts.timezone.is_some() && schedule.is_none() {
        warnings.push(Warning::new(&codes::OPTION_UNUSED, "--timezone has no effect: the pipeline has no schedule"));
    }
    // Stack-level findings repeat once per step: say each once.
    let mut seen = std::collections::HashSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    Ok(Pipeline {
        name: raw.name.clone(),
        snapshot_id: raw.snapshot_id.clone(),
        flavor,
        run_id_env,
        failure_mode,
        steps,
        schedule,
        // ZenML's `max_parallelism` 0 (or none) means no limit.
        parallelism: parallelism.filter(|p| *p > 0),
        ttl_seconds_after_finished,
        tags: raw.tags.clone(),
        description: raw.description.clone().filter(|d| !d.trim().is_empty()),
        namespace,
        service_account: opts.service_account.clone(),
        dynamic: raw.dynamic,
    })
}

/// Stack components that live on the machine that compiled the snapshot, which step pods in a
/// cluster cannot reach: a `local` flavor (the local artifact store above all: steps would
/// write their artifacts into their own pod), and images in a registry on `localhost`. The
/// image builder is left out: it ran at build time. ZenML's own Kubernetes orchestrator
/// refuses such stacks unless `skip_local_validations` is set.
fn local_components(raw: &RawPipeline, steps: &[Step], warnings: &mut Vec<Warning>) {
    for (kind, name, flavor) in &raw.stack_components {
        if matches!(flavor.as_str(), "local" | "local_docker") && kind != "image_builder" {
            warnings.push(
                Warning::new(
                    &codes::LOCAL_STACK_COMPONENT,
                    format!("the stack's {} `{name}` has the `{flavor}` flavor: it lives on the machine that ran ZenML, and steps running in a cluster cannot reach it", kind.replace('_', " ")),
                )
                .at(key_path("resources.stack.metadata.components", kind)),
            );
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in steps {
        let host = s.image.split('/').next().unwrap_or_default();
        let local = s.image.contains('/')
            && (host == "localhost"
                || host.starts_with("localhost:")
                || host.starts_with("127.")
                || host.starts_with("[::1]"));
        if local && seen.insert(host) {
            warnings.push(
                Warning::new(
                    &codes::LOCAL_STACK_COMPONENT,
                    format!("image `{}` is in a container registry on `{host}`: cluster nodes pull from their own localhost, not the machine that built it", s.image),
                )
                .at(raw.images_path.clone()),
            );
        }
    }
}

struct StepContext<'a> {
    raw: &'a RawPipeline,
    opts: &'a BuildOptions,
    run_id_env: &'a str,
    engine_retries: bool,
}

/// The single orchestration container of a dynamic pipeline (zenml.md §1).
fn dynamic_step(ctx: &StepContext, warnings: &mut Vec<Warning>) -> Result<Step> {
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
        orchestrator_path: raw.orchestrator_path.clone(),
        pod_path: format!("{}.pod_settings", raw.orchestrator_path),
        timeout_path: format!("{}.active_deadline_seconds", raw.orchestrator_path),
        environment_path: "metadata.pipeline_configuration.environment".into(),
        ..RawStep::default()
    };
    let env = environment(ctx, &rs, warnings)?;
    let (pod, env_from) = pod_settings(&rs.orchestrator, &rs.orchestrator_path, &rs.pod_path, true, warnings)?;
    let mut resources = Resources::default();
    apply_pod_resources(&rs, &mut resources, warnings)?;
    Ok(Step {
        name: DYNAMIC_STEP_NAME.into(),
        path: "metadata.pipeline_configuration".into(),
        image,
        command: ENTRYPOINT_COMMAND.map(String::from).to_vec(),
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

/// One static step; `None` when it has no image (collected into one error by the caller).
fn step(ctx: &StepContext, rs: &RawStep, warnings: &mut Vec<Warning>) -> Result<Option<Step>> {
    if rs.name.is_empty() {
        return Err(Error::invalid("step name", "", "a non-empty name").at(rs.path.clone()));
    }
    let Some(image) = rs.image.clone().or_else(|| ctx.opts.image.clone()) else {
        return Ok(None);
    };
    check_image(&image, &rs.path)?;
    let (command, args) = match (&rs.command, &rs.args) {
        (Some(cmd), args) if !cmd.is_empty() => (cmd.clone(), args.clone().unwrap_or_default()),
        (_, Some(args)) => (ENTRYPOINT_COMMAND.map(String::from).to_vec(), args.clone()),
        _ => (
            ENTRYPOINT_COMMAND.map(String::from).to_vec(),
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
    let (pod, env_from) = pod_settings(&rs.orchestrator, &rs.orchestrator_path, &rs.pod_path, false, warnings)?;
    let resources = resources(rs, warnings)?;
    let zenml_retry = match &rs.retry {
        None => None,
        Some(r) => {
            let at = |field: &str| format!("{}.{field}", rs.retry_path);
            let limit = ranged(r.max_retries, "max_retries", &RETRIES, &at("max_retries"))?;
            Some(Retry {
                limit: u32::try_from(limit).expect("RETRIES fits u32"),
                delay_seconds: ranged_opt(r.delay, "retry delay", &DURATION, &at("delay"))?.unwrap_or(0),
                backoff_factor: ranged_opt(r.backoff, "retry backoff", &BACKOFF, &at("backoff"))?.unwrap_or(0),
            })
        }
    };
    if let Some(r) = &rs.retry {
        for (key, _) in r.extra.iter() {
            warnings.push(
                Warning::new(&codes::SETTING_IGNORED, format!("retry setting `{key}` is not known"))
                    .at(key_path(&rs.retry_path, key)),
            );
        }
    }
    let retry = if ctx.engine_retries {
        // ZenML's Kubernetes orchestrator: Job backoffLimit = max_retries + backoff_limit_margin.
        let margin_path = format!("{}.backoff_limit_margin", rs.orchestrator_path);
        let margin = ranged_opt(rs.orchestrator.backoff_limit_margin, "backoff_limit_margin", &RETRIES, &margin_path)?
            .map_or(0, |m| u32::try_from(m).expect("RETRIES fits u32"));
        let max = zenml_retry.map_or(0, |r| r.limit);
        let limit = Some(max + margin).filter(|l| u64::from(*l) <= RETRIES.hi).ok_or_else(|| {
            Error::invalid(
                "retry limit",
                format!("max_retries {max} + backoff_limit_margin {margin}"),
                format!("at most {} retries in all ({})", RETRIES.hi, RETRIES.why),
            )
            .at(rs.retry_path.clone())
        })?;
        (limit > 0).then(|| Retry {
            limit,
            delay_seconds: zenml_retry.map_or(0, |r| r.delay_seconds),
            backoff_factor: zenml_retry.map_or(0, |r| r.backoff_factor),
        })
    } else {
        None
    };
    Ok(Some(Step {
        name: rs.name.clone(),
        path: rs.path.clone(),
        image,
        command,
        args,
        env,
        env_from,
        resources,
        retry,
        zenml_retry,
        upstream: rs.upstream.clone(),
        timeout_seconds: timeout(rs)?,
        pod,
    }))
}

/// Step deadline; 0 means none (ZenML's `active_deadline_seconds` default is none).
fn timeout(rs: &RawStep) -> Result<Option<u64>> {
    Ok(ranged_opt(rs.orchestrator.active_deadline_seconds, "step timeout", &DURATION, &rs.timeout_path)?
        .filter(|t| *t > 0))
}

/// Prefixes of the variables ZenML configures its store and secrets stores from
/// (`GlobalConfiguration.get_config_environment_vars`, zenml.md §2).
const ZENML_STORE_PREFIXES: [&str; 3] = ["ZENML_STORE_", "ZENML_SECRETS_STORE_", "ZENML_BACKUP_SECRETS_STORE_"];

/// Words that make a store variable a credential: `API_KEY`, `API_TOKEN`, `PASSWORD`,
/// `USERNAME`, `SSL_KEY`, a secrets store's `AUTH_CONFIG`, …
const STORE_CREDENTIAL_WORDS: [&str; 9] =
    ["KEY", "APIKEY", "TOKEN", "PASSWORD", "PASSWD", "SECRET", "AUTH", "CREDENTIALS", "USERNAME"];

fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(['_', '-', '.']).map(str::to_ascii_uppercase)
}

/// True for a ZenML store credential: its value never goes into a spec, whatever the flags
/// (the steps get the API key by reference, from `--zenml-secret`). A store URL counts when
/// it carries `user:password@`.
fn is_zenml_credential(name: &str, value: Option<&str>) -> bool {
    let upper = name.to_ascii_uppercase();
    let Some(rest) = ZENML_STORE_PREFIXES.iter().find_map(|p| upper.strip_prefix(p)) else {
        return false;
    };
    words(rest).any(|w| STORE_CREDENTIAL_WORDS.contains(&w.as_str()))
        || (rest == "URL" && value.is_some_and(|v| mask_userinfo(v).is_some() || query_has_credential(v)))
}

/// A URL query naming a credential (`mysql://host/db?password=…`).
fn query_has_credential(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query.split('&').any(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            words(key).any(|w| STORE_CREDENTIAL_WORDS.contains(&w.as_str()))
        })
    })
}

/// `scheme://***@host/…` when `url` carries user information, else `None`.
fn mask_userinfo(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // The user part may be a token too (`https://<token>@host`): mask all of it.
    let (_, host) = authority.rsplit_once('@')?;
    Some(format!("{scheme}://***@{host}{}", &rest[authority.len()..]))
}

/// A variable name that reads like a credential (`HF_TOKEN`, `DB_PASSWORD`, `WANDB_API_KEY`):
/// its literal value is written as given (ZenML does the same), with a warning.
fn looks_like_credential(name: &str) -> bool {
    let w: Vec<String> = words(name).collect();
    w.iter()
        .any(|w| ["PASSWORD", "PASSWD", "TOKEN", "SECRET", "APIKEY", "CREDENTIAL", "CREDENTIALS"].contains(&w.as_str()))
        || w.windows(2).any(|p| p[1] == "KEY" && ["API", "ACCESS", "PRIVATE"].contains(&p[0].as_str()))
}

/// How a JSON value is described in an error, without its content.
fn shape(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn credential_dropped(name: &str, path: &str) -> Warning {
    let what = if name.eq_ignore_ascii_case("ZENML_STORE_URL") {
        "carries a user, password or token, a ZenML server credential"
    } else {
        "is a ZenML server credential"
    };
    Warning::new(
        &codes::CREDENTIAL_DROPPED,
        format!("`{name}` {what}: left out, no spec ever holds its value (steps authenticate with `--zenml-secret`)"),
    )
    .at(path)
}

fn credential_in_clear(name: &str, path: &str) -> Warning {
    Warning::new(
        &codes::ENV_CREDENTIAL,
        format!("`{name}` looks like a credential and its value is written into the spec in clear text; keep it in a ZenML secret or a Kubernetes Secret (pod settings `env` with `valueFrom.secretKeyRef`)"),
    )
    .at(path)
}

/// Variables zenc sets itself; a user value for one of them is overridden with a warning.
fn is_managed(name: &str, run_id_env: &str) -> bool {
    name == run_id_env
        || name.starts_with("ZENML_STORE_")
        || name == "ZENML_ACTIVE_STACK_ID"
        || name == "ZENML_ACTIVE_PROJECT_ID"
}

/// ZenML's order (zenml.md "What a compiler must reproduce"): store, stack/project, run id,
/// step environment, `ZENML_ENABLE_REPO_INIT_WARNINGS`, pod-settings env. Later names win.
fn environment(ctx: &StepContext, rs: &RawStep, warnings: &mut Vec<Warning>) -> Result<Vec<EnvVar>> {
    let mut env: Vec<EnvVar> = Vec::new();
    let lit = |name: &str, v: &str| EnvVar { name: name.into(), value: EnvValue::Literal(v.into()) };
    if let Some(url) = &ctx.opts.zenml_url {
        env.push(lit("ZENML_STORE_URL", url));
        env.push(lit("ZENML_STORE_TYPE", "rest"));
    }
    if let Some(secret) = &ctx.opts.zenml_secret {
        env.push(EnvVar {
            name: "ZENML_STORE_API_KEY".into(),
            value: EnvValue::Secret { name: secret.name.clone(), key: secret.key.clone() },
        });
    }
    if let Some(stack) = &ctx.raw.stack_id {
        env.push(lit("ZENML_ACTIVE_STACK_ID", stack));
    }
    if let Some(project) = &ctx.raw.project_id {
        env.push(lit("ZENML_ACTIVE_PROJECT_ID", project));
    }
    env.push(lit("DISABLE_CREDENTIALS_DISK_CACHING", "true"));
    env.push(EnvVar { name: ctx.run_id_env.into(), value: EnvValue::RunId });
    let managed = env.len();

    let user =
        ctx.raw.stack_environment.iter().map(|(k, v)| (k, v, "resources.stack.metadata.environment".to_string()));
    let step = rs.environment.iter().map(|(k, v)| (k, v, rs.environment_path.clone()));
    for (name, value, base) in user.chain(step) {
        let path = key_path(&base, name);
        check_env_name(name, &path)?;
        if is_zenml_credential(name, value.as_str()) {
            warnings.push(credential_dropped(name, &path));
            continue;
        }
        let text = env_text(value).ok_or_else(|| {
            Error::new(ErrorKind::InvalidShape {
                what: format!("value of environment variable `{name}`"),
                found: shape(value).into(),
                expected: "a string, number or boolean".into(),
            })
            .at(path.clone())
        })?;
        if looks_like_credential(name) && !text.is_empty() {
            warnings.push(credential_in_clear(name, &path));
        }
        set_env(&mut env, managed, lit(name, &text), ctx.run_id_env, &path, warnings);
    }
    set_env(&mut env, managed, lit("ZENML_ENABLE_REPO_INIT_WARNINGS", "False"), ctx.run_id_env, "", warnings);
    if let Some(pod_env) = rs.orchestrator.pod_settings.as_ref().and_then(|p| p.env.as_ref()) {
        let base = format!("{}.env", rs.pod_path);
        for (i, entry) in pod_env.iter().enumerate() {
            let path = format!("{base}[{i}]");
            let name = entry.get("name").and_then(Value::as_str).ok_or_else(|| {
                Error::new(ErrorKind::InvalidShape {
                    what: "pod env entry".into(),
                    found: format!("{} without a string `name`", shape(entry)),
                    expected: "a Kubernetes EnvVar `{name, value}` or `{name, valueFrom}`".into(),
                })
                .at(path.clone())
            })?;
            check_env_name(name, &path)?;
            let from = entry.get("valueFrom").or_else(|| entry.get("value_from"));
            // A reference (`valueFrom`) is fine; a literal credential is not.
            if from.is_none_or(Value::is_null) && is_zenml_credential(name, entry.get("value").and_then(Value::as_str))
            {
                warnings.push(credential_dropped(name, &path));
                continue;
            }
            let value = match (entry.get("value"), from) {
                (Some(Value::String(v)), None) => EnvValue::Kubernetes(v.clone()),
                (None | Some(Value::Null), Some(from)) if from.is_object() => {
                    check_numbers(from, &format!("{path}.valueFrom"))?;
                    EnvValue::ValueFrom(from.clone())
                }
                (None | Some(Value::Null), None | Some(Value::Null)) => EnvValue::Kubernetes(String::new()),
                (value, from) => {
                    let found = match (value, from) {
                        (Some(v), None) => format!("`value` is {}", shape(v)),
                        (None | Some(Value::Null), Some(f)) => format!("`valueFrom` is {}", shape(f)),
                        _ => "both `value` and `valueFrom`".into(),
                    };
                    return Err(Error::new(ErrorKind::InvalidShape {
                        what: format!("pod env entry `{name}`"),
                        found,
                        expected: "either a string `value` or a `valueFrom` object".into(),
                    })
                    .at(path));
                }
            };
            if let EnvValue::Kubernetes(text) = &value {
                if looks_like_credential(name) && !text.is_empty() {
                    warnings.push(credential_in_clear(name, &path));
                }
            }
            set_env(&mut env, managed, EnvVar { name: name.into(), value }, ctx.run_id_env, &path, warnings);
        }
    }
    Ok(env)
}

fn set_env(
    env: &mut Vec<EnvVar>,
    managed: usize,
    var: EnvVar,
    run_id_env: &str,
    path: &str,
    warnings: &mut Vec<Warning>,
) {
    match env.iter().position(|e| e.name == var.name) {
        Some(i) if i < managed && is_managed(&var.name, run_id_env) => {
            warnings.push(
                Warning::new(
                    &codes::ENV_OVERRIDDEN,
                    format!(
                        "`{}` is set by zenc (ZenML server access / run id); the value from the input is ignored",
                        var.name
                    ),
                )
                .at(path),
            );
        }
        Some(i) => env[i] = var,
        None => env.push(var),
    }
}

/// ZenML `str()`s environment values.
fn env_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `syntax::env_name`, pointing at `path`.
fn check_env_name(name: &str, path: &str) -> Result<()> {
    syntax::env_name(name).map_err(|e| e.at(path))
}

fn check_image(image: &str, path: &str) -> Result<()> {
    if image.is_empty() || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            "image",
            image,
            "an image reference without spaces, e.g. `registry.example.com/team/app:1.0`",
        )
        .at(path));
    }
    Ok(())
}

fn check_snapshot_id(id: &str, path: &str) -> Result<()> {
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

/// ResourceSettings → requests and limits, then pod-settings resources on top (they are
/// Kubernetes-native and more specific).
fn resources(rs: &RawStep, warnings: &mut Vec<Warning>) -> Result<Resources> {
    let mut out = Resources::default();
    if rs.step_operator {
        // The step runs on a step operator, which gets the resources; this container only submits it.
        return Ok(out);
    }
    if let Some(settings) = &rs.resources {
        let put = |out: &mut Resources, name: &str, q: Quantity| {
            out.requests.insert(name.into(), q.clone());
            out.limits.insert(name.into(), q);
        };
        if let Some(cpu) = settings.cpu_count {
            let q = Quantity::from_cpus(cpu).ok_or_else(|| {
                Error::invalid("cpu_count", cpu.to_string(), "a number of CPUs from 0.001 to 1,000,000,000")
                    .at(format!("{}.cpu_count", rs.resources_path))
            })?;
            put(&mut out, "cpu", q);
        }
        if let Some(mem) = &settings.memory {
            let q = Quantity::from_zenml_memory(mem).ok_or_else(|| {
                Error::invalid("memory", mem, "a whole number with a unit: B, KB, KiB, MB, MiB, GB, GiB, TB, TiB, PB or PiB (e.g. `4GB`, `512MiB`)")
                    .at(format!("{}.memory", rs.resources_path))
            })?;
            put(&mut out, "memory", q);
        }
        let gpus = count(settings.gpu_count, "gpu_count", &format!("{}.gpu_count", rs.resources_path))?;
        if let Some(gpus) = gpus.filter(|g| *g > 0) {
            put(&mut out, GPU_RESOURCE, Quantity::parse(&gpus.to_string()).expect("integers are quantities"));
        }
        for (key, _) in settings.extra.iter() {
            if !IGNORED_RESOURCE_SETTINGS.contains(&key.as_str()) {
                warnings.push(
                    Warning::new(&codes::SETTING_IGNORED, format!("resource setting `{key}` is not carried over"))
                        .at(key_path(&rs.resources_path, key)),
                );
            }
        }
    }
    apply_pod_resources(rs, &mut out, warnings)?;
    // Extended resources (GPUs, hugepages, device plugins) cannot be overcommitted: Kubernetes
    // wants a limit, and a request equal to it.
    let overcommittable = |name: &str| matches!(name, "cpu" | "memory" | "ephemeral-storage");
    for (name, request) in out.requests.clone() {
        if !overcommittable(&name) && !out.limits.contains_key(&name) {
            out.limits.insert(name, request);
        }
    }
    for (name, request) in &out.requests {
        if let Some(limit) = out.limits.get(name).filter(|l| !overcommittable(name) && !l.value_cmp(request).is_eq()) {
            return Err(Error::invalid(
                format!("`{name}` request"),
                request.to_string(),
                format!("the same as its limit `{limit}`: Kubernetes does not overcommit extended resources"),
            )
            .at(format!("{}.resources", rs.pod_path)));
        }
    }
    for (name, request) in &out.requests {
        if let Some(limit) = out.limits.get(name) {
            if request.value_cmp(limit).is_gt() {
                return Err(Error::invalid(
                    format!("`{name}` request"),
                    request.to_string(),
                    format!("at most the limit `{limit}` (Kubernetes rejects requests above limits)"),
                )
                .at(format!("{}.resources", rs.pod_path)));
            }
        }
    }
    Ok(out)
}

fn apply_pod_resources(rs: &RawStep, out: &mut Resources, warnings: &mut Vec<Warning>) -> Result<()> {
    let Some(pod_resources) = rs.orchestrator.pod_settings.as_ref().and_then(|p| p.resources.as_ref()) else {
        return Ok(());
    };
    let base = format!("{}.resources", rs.pod_path);
    for (kind, entries) in pod_resources.iter() {
        let target = match kind.as_str() {
            "requests" => &mut out.requests,
            "limits" => &mut out.limits,
            other => {
                return Err(Error::invalid("resources key", other, "`requests` or `limits`").at(key_path(&base, other)));
            }
        };
        for (name, value) in entries.iter() {
            let path = key_path(&key_path(&base, kind), name);
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let q = Quantity::parse(&text).ok_or_else(|| {
                Error::invalid(
                    "quantity",
                    if text.is_empty() { value.to_string() } else { text.clone() },
                    "a Kubernetes quantity such as `500m`, `2`, `1Gi` or `4G`",
                )
                .at(path.clone())
            })?;
            if let Some(old) = target.get(name) {
                if !old.value_cmp(&q).is_eq() {
                    warnings.push(
                        Warning::new(
                            &codes::RESOURCES_OVERRIDDEN,
                            format!(
                                "pod settings set {kind} `{name}` to `{q}`, replacing `{old}` from ResourceSettings"
                            ),
                        )
                        .at(path.clone()),
                    );
                }
            }
            target.insert(name.clone(), q);
        }
    }
    Ok(())
}

/// Pod settings + the orchestrator settings that shape the pod.
fn pod_settings(
    orch: &OrchestratorSettings,
    base: &str,
    pod_path: &str,
    orchestrator_pod: bool,
    warnings: &mut Vec<Warning>,
) -> Result<(PodSettings, Vec<Value>)> {
    let mut pod = PodSettings::default();
    let mut env_from = Vec::new();
    if let Some(legacy) = &orch.node_selectors {
        for (k, v) in legacy.iter() {
            pod.node_selector.insert(k.clone(), v.clone());
        }
    }
    if let Some(p) = &orch.pod_settings {
        for (k, v) in p.node_selectors.iter().flat_map(|m| m.iter()) {
            let path = key_path(&format!("{pod_path}.node_selectors"), k);
            check_label_key(k, &path)?;
            check_label_value(v, &path)?;
            pod.node_selector.insert(k.clone(), v.clone());
        }
        pod.affinity = p.affinity.clone().filter(|a| !is_empty_json(a));
        pod.tolerations = p.tolerations.clone().unwrap_or_default();
        for (k, v) in p.labels.iter().flat_map(|m| m.iter()) {
            let path = key_path(&format!("{pod_path}.labels"), k);
            check_label_key(k, &path)?;
            check_label_value(v, &path)?;
            if POD_SELECTOR_LABELS.contains(&k.as_str()) {
                warnings.push(
                    Warning::new(
                        &codes::LABEL_OVERRIDDEN,
                        format!("pod label `{k}` is one zenc sets on every step pod for selection; the pod settings' value `{v}` wins"),
                    )
                    .at(path.clone()),
                );
            }
            pod.labels.insert(k.clone(), v.clone());
        }
        for (k, v) in p.annotations.iter().flat_map(|m| m.iter()) {
            check_label_key(k, &key_path(&format!("{pod_path}.annotations"), k))?;
            pod.annotations.insert(k.clone(), v.clone());
        }
        pod.volumes = p.volumes.clone().unwrap_or_default();
        pod.volume_mounts = p.volume_mounts.clone().unwrap_or_default();
        pod.host_ipc = p.host_ipc.unwrap_or(false);
        pod.scheduler_name = p.scheduler_name.clone();
        for (i, s) in p.image_pull_secrets.iter().flatten().enumerate() {
            if !is_dns_subdomain(s) {
                return Err(Error::invalid("image pull secret", s, "a Kubernetes Secret name")
                    .at(format!("{pod_path}.image_pull_secrets[{i}]")));
            }
        }
        pod.image_pull_secrets = p.image_pull_secrets.clone().unwrap_or_default();
        pod.security_context = p.container_security_context.clone().filter(|c| !is_empty_json(c));
        env_from = p.env_from.clone().unwrap_or_default();
        for (k, v) in p.additional_pod_spec_args.iter().flat_map(|m| m.iter()) {
            check_numbers(v, &key_path(&format!("{pod_path}.additional_pod_spec_args"), k))?;
            pod.extra_pod_spec.insert(camel_case(k), v.clone());
        }
        let verbatim = [
            ("affinity", p.affinity.clone().unwrap_or_default()),
            ("tolerations", Value::Array(pod.tolerations.clone())),
            ("volumes", Value::Array(pod.volumes.clone())),
            ("volume_mounts", Value::Array(pod.volume_mounts.clone())),
            ("env_from", Value::Array(env_from.clone())),
            ("container_security_context", p.container_security_context.clone().unwrap_or_default()),
        ];
        for (key, value) in &verbatim {
            check_numbers(value, &format!("{pod_path}.{key}"))?;
        }
    }
    if let Some(privileged) = orch.privileged {
        let mut ctx = match pod.security_context.take() {
            Some(Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        ctx.entry("privileged").or_insert(Value::Bool(privileged));
        pod.security_context = Some(Value::Object(ctx));
    }
    // Step pods use `step_pod_service_account_name`, falling back to the orchestrator's.
    pod.service_account = if orchestrator_pod {
        orch.service_account_name.clone()
    } else {
        orch.step_pod_service_account_name.clone().or(orch.service_account_name.clone())
    };
    if let Some(sa) = &pod.service_account {
        if !is_dns_subdomain(sa) {
            return Err(Error::invalid("service account", sa, "a Kubernetes object name")
                .at(format!("{base}.service_account_name")));
        }
    }
    pod.termination_grace_period_seconds = ranged_opt(
        orch.pod_stop_grace_period,
        "pod_stop_grace_period",
        &DURATION,
        &format!("{base}.pod_stop_grace_period"),
    )?;
    Ok((pod, env_from))
}

/// Numbers inside Kubernetes objects passed through verbatim must fit Kubernetes' widest
/// integer (int64): a larger one is refused by the API server after the engine accepted it,
/// or breaks the Airflow DAG's import.
fn check_numbers(value: &Value, path: &str) -> Result<()> {
    match value {
        Value::Number(n) => {
            let fits = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(_), _, _) => true,
                (None, Some(_), _) => false,
                (None, None, Some(f)) => f.abs() < 2f64.powi(63),
                (None, None, None) => false,
            };
            if fits {
                Ok(())
            } else {
                Err(Error::invalid(
                    "number",
                    n.to_string(),
                    format!("at most {} in size (Kubernetes stores numbers as 64-bit integers)", i64::MAX),
                )
                .at(path))
            }
        }
        Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| check_numbers(v, &format!("{path}[{i}]")))
        }
        Value::Object(map) => map.iter().try_for_each(|(k, v)| check_numbers(v, &key_path(path, k))),
        _ => Ok(()),
    }
}

fn is_empty_json(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// `V1PodSpec` Python attribute → JSON field (`priority_class_name` → `priorityClassName`).
fn camel_case(snake: &str) -> String {
    match snake {
        "host_ipc" => return "hostIPC".into(),
        "host_pid" => return "hostPID".into(),
        _ => {}
    }
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// RFC 1123 subdomain: what Kubernetes accepts as most object names.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn is_label_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

fn check_label_key(key: &str, path: &str) -> Result<()> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if !is_label_name(name) || prefix.is_some_and(|p| !is_dns_subdomain(p)) {
        return Err(Error::invalid(
            "label/annotation key",
            key,
            "`[prefix/]name`: name ≤63 of letters, digits, `-_.`, prefix a DNS subdomain",
        )
        .at(path));
    }
    Ok(())
}

fn check_label_value(value: &str, path: &str) -> Result<()> {
    if !value.is_empty() && !is_label_name(value) {
        return Err(Error::invalid(
            "label value",
            value,
            "≤63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric",
        )
        .at(path));
    }
    Ok(())
}

fn check_timezone(tz: &str, path: String) -> Result<()> {
    syntax::timezone(tz).map_err(|e| e.at(path))
}

fn schedule(s: &RawSchedule, opts: &BuildOptions, warnings: &mut Vec<Warning>) -> Result<Schedule> {
    let at = |field: &str| format!("{}.{field}", s.path);
    let datetime = |value: &Option<String>, field: &str| -> Result<Option<UtcDateTime>> {
        match value {
            None => Ok(None),
            Some(text) => UtcDateTime::parse(text).map(Some).ok_or_else(|| {
                Error::invalid("date-time", text, "ISO 8601, e.g. `2030-01-01T00:00:00` (UTC) or with an offset")
                    .at(at(field))
            }),
        }
    };
    let (cron_field, interval_field, once_field, start_field, end_field) = if s.path == "schedule" {
        ("cron", "interval", "run_once", "start", "end")
    } else {
        ("cron_expression", "interval_second", "run_once_start_time", "start_time", "end_time")
    };
    let trigger = match (&s.cron, &s.interval, &s.run_once) {
        (Some(cron), None, None) => Trigger::Cron(
            Cron::parse(cron)
                .map_err(|reason| Error::new(ErrorKind::BadCron { expr: cron.clone(), reason }).at(at(cron_field)))?,
        ),
        (None, Some(interval), None) => Trigger::Interval {
            seconds: parse_interval(interval).filter(|s| (INTERVAL.lo..=INTERVAL.hi).contains(s)).ok_or_else(|| {
                let Range { lo, hi, unit, why } = INTERVAL;
                Error::invalid(
                    "interval",
                    interval.to_string(),
                    format!("a whole number from {lo} to {hi}{unit} ({why}), or an ISO 8601 duration such as `PT6H` within that range"),
                )
                .at(at(interval_field))
            })?,
        },
        (None, None, Some(_)) => Trigger::Once { at: datetime(&s.run_once, once_field)?.expect("present") },
        (None, None, None) => {
            return Err(Error::invalid(
                "schedule",
                "no trigger",
                "one of a cron expression, an interval or a run-once time",
            )
            .at(s.path.clone()))
        }
        _ => {
            return Err(Error::invalid(
                "schedule",
                "several triggers",
                "exactly one of a cron expression, an interval or a run-once time",
            )
            .at(s.path.clone()))
        }
    };
    let start = datetime(&s.start, start_field)?;
    let end = datetime(&s.end, end_field)?;
    if let (Some(a), Some(b)) = (start, end) {
        if a >= b {
            return Err(Error::invalid(
                "schedule end",
                b.to_rfc3339(),
                format!("a time after the start {}", a.to_rfc3339()),
            )
            .at(at(end_field)));
        }
    }
    let concurrency = match &s.concurrency_policy {
        None => None,
        Some(p) => Some(Concurrency::parse(p).ok_or_else(|| {
            Error::invalid("concurrency policy", p, "`Allow`, `Forbid` or `Replace`").at(s.knob_paths[0].clone())
        })?),
    };
    let [_, deadline_path, successful_path, failed_path] = &s.knob_paths;
    // The command line wins over the file: it is the deployer's choice.
    if let (Some(cli), Some(file)) = (&opts.timezone, &s.timezone) {
        if cli != file {
            warnings.push(
                Warning::new(
                    &codes::TIMEZONE_OVERRIDDEN,
                    format!("--timezone {cli} replaces the schedule's time zone {file}"),
                )
                .at(at("timezone")),
            );
        }
    }
    let timezone = opts.timezone.clone().or(s.timezone.clone());
    if let Some(tz) = &timezone {
        check_timezone(tz, if opts.timezone.is_some() { "--timezone".into() } else { at("timezone") })?;
    } else if matches!(trigger, Trigger::Cron(_)) {
        warnings.push(Warning::new(
            &codes::SCHEDULE_TIMEZONE,
            "the schedule has no time zone (ZenML stores none): the cron expression is read in the engine's default zone; pass --timezone to fix one",
        ).at(s.path.clone()));
    }
    Ok(Schedule {
        name: s.name.clone(),
        trigger,
        start,
        end,
        catchup: s.catchup,
        timezone,
        concurrency,
        starting_deadline_seconds: ranged_opt(
            s.starting_deadline_seconds,
            "starting deadline",
            &DURATION,
            deadline_path,
        )?,
        successful_history_limit: count(s.successful_history_limit, "history limit", successful_path)?,
        failed_history_limit: count(s.failed_history_limit, "history limit", failed_path)?,
        active: s.active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_cases_pod_spec_attributes() {
        assert_eq!(camel_case("priority_class_name"), "priorityClassName");
        assert_eq!(camel_case("dns_policy"), "dnsPolicy");
        assert_eq!(camel_case("host_ipc"), "hostIPC");
        assert_eq!(camel_case("runtimeClassName"), "runtimeClassName");
    }

    #[test]
    fn label_rules() {
        assert!(check_label_key("cloud.google.com/gke-nodepool", "p").is_ok());
        assert!(check_label_key("prometheus.io/scrape", "p").is_ok());
        assert!(check_label_key("-bad", "p").is_err());
        assert!(check_label_key("Bad.Prefix/x", "p").is_err());
        assert!(check_label_value("", "p").is_ok());
        assert!(check_label_value("cc-42", "p").is_ok());
        assert!(check_label_value("has space", "p").is_err());
        assert!(check_label_value(&"a".repeat(64), "p").is_err());
    }

    #[test]
    fn zenml_store_credentials() {
        for name in [
            "ZENML_STORE_API_KEY",
            "ZENML_STORE_API_TOKEN",
            "ZENML_STORE_PASSWORD",
            "ZENML_STORE_USERNAME",
            "ZENML_STORE_SSL_KEY",
            "zenml_store_api_key",
            "ZENML_SECRETS_STORE_AUTH_CONFIG",
            "ZENML_BACKUP_SECRETS_STORE_AUTH_CONFIG",
            "ZENML_SECRETS_STORE_VAULT_TOKEN",
        ] {
            assert!(is_zenml_credential(name, Some("x")), "{name}");
        }
        for name in
            ["ZENML_STORE_URL", "ZENML_STORE_TYPE", "ZENML_STORE_VERIFY_SSL", "ZENML_STORE_SSL_CA", "MY_API_KEY"]
        {
            assert!(!is_zenml_credential(name, Some("https://zenml.example.com")), "{name}");
        }
        assert!(is_zenml_credential("ZENML_STORE_URL", Some("mysql://root:hunter2@db:3306/zenml")));
        assert!(is_zenml_credential("ZENML_STORE_URL", Some("mysql://db/zenml?ssl=1&password=hunter2")));
        assert!(!is_zenml_credential("ZENML_STORE_URL", Some("mysql://db/zenml?ssl=1")));
        assert_eq!(mask_userinfo("https://u:p@h.example/x?y").as_deref(), Some("https://***@h.example/x?y"));
        assert_eq!(mask_userinfo("https://h.example/a@b"), None);
    }

    #[test]
    fn a_server_url_with_credentials_is_refused_without_echoing_them() {
        let text = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: a:1\nsteps: [{name: s}]\n";
        let opts =
            BuildOptions { zenml_url: Some("https://admin:s3cr3t-pw@zenml.example.com/".into()), ..Default::default() };
        let err = crate::load_ir(text, "p.yaml", &opts).unwrap_err().to_string();
        assert!(err.contains("not shown"), "{err}");
        assert!(!err.contains("s3cr3t") && !err.contains("admin"), "{err}");
    }

    #[test]
    fn credential_looking_names() {
        for name in ["HF_TOKEN", "DB_PASSWORD", "WANDB_API_KEY", "AWS_SECRET_ACCESS_KEY", "gcp-credentials", "apikey"] {
            assert!(looks_like_credential(name), "{name}");
        }
        for name in ["MAX_TOKENS", "TOKENIZER", "KEY_COLUMN", "LOG_LEVEL", "MONKEY"] {
            assert!(!looks_like_credential(name), "{name}");
        }
    }

    #[test]
    fn secret_refs() {
        assert_eq!(SecretRef::parse("zenml").unwrap(), SecretRef { name: "zenml".into(), key: "api-key".into() });
        assert_eq!(SecretRef::parse("zenml:token").unwrap().key, "token");
        assert!(SecretRef::parse("Zen ML").is_err());
        assert!(SecretRef::parse("zenml:").is_err());
    }
}
