//! RawPipeline → validated `Pipeline`: defaults, quantities, environment, graph, schedule.
//! Every error carries the input path of the value it is about. One concern per file: `range`
//! (numeric ranges), `step` (steps and their command), `env` (environment and credentials),
//! `resources`, `pod` (pod settings and Kubernetes name rules), `schedule`.

mod credentials;
mod env;
mod pod;
mod range;
mod resources;
mod schedule;
mod step;

pub use pod::is_dns_subdomain;
pub use range::MAX_SECONDS;
pub use step::{DYNAMIC_STEP_NAME, ENTRYPOINT_COMMAND};

use super::graph::{self, Node};
use super::syntax;
use super::{FailureMode, Step};
use crate::diagnostic::codes;
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::snapshot::{key_path, RawPipeline, RawStep};
use crate::Pipeline;
use range::{count, ranged_opt, DURATION};
use step::StepContext;

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

/// Validate `raw` and build the engine-neutral pipeline. The steps' names, paths, images and
/// upstream lists move into it; on an error the names and paths are back in `raw`, to tell
/// which step the error is in.
pub fn build(raw: &mut RawPipeline, opts: &BuildOptions, warnings: &mut Vec<Warning>) -> Result<Pipeline> {
    let (flavor, run_id_env, engine_retries) = run_id(raw, opts)?;
    if raw.name.trim().is_empty() {
        return Err(
            Error::invalid("pipeline name", &raw.name, "a non-empty name").at("metadata.pipeline_configuration.name")
        );
    }
    step::check_snapshot_id(&raw.snapshot_id, &raw.snapshot_id_path)?;
    let failure_mode = failure_mode(raw)?;
    check_options(raw, opts, warnings)?;
    let mut raw_steps = std::mem::take(&mut raw.steps);
    let ctx = StepContext::new(raw, opts, &run_id_env, engine_retries);
    let steps = steps(&ctx, &mut raw_steps, warnings);
    raw.steps = raw_steps;
    let steps = steps?;
    let raw = &*raw;
    local_components(raw, &steps, warnings);
    let parallelism = count(raw.parallelism, "parallelism", &raw.parallelism_path)?;
    let ttl_seconds_after_finished = ranged_opt(
        raw.orchestrator.ttl_seconds_after_finished,
        "TTL",
        &DURATION,
        &format!("{}.ttl_seconds_after_finished", raw.orchestrator_path),
    )?;
    let namespace = opts.namespace.clone().or(raw.orchestrator.kubernetes_namespace.clone());
    let schedule = raw.schedule.as_ref().map(|s| schedule::build(s, opts, warnings)).transpose()?;
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

/// The orchestrator flavor (the command line's over the snapshot's), the run-id variable, and
/// whether the engine retries failed steps.
fn run_id(raw: &RawPipeline, opts: &BuildOptions) -> Result<(Option<String>, String, bool)> {
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
    Ok((flavor, run_id_env, engine_retries))
}

/// ZenML's `execution_mode`.
fn failure_mode(raw: &RawPipeline) -> Result<FailureMode> {
    match raw.execution_mode.as_deref() {
        None | Some("continue_on_failure") => Ok(FailureMode::ContinueOnFailure),
        Some("stop_on_failure") => Ok(FailureMode::StopOnFailure),
        Some("fail_fast") => Ok(FailureMode::FailFast),
        Some(other) => {
            Err(Error::invalid("execution mode", other, "`continue_on_failure`, `stop_on_failure` or `fail_fast`")
                .at(raw.execution_mode_path.clone()))
        }
    }
}

/// The deployment options: their syntax (for library callers; the CLI checks them first), and
/// what they leave out or do not change.
fn check_options(raw: &RawPipeline, opts: &BuildOptions, warnings: &mut Vec<Warning>) -> Result<()> {
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
        schedule::check_timezone(tz, "--timezone".into())?;
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
    Ok(())
}

/// The steps in a stable topological order (one orchestration step for a dynamic pipeline).
fn steps(ctx: &StepContext, raw_steps: &mut [RawStep], warnings: &mut Vec<Warning>) -> Result<Vec<Step>> {
    let raw = ctx.raw;
    if raw.dynamic {
        return Ok(vec![step::dynamic(ctx, warnings)?]);
    }
    if raw_steps.is_empty() {
        return Err(Error::new(ErrorKind::EmptyPipeline).at(raw.steps_path.clone()));
    }
    // By input index; `None` for a step without an image.
    let mut built: Vec<Option<Step>> = Vec::with_capacity(raw_steps.len());
    let mut missing = Vec::new();
    for rs in raw_steps.iter_mut() {
        match step::build(ctx, rs, warnings) {
            Ok(step) => {
                if step.is_none() {
                    missing.push(rs.name.clone());
                }
                built.push(step);
            }
            Err(e) => return Err(give_back(raw_steps, built, e)),
        }
    }
    if !missing.is_empty() {
        let e = Error::new(ErrorKind::MissingImage { steps: missing }).at(raw.images_path.clone());
        return Err(give_back(raw_steps, built, e));
    }
    let nodes: Vec<Node> = built
        .iter()
        .zip(raw_steps.iter())
        .map(|(s, rs)| {
            let s = s.as_ref().expect("every step has an image");
            Node { name: &s.name, path: &s.path, upstream: &s.upstream, upstream_path: rs.upstream_place(&s.path) }
        })
        .collect();
    let order = graph::order(&nodes);
    drop(nodes);
    match order {
        Ok(order) => Ok(order.into_iter().map(|i| built[i].take().expect("each index once")).collect()),
        Err(e) => Err(give_back(raw_steps, built, e)),
    }
}

/// `e`, with the names and paths of the steps built so far back in `raw_steps`: they tell
/// which step `e` is in.
fn give_back(raw_steps: &mut [RawStep], built: Vec<Option<Step>>, e: Error) -> Error {
    for (rs, step) in raw_steps.iter_mut().zip(built) {
        if let Some(step) = step {
            rs.name = step.name;
            rs.path = step.path;
        }
    }
    e
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_refs() {
        assert_eq!(SecretRef::parse("zenml").unwrap(), SecretRef { name: "zenml".into(), key: "api-key".into() });
        assert_eq!(SecretRef::parse("zenml:token").unwrap().key, "token");
        assert!(SecretRef::parse("Zen ML").is_err());
        assert!(SecretRef::parse("zenml:").is_err());
    }

    #[test]
    fn each_step_image_is_checked_after_a_valid_one() {
        let head = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: a:1\n";
        for (bad, step) in [("\"\"", "[2]"), ("\"a b\"", "[2]"), ("\"\"", "[0]")] {
            let steps = if step == "[0]" {
                format!("steps: [{{name: x, image: {bad}}}, {{name: y}}, {{name: z}}]\n")
            } else {
                format!("steps: [{{name: x}}, {{name: y}}, {{name: z, image: {bad}}}]\n")
            };
            let err = crate::load_ir(format!("{head}{steps}"), "p.yaml", &BuildOptions::default()).unwrap_err();
            assert_eq!(err.location.path.as_deref(), Some(format!("steps{step}").as_str()), "{bad}: {err}");
        }
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
}
