//! Every code zenc reports — warnings, errors, `--check` drift, notes — with its severity,
//! engine, one-line meaning and long explanation. The one source of `zenc explain`, of the
//! JSON diagnostics' `severity`, and of README's code table (a test regenerates and compares
//! it); a test also checks that every code the sources report is listed here.
//!
//! Adding a code: one entry in `CODES` (kept sorted by engine, then code), then
//! `ZENC_BLESS=1 cargo test --test codes` to refresh README's table.

use serde::Serialize;

use crate::backend::Engine;
use crate::error::ErrorKind;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing is written; exit 1 (2 for usage and configuration errors, 3 for `--check` drift).
    Error,
    /// Something was not carried over, or only approximately; `-D`/`--deny-warnings` make it
    /// an error, `-A` silences it.
    Warning,
    /// Information about what was written (never an error, never denied).
    Note,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// Stable kebab-case name (`argo-catchup`), as printed in `warning[argo-catchup]`.
    pub code: &'static str,
    pub severity: Severity,
    /// The engine whose output it concerns, for engine-specific codes.
    pub engine: Option<Engine>,
    /// One line: when it is reported (README's table).
    pub summary: &'static str,
    /// What was lost, why, and what to do (`zenc explain`). Paragraphs separated by blank lines.
    pub explanation: &'static str,
}

const fn code(
    code: &'static str,
    severity: Severity,
    engine: Option<Engine>,
    summary: &'static str,
    explanation: &'static str,
) -> Code {
    Code { code, severity, engine, summary, explanation }
}

use Severity::{Error as E, Note as N, Warning as W};

const ARGO: Option<Engine> = Some(Engine::Argo);
const TEKTON: Option<Engine> = Some(Engine::Tekton);
const AIRFLOW: Option<Engine> = Some(Engine::Airflow);
const KUBEFLOW: Option<Engine> = Some(Engine::Kubeflow);

/// Every code, sorted by engine (none first, in `Engine::ALL` order) then by code.
#[rustfmt::skip]
pub const CODES: &[Code] = &[
    // Reading the input and the command line.
    code("bad-cron", E, None, "a cron expression no engine accepts",
        "The schedule's cron expression is not five fields (minute hour day-of-month month \
         day-of-week) or one of @hourly/@daily/@weekly/@monthly/@yearly, or a field is out of \
         range. Every engine zenc targets reads standard five-field cron, so the schedule \
         cannot be carried anywhere.\n\nFix the expression in the pipeline's schedule (for \
         example `0 2 * * 1-5`) and export the snapshot again."),
    code("config", E, None, "`zenc.toml` or `[tool.zenc]` is malformed or has an unknown key (exit 2)",
        "The configuration file zenc found (or was given with --config) is not valid TOML, has \
         a key zenc does not know (a typo would otherwise be ignored silently), or a value of \
         the wrong form. The message names the file and the key.\n\nFix the file; `zenc config` \
         prints the settings zenc resolves and where each comes from. --no-config ignores \
         configuration files."),
    code("credential-dropped", W, None, "a ZenML store credential in the input's environment: left out",
        "ZENML_STORE_API_KEY, …_API_TOKEN, …_PASSWORD, …_USERNAME, …_SSL_KEY, a secrets store's \
         …_AUTH_CONFIG, or a ZENML_STORE_URL with a password, found in the step environment or \
         the pod settings' env. zenc never writes a credential's value into a spec, so the \
         variable is left out of every output.\n\nRemove it from the input; the steps \
         authenticate with the Secret named by --zenml-secret."),
    code("cycle", E, None, "the steps' upstream edges form a cycle",
        "A pipeline must be a directed acyclic graph: the message prints the cycle as a chain \
         of steps. No engine can run it.\n\nRemove one of the upstream edges of the chain."),
    code("duplicate-step", E, None, "two steps share a name",
        "Step names identify steps in every engine and in ZenML (`--step_name`), so they must \
         be unique.\n\nRename one of the steps."),
    code("dynamic-pipeline", W, None, "a dynamic snapshot: compiled to one orchestration step",
        "A dynamic ZenML pipeline decides its steps while it runs, so there is no step graph to \
         compile. zenc emits one orchestration container running ZenML's \
         DynamicPipelineEntrypointConfiguration; it launches the steps at run time through the \
         stack's orchestrator.\n\nNothing is lost, but the engine only sees one step: give the \
         orchestration pod's service account the rights that orchestrator needs (for the \
         kubernetes orchestrator: creating pods in the namespace)."),
    code("dynamic-pipeline-flavor", W, None, "a dynamic snapshot whose stack's orchestrator cannot run one",
        "The orchestration container launches the steps through the stack's orchestrator, and \
         ZenML's kubeflow, tekton and airflow orchestrators cannot run dynamic pipelines: the \
         run will fail at its first step.\n\nRun dynamic pipelines on a stack with the \
         kubernetes orchestrator, or make the pipeline static."),
    code("empty-pipeline", E, None, "the pipeline has no steps",
        "A static pipeline needs at least one step; the snapshot's `step_configurations` (or \
         the YAML's `steps`) is empty.\n\nExport the snapshot of a pipeline that has steps."),
    code("env-credential", W, None, "a step variable that looks like a credential is written in clear text",
        "Its name reads like a secret (`HF_TOKEN`, `DB_PASSWORD`, `WANDB_API_KEY`), and its value \
         is written into the spec as ZenML itself would, readable by anyone who can read the \
         workflow object.\n\nKeep it in a ZenML secret, or in a Kubernetes Secret referenced \
         from the pod settings' `env` with `valueFrom.secretKeyRef`."),
    code("env-overridden", W, None, "the input sets a variable zenc manages (server access, run id)",
        "ZENML_STORE_*, ZENML_ACTIVE_STACK_ID, ZENML_ACTIVE_PROJECT_ID and the run-id variable \
         are set by zenc: they connect the step to the ZenML server and to one pipeline run. A \
         value for one of them in the step environment or pod settings is ignored, because a \
         wrong value would make steps report to another server or another run.\n\nRemove the \
         variable from the input; use --zenml-url, --zenml-secret and --run-id-env instead."),
    code("fetch-failed", E, None, "`zenc fetch`/`--server`: the snapshot could not be read from the ZenML server",
        "zenc could not read the snapshot from the ZenML server: the server is unreachable or \
         is not a ZenML server, it needs authentication that was not given, the API key was \
         rejected, the snapshot id or name is unknown or ambiguous, or the server is older than \
         ZenML 0.90. The message says which.\n\nCheck `--server` (or ZENML_STORE_URL), give a \
         service-account API key in ZENML_STORE_API_KEY or with --api-key-file, and name the \
         snapshot by its id (`zenml pipeline snapshots list`)."),
    code("fetch-missing", W, None, "`zenc fetch`: the snapshot's build, stack or schedule was deleted on the server",
        "The snapshot refers to a build, stack or schedule that no longer exists on the server, \
         so its images, orchestrator settings or schedule cannot be hydrated. The fetched JSON \
         keeps what the snapshot itself holds.\n\nCompile with `--image` (for a missing \
         build) or `--flavor` (for a missing stack), or create a new snapshot of the pipeline."),
    code("flavor-overridden", W, None, "`--flavor` differs from the flavor the snapshot states",
        "The command line wins: the run-id variable and who retries failed steps follow \
         --flavor, not the orchestrator flavor recorded in the snapshot's stack. If the steps \
         really run under the snapshot's stack, they read their run id from another variable \
         and every run collides with the first.\n\nDrop --flavor, or compile a snapshot of the \
         stack you mean."),
    code("input-unreadable", E, None, "the input file (or stdin) cannot be read",
        "zenc could not open or read the snapshot file: it does not exist, is a directory, is \
         not readable, or is not UTF-8.\n\nCheck the path; use `-` to read standard input."),
    code("internal", E, None, "a broken invariant inside zenc (a bug)",
        "Something that zenc's own checks should have made impossible happened.\n\nPlease \
         report it with the input file (remove anything private first)."),
    code("internal-template", E, None, "a built-in template failed to render (a bug)",
        "One of zenc's embedded templates could not render the context it was given.\n\nPlease \
         report it with the input file. With --templates, check your own copy of the template \
         named in the message first."),
    code("invalid-shape", E, None, "a value has the wrong shape (described, never echoed)",
        "A value has the wrong type or structure — an environment that is not a mapping, an \
         env entry without a name. The message describes what was found without quoting it, \
         because a value in the wrong place may be a credential.\n\nFix the value at the path \
         shown."),
    code("invalid-value", E, None, "a value has the wrong form (quantity, name, duration, URL, …)",
        "A value in the input or on the command line does not follow its rule: a Kubernetes \
         quantity, a DNS-1123 name, an environment variable name, a number in range, an IANA \
         time zone, a URL. The message names the value, where it is, and what would be \
         right.\n\nFix the value (in the snapshot's settings, or the option); on the command \
         line this is a usage error (exit 2)."),
    code("label-overridden", W, None, "a pod-settings label uses a key zenc sets on every step pod",
        "zenc labels every step pod with `zenml.io/pipeline`, `zenml.io/snapshot-id` and \
         `zenml.io/step` for selection; the pod settings set one of them, and their value wins, \
         as on ZenML's own pods, so selectors on zenc's values miss that pod.\n\nUse another \
         label key."),
    code("local-stack-component", W, None, "a stack component or image registry that lives on the machine that ran ZenML",
        "The snapshot's stack has a component with a `local` flavor (an artifact store above \
         all), or an image sits in a registry on `localhost`: steps running in a cluster cannot \
         reach either, so they fail (ZenML's Kubernetes orchestrator refuses such stacks unless \
         `skip_local_validations` is set).\n\nRun the pipeline on a stack with remote \
         components (an object-store artifact store, a reachable registry), then export the \
         snapshot again."),
    code("missing-image", E, None, "steps with no image, and no `--image` fallback",
        "The plain REST shape of a snapshot has no build images, and a step without an image \
         cannot run anywhere.\n\nPass --image IMAGE (or `image` in zenc.toml), or export the \
         snapshot with its build hydrated (`hydrate=True`, then `snap.build.hydrate()`)."),
    code("name-collision", E, None, "two names become the same engine name",
        "Engine names are derived from ZenML names (lower-cased, other characters become `-`); \
         colliding step names normally get a hash suffix, so this is reported only where a \
         name cannot be changed.\n\nRename one of the two."),
    code("no-zenml-secret", W, None, "`--zenml-url` without `--zenml-secret`",
        "The step containers get ZENML_STORE_URL but no ZENML_STORE_API_KEY, so they can only \
         talk to a ZenML server without authentication.\n\nCreate a Secret with a ZenML \
         service-account API key and pass --zenml-secret NAME[:KEY] (the key is referenced, \
         never copied into the spec)."),
    code("no-zenml-url", W, None, "no `--zenml-url`",
        "The step containers get no ZENML_STORE_URL: unless their image configures a ZenML \
         server, ZenML's step entrypoint cannot load the snapshot and every step \
         fails.\n\nPass --zenml-url (or set `zenml-url` in zenc.toml)."),
    code("option-unused", W, None, "a command-line option that does nothing for this target or input",
        "For example --kind with neither argo nor tekton, --airflow-version without airflow, \
         --timezone for a pipeline without a schedule, --image when every step has an image. \
         Reported so a mistyped target or a wrong input does not pass unnoticed.\n\nDrop the \
         option, or check the target and input."),
    code("out-of-date", E, None, "`--check`: an output file differs from what would be written (exit 3)",
        "The file exists but its content is not what zenc writes for this input and these \
         options; the unified diff on stdout shows what would change (`-` lines are in the \
         file, `+` lines would be written).\n\nRun the same command without --check and commit \
         the result."),
    code("output-missing", E, None, "`--check`: an output file does not exist (exit 3)",
        "`compile --check` compares the files at -o/--out-dir with what would be written, and \
         this one is not there.\n\nRun the same command without --check and commit the file."),
    code("output-obsolete", E, None, "`--check`: a file the pipeline no longer produces (exit 3)",
        "An earlier compile wrote this file (a Kubeflow recurring-run body), but the pipeline \
         no longer has a schedule; `compile` without --check removes it.\n\nRun the same \
         command without --check and commit the removal."),
    code("output-removed", N, None, "a file the pipeline no longer produces was removed",
        "A Kubeflow recurring-run body left by an earlier compile described a schedule the \
         pipeline no longer has; keeping it would let someone POST a stale schedule."),
    code("output-skipped", N, None, "a second file is not written to a stream, device or FIFO",
        "A target's second file (Kubeflow's recurring-run body) has no place on stdout, a \
         device or a FIFO, which receive the main spec only.\n\nPass -o FILE (a regular file) \
         or --out-dir DIR to get it."),
    code("parse-error", E, None, "the input is not valid JSON/YAML or does not have the expected shape",
        "The message gives the line and column, and the path of the value (for example \
         `metadata.step_configurations.train.config`). The hand-written YAML form is strict: \
         an unknown key is an error, because it is a typo.\n\nFix the input; a ZenML snapshot \
         is best exported with `model_dump_json()` (see README, Input)."),
    code("resources-overridden", W, None, "`pod_settings.resources` replaces a ResourceSettings value",
        "Both the step's ResourceSettings (`cpu_count`, `memory`, `gpu_count`) and its \
         Kubernetes pod settings set the same resource; as in ZenML's Kubernetes orchestrator, \
         the pod settings win.\n\nSet each resource in one place."),
    code("schedule-timezone", W, None, "a cron schedule without a time zone (ZenML stores none)",
        "ZenML's schedule has no time zone, so the engine reads the cron expression in its \
         default zone (the controller's, usually UTC): `0 2 * * *` may fire at 02:00 UTC, not \
         at 02:00 where you are.\n\nPass --timezone ZONE (or `timezone` in zenc.toml), e.g. \
         `Europe/Paris`."),
    code("setting-ignored", W, None, "an orchestrator, pod, resource or retry setting zenc does not carry",
        "The input has a setting that would change how a step runs, but zenc does not know it \
         (a typo, or a newer ZenML field) or cannot carry it (an Airflow operator other than \
         KubernetesPodOperator). Keys ZenML handles inside the container (caching, hooks, \
         client settings) are ignored quietly; this warning is for the rest.\n\nCheck the \
         setting's name at the path shown; if zenc should carry it, report it."),
    code("timezone-overridden", W, None, "`--timezone` replaces the YAML schedule's `timezone`",
        "The command line wins: the schedule fires in --timezone's zone, not in the one the \
         pipeline file names.\n\nDrop one of the two."),
    code("unknown-flavor", E, None, "the orchestrator flavor, and so the run-id variable, is unknown",
        "ZenML's step entrypoint reads its run id from a variable that depends on the stack's \
         orchestrator flavor (ZENML_KUBERNETES_RUN_ID, KFP_RUN_ID, …). The snapshot does not \
         say which flavor its stack uses (the plain REST shape), or names one zenc does not \
         know.\n\nPass --flavor kubernetes|kubeflow|tekton|airflow|vertex|sagemaker, or \
         --run-id-env NAME with the variable your orchestrator reads."),
    code("unknown-upstream", E, None, "a step depends on a step that does not exist",
        "An `upstream_steps` (or YAML `upstream`) entry names no step of the pipeline; the \
         message lists the known steps.\n\nFix the name, or add the missing step."),
    code("unsupported", E, None, "the engine cannot express this input",
        "Something in the input has no faithful form in this engine's output and would change \
         meaning if written anyway (for example text the engine would read as its own \
         expression syntax in a field it does not let zenc escape). The message names the \
         engine, the field and what to do; other engines may accept the same input.\n\nChange \
         the value, or compile for another target."),
    code("usage", E, None, "a wrong command line: unknown option, missing argument, bad combination (exit 2)",
        "The command line cannot be run as given. The message says what is wrong and what \
         would be right; `zenc help COMMAND` shows the options."),
    code("warnings-denied", E, None, "warnings made errors by `-D`/`--deny-warnings` (exit 1)",
        "With --deny-warnings (or -D CODE, or `deny`/`deny-warnings` in zenc.toml) the warnings \
         printed above are errors, and nothing was written.\n\nFix the input, or allow the code \
         with -A CODE if the loss is acceptable."),
    code("write-failed", E, None, "an output file or directory cannot be written (exit 1)",
        "zenc could not create the directory, write the temporary file or rename it into \
         place (permissions, a full disk, a closed FIFO). Outputs are all-or-nothing: every \
         existing output file is as it was.\n\nFix the destination and run again."),
    code("zenml-version", W, None, "`zenc fetch`: the ZenML server is newer than the 0.98 snapshot shape zenc reads",
        "The server reports a ZenML version newer than 0.98, the version whose snapshot shape \
         zenc was built and tested against. The snapshot is fetched and compiled as usual, but \
         a field the newer version added or moved may be missed.\n\nCompare the compiled spec \
         with what the pipeline needs, and upgrade zenc when a release supports that version."),
    // Argo Workflows.
    code("argo-annotation-dropped", W, ARGO, "the pipeline name contains `{{`: no `zenml.io/pipeline-name` annotation",
        "Argo templates `{{…}}` in every string of a workflow and has no escape for it, and \
         annotations are not expanded by Kubernetes, so zenc's `$(ZENC_LBRACE)` trick does not \
         apply there. The annotation is left out; the steps still run and report to ZenML \
         under the right pipeline.\n\nRename the pipeline without `{{` to get the annotation."),
    code("argo-catchup", W, ARGO, "`catchup: true`: Argo does not catch up missed runs",
        "A CronWorkflow runs at most one late run (within startingDeadlineSeconds) after a \
         controller outage; missed intervals are not replayed.\n\nReplay a range by hand with \
         `argo cron backfill`, or set `catchup: false` to say what happens."),
    code("argo-fail-fast", W, ARGO, "`fail_fast`: running steps are not stopped",
        "Argo's `failFast: true` stops scheduling new steps after a failure but lets the \
         running ones finish; ZenML's fail_fast also stops them.\n\nNothing to do if letting \
         running steps finish is acceptable; otherwise use stop_on_failure, which Argo \
         expresses exactly."),
    code("argo-interval-anchor", W, ARGO, "an interval schedule with a start time: `@every` ignores the anchor",
        "Argo's `@every 6h` counts from when the controller loads the CronWorkflow, not from \
         the schedule's start time, so runs happen at other times of day than in \
         ZenML.\n\nUse a cron schedule to fix the times of day."),
    code("argo-run-once", W, ARGO, "a run-once schedule: emitted a WorkflowTemplate to submit at that time",
        "Argo has no one-off schedule. The output is a WorkflowTemplate, and nothing runs \
         unless someone submits it.\n\nAt the time shown, run `argo submit --from \
         workflowtemplate/<name>` (or schedule that command elsewhere)."),
    code("argo-schedule-window", W, ARGO, "schedule `start_time`/`end_time`: CronWorkflows have no window",
        "The CronWorkflow fires from when it is applied until it is deleted or suspended; the \
         schedule's start and end are not carried.\n\nApply it at the start time and delete \
         (or suspend) it at the end."),
    // Tekton Pipelines.
    code("tekton-catchup", W, TEKTON, "`catchup: true`: CronJobs do not catch up missed runs",
        "A Kubernetes CronJob starts at most one late run (within startingDeadlineSeconds); \
         missed intervals are not replayed.\n\nCreate the missed PipelineRuns by hand, or set \
         `catchup: false`."),
    code("tekton-failure-mode", W, TEKTON, "`continue_on_failure` with parallel branches, or `fail_fast`",
        "Tekton starts no new task after a failure and lets running tasks finish — ZenML's \
         stop_on_failure. With continue_on_failure, independent branches stop too; with \
         fail_fast, running tasks are not stopped.\n\nUse stop_on_failure, or accept the \
         difference."),
    code("tekton-interval", W, TEKTON, "an interval that is no exact cron: `@every`, counted from the controller",
        "Intervals that divide an hour or a day (or are one day or one week) become an exact \
         cron anchored at the start time. Others become `@every <d>`, counted from when the \
         CronJob controller last scheduled it, so the times drift from ZenML's.\n\nUse such an \
         interval, or a cron schedule."),
    code("tekton-parallelism", W, TEKTON, "`max_parallelism`: Tekton has no per-run limit",
        "Every task whose upstream tasks are done starts at once.\n\nCap pods with a \
         ResourceQuota on the namespace if the limit matters."),
    code("tekton-pod-field", W, TEKTON, "a pod field Tekton's pod template cannot carry",
        "Tekton builds task pods from a pod template that lacks some PodSpec fields (`hostIPC`, \
         `terminationGracePeriodSeconds`, other `additional_pod_spec_args`); those are \
         dropped.\n\nCompile for argo or airflow if the step needs them."),
    code("tekton-retry-backoff", W, TEKTON, "retry delay and backoff: Tekton retries at once",
        "Tekton's task `retries` is a count; a failed task is retried immediately, without the \
         delay and backoff factor ZenML's retry config sets.\n\nMake the step's own code wait \
         if it needs a pause between attempts."),
    code("tekton-run-once", W, TEKTON, "a run-once schedule: emitted the Pipeline and a PipelineRun",
        "Neither Tekton nor Kubernetes CronJobs have a one-off schedule, so nothing runs by \
         itself.\n\nAt the time shown, `kubectl create -f` the PipelineRun."),
    code("tekton-run-settings", W, TEKTON, "`--kind pipeline`: PipelineRun settings are not in the output",
        "The service account and pod settings (node selectors, tolerations, affinity, image \
         pull secrets) belong to the PipelineRun, which --kind pipeline does not emit.\n\nPass \
         them when starting the run (`tkn pipeline start --serviceaccount …`, a PipelineRun \
         with a pod template), or use --kind run."),
    code("tekton-schedule-window", W, TEKTON, "schedule `start_time`/`end_time`: CronJobs have no window",
        "The CronJob fires from when it is applied until it is deleted or suspended.\n\nApply \
         it at the start time and delete (or suspend) it at the end."),
    code("tekton-ttl", W, TEKTON, "`ttl_seconds_after_finished`: Tekton has no per-run TTL",
        "Finished PipelineRuns (and their pods) are kept until something prunes them.\n\nRun \
         Tekton's pruner, or `tkn pipelinerun delete --keep N` on a schedule."),
    // Airflow.
    code("airflow-backoff-factor", W, AIRFLOW, "`--airflow-version 2`: a backoff factor other than 2",
        "Airflow 2's `retry_exponential_backoff` is a boolean that doubles the delay; the \
         factor from ZenML's retry config is not carried.\n\nUse factor 2, or Airflow 3 \
         (`--airflow-version 3`), which takes the factor."),
    code("airflow-catchup-start", W, AIRFLOW, "`catchup: true` without a start time: `catchup=False`",
        "Airflow refuses catchup without a `start_date` (it would not know where to start), \
         so the DAG is written with catchup=False.\n\nGive the schedule a start time."),
    code("airflow-concurrency-replace", W, AIRFLOW, "concurrency policy Replace: the next run queues instead",
        "Airflow cannot cancel a running DAG run for the next one; max_active_runs=1 makes the \
         next run wait for the current one (Forbid-like, but queued rather than \
         skipped).\n\nUse Forbid or Allow, or accept queueing."),
    code("airflow-history-limit", W, AIRFLOW, "history limits: Airflow keeps every DAG run",
        "Successful and failed run history limits have no DAG field; runs stay in Airflow's \
         metadata database.\n\nClean up with `airflow db clean` on a schedule."),
    code("airflow-starting-deadline", W, AIRFLOW, "`starting_deadline_seconds`: Airflow has no starting deadline",
        "A scheduled DAG run starts when the scheduler gets to it, however late.\n\nNothing \
         equivalent exists; drop the setting or accept late starts."),
    code("airflow-stop-on-failure", W, AIRFLOW, "`stop_on_failure`: Airflow's fail_fast also stops running tasks",
        "Airflow has no \"start nothing new, let running tasks finish\" mode; zenc uses \
         fail_fast, which also stops the tasks still running.\n\nUse fail_fast or \
         continue_on_failure, which Airflow expresses exactly."),
    code("airflow-tag-length", W, AIRFLOW, "a pipeline tag longer than Airflow's 100 characters was cut",
        "Airflow refuses DAG tags longer than 100 characters; the tag is cut to fit, so filters \
         on the full tag will not match.\n\nShorten the tag."),
    code("airflow-ttl", W, AIRFLOW, "`ttl_seconds_after_finished`: Airflow keeps DAG runs",
        "Pods are deleted when a task ends, but DAG runs stay in Airflow's database; there is \
         no per-run TTL.\n\nClean up with `airflow db clean`."),
    // Kubeflow Pipelines.
    code("kubeflow-concurrency", W, KUBEFLOW, "concurrency policy Allow or Replace: approximated by `max_concurrency`",
        "KFP recurring runs have `max_concurrency` (1 to 10) only: Allow becomes 10, and \
         Replace (cancel the running run) becomes 1, which skips the new run instead.\n\nUse \
         Forbid for an exact match."),
    code("kubeflow-env-from", W, KUBEFLOW, "`env_from`: KFP has no `envFrom`",
        "Whole Secrets or ConfigMaps as environment cannot be declared in KFP's PlatformSpec; \
         the steps listed do not get those variables.\n\nName each variable with a \
         `secretKeyRef`/`configMapKeyRef` env entry instead."),
    code("kubeflow-env-order", W, KUBEFLOW, "a pod-settings `$(VAR)` refers to a variable KFP adds later",
        "KFP appends Secret, field-path and run-id variables after the container's env, and \
         Kubernetes expands `$(VAR)` only for variables defined earlier, so the reference \
         stays literal.\n\nRead the variable in the step's code instead of composing it in an \
         env value."),
    code("kubeflow-env-value-from", W, KUBEFLOW, "an env `valueFrom` other than a field path, Secret key or ConfigMap key",
        "KFP's PlatformSpec can set variables from those three sources only (no \
         resourceFieldRef, for example); the variable is dropped.\n\nSet it another way (a \
         literal, or read it in the step)."),
    code("kubeflow-execution-mode", W, KUBEFLOW, "`stop_on_failure`/`fail_fast`: KFP has no failure policy",
        "In KFP a failed task skips its dependants and lets independent tasks run — ZenML's \
         continue_on_failure, whatever the snapshot says.\n\nAccept it, or compile for argo."),
    code("kubeflow-parallelism", W, KUBEFLOW, "`max_parallelism`: KFP has no pipeline-wide limit",
        "KFP limits the parallelism of loops only; every ready task starts.\n\nCap pods with a \
         ResourceQuota on the namespace if the limit matters."),
    code("kubeflow-pod-affinity", W, KUBEFLOW, "pod (anti-)affinity: KFP carries node affinity only",
        "KFP's PlatformSpec has node affinity terms but no pod affinity or anti-affinity; \
         those are dropped for the steps listed.\n\nUse node selectors or node affinity."),
    code("kubeflow-pod-spec", W, KUBEFLOW, "a pod-spec field KFP's PlatformSpec has no place for",
        "`hostIPC`, the scheduler name, a step service account, the termination grace period \
         and other `additional_pod_spec_args` cannot be set per task in KFP; they are \
         dropped.\n\nSet the service account when creating the run; compile for argo or \
         airflow if the rest matters."),
    code("kubeflow-resource", W, KUBEFLOW, "an extended resource other than one GPU kind",
        "The KFP IR has fields for CPU, memory and one accelerator type; ephemeral storage, \
         hugepages and device-plugin resources are dropped.\n\nUse a node selector for \
         nodes that have them, or compile for another engine."),
    code("kubeflow-run-once", W, KUBEFLOW, "a run-once schedule: KFP has no one-off schedule",
        "Nothing runs by itself.\n\nAt the time shown, create a run from the IR (`kfp run \
         create --package-file …`)."),
    code("kubeflow-run-settings", W, KUBEFLOW, "`--namespace`/`--service-account`: chosen when a KFP run is created",
        "The KFP IR has no namespace or service account: the namespace comes from the \
         experiment, the service account from the run request (the recurring-run body carries \
         `service_account`).\n\nPass them to `kfp run create` or in the Kubeflow UI."),
    code("kubeflow-schedule", W, KUBEFLOW, "the schedule is a separate recurring-run request body",
        "A KFP schedule is not part of the pipeline IR: zenc writes \
         `<stem>.kubeflow.recurring-run.json`, the body of POST /apis/v2beta1/recurringruns, \
         and the warning prints the equivalent `kfp recurring-run create` command.\n\nAdd \
         `experiment_id` and POST the body, or run the command."),
    code("kubeflow-schedule-limits", W, KUBEFLOW, "starting deadline or history limits: KFP recurring runs have none",
        "KFP starts late runs whenever it can and keeps every run.\n\nDelete old runs with the \
         KFP API or UI."),
    code("kubeflow-security-context", W, KUBEFLOW, "container security settings beyond user, group and non-root",
        "KFP's PlatformSpec security context has runAsUser, runAsGroup and runAsNonRoot only; \
         capabilities, privileged, read-only root filesystem and the rest are \
         dropped.\n\nEnforce them with a namespace policy, or compile for another engine."),
    code("kubeflow-tags", W, KUBEFLOW, "pipeline tags: the KFP IR has no place for them",
        "KFP's `pipelineInfo` has a name, a display name and a description, but no tags; the \
         pipeline's tags are not in the output.\n\nTag the pipeline or its runs in the \
         Kubeflow UI or API."),
    code("kubeflow-timeout", W, KUBEFLOW, "a step timeout: per pod attempt in KFP",
        "The KFP IR has no task timeout; zenc sets the pod's activeDeadlineSeconds, which \
         counts per attempt, so with retries the step may run longer in total.\n\nAccept it, \
         or lower the timeout."),
    code("kubeflow-timezone", W, KUBEFLOW, "a schedule time zone: KFP uses one cluster-wide zone",
        "KFP reads every cron schedule in the zone of the scheduledworkflow controller \
         (CRON_SCHEDULE_TIMEZONE, UTC by default); the schedule's zone is ignored.\n\nWrite \
         the cron expression in the cluster's zone."),
    code("kubeflow-toleration", W, KUBEFLOW, "a toleration key KFP's PlatformSpec does not have",
        "KFP tolerations have key, operator, value, effect and tolerationSeconds; other keys \
         are dropped.\n\nRemove them from the pod settings."),
    code("kubeflow-volume", W, KUBEFLOW, "a volume KFP cannot mount, or a mount option it lacks",
        "KFP mounts PVCs, emptyDirs, Secrets and ConfigMaps only, declares volumes only with a \
         mount, and has no readOnly/mountPropagation on mounts; the rest is dropped.\n\nUse \
         one of those volume kinds, or compile for another engine."),
];

/// The entry for `code`.
pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}

/// The code of an error kind (exhaustive: a new kind needs a code).
pub fn error_code(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Io { .. } => "input-unreadable",
        ErrorKind::Parse { .. } => "parse-error",
        ErrorKind::EmptyPipeline => "empty-pipeline",
        ErrorKind::DuplicateStep { .. } => "duplicate-step",
        ErrorKind::UnknownUpstream { .. } => "unknown-upstream",
        ErrorKind::Cycle { .. } => "cycle",
        ErrorKind::InvalidValue { .. } => "invalid-value",
        ErrorKind::InvalidShape { .. } => "invalid-shape",
        ErrorKind::BadCron { .. } => "bad-cron",
        ErrorKind::MissingImage { .. } => "missing-image",
        ErrorKind::UnknownFlavor { .. } => "unknown-flavor",
        ErrorKind::NameCollision { .. } => "name-collision",
        ErrorKind::Unsupported { .. } => "unsupported",
        ErrorKind::Template { .. } => "internal-template",
        ErrorKind::Internal { .. } => "internal",
    }
}

/// README's table of codes, as the test compares it.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | severity | engine | when |\n|---|---|---|---|\n");
    for c in CODES {
        let engine = c.engine.map_or("", Engine::name);
        out.push_str(&format!(
            "| `{}` | {} | {engine} | {} |\n",
            c.code,
            c.severity.name(),
            c.summary.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sort key of the table: engine-neutral codes first, then per engine in `Engine::ALL` order.
    fn rank(c: &Code) -> usize {
        match c.engine {
            None => 0,
            Some(e) => 1 + Engine::ALL.iter().position(|x| *x == e).expect("every engine is in ALL"),
        }
    }

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        for pair in CODES.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!((rank(a), a.code) < (rank(b), b.code), "`{}` must come after `{}`", a.code, b.code);
        }
        for c in CODES {
            let ok = c
                .code
                .split('-')
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
            assert!(ok, "`{}` is not kebab-case", c.code);
            if let Some(e) = c.engine {
                assert!(c.code.starts_with(&format!("{}-", e.name())), "`{}` must start with its engine", c.code);
            } else {
                let prefix = Engine::ALL.iter().find(|e| c.code.starts_with(&format!("{}-", e.name())));
                assert!(prefix.is_none(), "`{}` names an engine but has none", c.code);
            }
            assert!(!c.summary.contains('\n') && !c.summary.ends_with('.'), "`{}`: summary is one line", c.code);
            assert!(c.explanation.ends_with(['.', ')']), "`{}`: explanation ends a sentence", c.code);
            assert!(!c.explanation.contains("  "), "`{}`: explanation has a double space", c.code);
        }
    }
}
