//! Lowering of the IR to native Tekton Pipelines (`tekton.dev/v1`, Pipelines v1.x), with a
//! Kubernetes CronJob (+ RBAC) as the scheduler Tekton does not have.
//!
//! | kind \ schedule | none                      | cron / interval                                  | run once                 |
//! |----------------|---------------------------|--------------------------------------------------|--------------------------|
//! | `run`          | PipelineRun, inline spec  | CronJob + RBAC + ConfigMap(PipelineRun, inline)  | PipelineRun + warning    |
//! | `pipeline`     | Pipeline                  | Pipeline + CronJob + … (PipelineRun → Pipeline)  | Pipeline + warning       |

pub mod codes;
mod context;
mod escape;

mod run;
mod schedule;
mod share;
mod size;
mod task;
#[cfg(test)]
mod tests;

pub use context::*;
pub use escape::{escape_literal, DOLLAR};
pub use share::{RUN_UID_LABEL, STEP_PARAM};

use super::names::{NameRule, StepNames};
use super::{Backend, Document, Embed, EngineOptions, ObjectKind};
use crate::diagnostic::codes::OPTION_UNUSED;
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::Pipeline;

/// The Tekton Pipelines target.
pub struct Tekton;

/// Name used in error messages.
const DISPLAY: &str = "Tekton";
const FILE: &str = "tekton.yaml";
/// Tekton's per-run id: the same in every task of a PipelineRun, new for every PipelineRun
/// (also for each CronJob firing), unchanged by task retries. Written straight into the step
/// env: Tekton propagates the pipeline's context into inline taskSpecs
/// (`pipelinerun/resources/apply.go` `ApplyContexts` → `propagateParams`).
pub const RUN_ID: &str = "$(context.pipelineRun.uid)";
/// Pipeline-task names: DNS-1123 labels. Tekton names each TaskRun `<pipelinerun>-<task>`
/// (kmeta.ChildName, ≤63); with a PipelineRun name of at most `RUN_PREFIX_MAX + 1 + 5`
/// characters, 30 keeps that name whole: 27 + 5 + 1 + 30 = 63.
pub const TASK_RULE: NameRule = NameRule::dns_label(30);
/// Longest sanitised pipeline name in a PipelineRun `generateName` (before `-` and the five
/// random characters Kubernetes appends).
const RUN_PREFIX_MAX: usize = 26;
// generateName (prefix + `-`) + 5 random characters + `-` + task name fit a TaskRun name.
const _: () = assert!(RUN_PREFIX_MAX + 1 + 5 + 1 + TASK_RULE.max_len <= 63);
/// Default image of the CronJob pod that creates the PipelineRuns: the Kubernetes project's
/// own kubectl image, pinned (since v1.28 on debian-base, with `/bin/sh`; kubernetes
/// `build/server-image/kubectl/Dockerfile`). `--tekton-launcher-image` replaces it.
pub const KUBECTL_IMAGE: &str = "registry.k8s.io/kubectl:v1.34.1";
/// Key of the PipelineRun manifest in the schedule's ConfigMap.
pub const MANIFEST_KEY: &str = "pipelinerun.yaml";
/// The CronJob pod's script: applies the schedule's concurrency policy and history limits to
/// the PipelineRuns it created (found by `SCHEDULE_LABEL`), then creates one.
pub const LAUNCHER_SCRIPT: &str = include_str!("launch.sh");
/// Label on every PipelineRun a schedule creates; its value is the CronJob name.
pub const SCHEDULE_LABEL: &str = "zenml.io/schedule";
/// Kubernetes refuses a ConfigMap whose data exceeds 1 MiB (`MaxSecretSize` in
/// `pkg/apis/core/validation`).
const CONFIGMAP_MAX_BYTES: usize = 1024 * 1024;

/// What the output holds (see the table at the top).
pub enum TektonContext {
    /// One self-contained PipelineRun.
    Run(RunContext),
    /// `--kind pipeline`, unscheduled: the Pipeline alone.
    Pipeline(PipelineContext),
    /// The CronJob (+ RBAC, ConfigMap holding `run`), after the Pipeline `run` names when
    /// emitted by reference.
    Scheduled { pipeline: Option<PipelineContext>, run: RunContext, cron: Box<CronContext> },
}

impl Backend for Tekton {
    const NAME: &'static str = "tekton";
    const TEMPLATES: &'static [(&'static str, &'static str)] = templates!(
        "tekton": "pipeline.yaml.j2",
        "pipelinerun.yaml.j2",
        "schedule.yaml.j2",
        "task.yaml.j2",
        "tasks.yaml.j2"
    );
    const CODES: &'static [crate::diagnostic::Code] = codes::CODES;
    type Context = TektonContext;

    fn lower(p: &Pipeline, opts: &EngineOptions, warnings: &mut Vec<Warning>) -> Result<TektonContext> {
        let (mut ctx, first_alike) = lower_kind(p, opts, warnings)?;
        let Some(too_large) = size::check(&mut ctx, p, &first_alike)? else {
            // Copied only now: a run too large is refused without them.
            if let TektonContext::Run(run) | TektonContext::Scheduled { pipeline: None, run, .. } = &mut ctx {
                run::fill(p, &mut run.tasks, &first_alike)?;
            }
            return Ok(ctx);
        };
        // The help counts the `--kind pipeline` shape. Its tasks are the run's but for what
        // `run::inline` moved out of the taskSpecs: those few are lowered again, the rest of
        // the run is freed first (the refusal holds one lowering at a time).
        let mut tasks = match &mut ctx {
            TektonContext::Run(run) | TektonContext::Scheduled { pipeline: None, run, .. } if !too_large.by_name => {
                std::mem::take(&mut run.tasks)
            }
            _ => return Err(too_large.error(None)),
        };
        drop(ctx);
        run::relower_specs(p, &mut tasks)?;
        share::share(p, &mut tasks, &first_alike);
        run::fill(p, &mut tasks, &first_alike)?;
        Err(too_large.error(Some(&tasks)))
    }

    fn documents(ctx: &TektonContext) -> Vec<Document> {
        match ctx {
            TektonContext::Run(run) => vec![Document::template(FILE, "pipelinerun.yaml.j2", run)],
            TektonContext::Pipeline(pipeline) => pipeline_documents(pipeline),
            TektonContext::Scheduled { pipeline, run, cron } => {
                let mut docs: Vec<Document> = pipeline.iter().flat_map(pipeline_documents).collect();
                let manifest = Embed {
                    at: "/data",
                    key: MANIFEST_KEY,
                    template: "pipelinerun.yaml.j2",
                    context: super::template_context(run),
                    max_bytes: CONFIGMAP_MAX_BYTES - LAUNCHER_SCRIPT.len(),
                    too_large: manifest_too_large,
                };
                docs.push(Document::embedding(FILE, "schedule.yaml.j2", &**cron, manifest));
                docs
            }
        }
    }
}

/// The shared Tasks, then the Pipeline that refers to them (`kubectl apply` creates them in
/// that order).
fn pipeline_documents(pipeline: &PipelineContext) -> Vec<Document> {
    let tasks = pipeline.shared.iter().map(|t| Document::template(FILE, "task.yaml.j2", t));
    tasks.chain([Document::template(FILE, "pipeline.yaml.j2", pipeline)]).collect()
}

fn manifest_too_large(bytes: usize) -> Error {
    Error::new(ErrorKind::Unsupported {
        engine: DISPLAY,
        what: format!(
            "a schedule for a pipeline this large: its PipelineRun manifest ({} KiB) does not fit the 1 MiB of the ConfigMap the CronJob reads it from",
            bytes / 1024
        ),
        help: "compile with `--kind pipeline`: the Pipeline becomes its own object and the scheduled PipelineRun only names it".into(),
    })
}

/// The objects of `--kind` and the schedule (the table at the top), and the first step alike
/// each (`run::lower`): the inline tasks of a run are not `run::fill`ed yet.
fn lower_kind(p: &Pipeline, opts: &EngineOptions, warnings: &mut Vec<Warning>) -> Result<(TektonContext, Vec<usize>)> {
    let names = StepNames::assign(p, &TASK_RULE, &[], DISPLAY)?;
        let (mut pipeline, mut run, first_alike) = run::lower(p, &names, warnings)?;
        let by_reference = opts.kind == ObjectKind::Template;
        if by_reference {
            pipeline.shared = share::share(p, &mut pipeline.tasks, &first_alike);
            run::fill(p, &mut pipeline.tasks, &first_alike)?;
        }
        let Some(cron) = p.schedule().and_then(|s| schedule::lower(p, s, opts, warnings)) else {
            if opts.tekton_launcher_image.is_some() {
                warnings.push(Warning::new(
                    &OPTION_UNUSED,
                    "--tekton-launcher-image only applies to a scheduled pipeline (cron or interval)",
                ));
            }
            if !by_reference {
                run::inline(&mut run, pipeline.tasks);
                return Ok((TektonContext::Run(run), first_alike));
            }
            if run.pod_template.is_some() || !run.task_run_specs.is_empty() || run.service_account_name.is_some() {
                warnings.push(Warning::new(
                    &codes::RUN_SETTINGS,
                    "--kind pipeline emits no PipelineRun: service account and pod settings (node selectors, tolerations, affinity, image pull secrets) live on the PipelineRun and are not in the output",
                ));
            }
            return Ok((TektonContext::Pipeline(pipeline), first_alike));
        };
        run.labels.insert(SCHEDULE_LABEL.into(), cron.name.clone());
        let pipeline = if by_reference {
            run.pipeline_ref = Some(pipeline.name.clone());
            Some(pipeline)
        } else {
            run::inline(&mut run, pipeline.tasks);
            None
        };
        Ok((TektonContext::Scheduled { pipeline, run, cron: Box::new(cron) }, first_alike))
}
