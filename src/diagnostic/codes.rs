//! The engine-neutral codes: reading the input and the command line, `--check` drift, notes.
//! Each engine's own codes are in `backend/<engine>/codes.rs`. Kept sorted by code.

use super::Code;

pub const BAD_CRON: Code = Code::error(
    "bad-cron",
    "a cron expression no engine accepts",
    "The schedule's cron expression is not five fields (minute hour day-of-month month \
         day-of-week) or one of @hourly/@daily/@weekly/@monthly/@yearly, or a field is out of \
         range. Every engine zenc targets reads standard five-field cron, so the schedule \
         cannot be carried anywhere.\n\nFix the expression in the pipeline's schedule (for \
         example `0 2 * * 1-5`) and export the snapshot again.",
);
pub const CONFIG: Code = Code::error(
    "config",
    "`zenc.toml` or `[tool.zenc]` is malformed or has an unknown key (exit 2)",
    "The configuration file zenc found (or was given with --config) is not valid TOML, has \
         a key zenc does not know (a typo would otherwise be ignored silently), or a value of \
         the wrong form. The message names the file and the key.\n\nFix the file; `zenc config` \
         prints the settings zenc resolves and where each comes from. --no-config ignores \
         configuration files.",
);
pub const CREDENTIAL_DROPPED: Code = Code::warning(
    "credential-dropped",
    "a ZenML store credential in the input's environment: left out",
    "ZENML_STORE_API_KEY, …_API_TOKEN, …_PASSWORD, …_USERNAME, …_SSL_KEY, a secrets store's \
         …_AUTH_CONFIG, or a ZENML_STORE_URL with a password, found in the step environment or \
         the pod settings' env. zenc never writes a credential's value into a spec, so the \
         variable is left out of every output.\n\nRemove it from the input; the steps \
         authenticate with the Secret named by --zenml-secret.",
);
pub const CYCLE: Code = Code::error(
    "cycle",
    "the steps' upstream edges form a cycle",
    "A pipeline must be a directed acyclic graph: the message prints the cycle as a chain \
         of steps. No engine can run it.\n\nRemove one of the upstream edges of the chain.",
);
pub const DUPLICATE_STEP: Code = Code::error(
    "duplicate-step",
    "two steps share a name",
    "Step names identify steps in every engine and in ZenML (`--step_name`), so they must \
         be unique.\n\nRename one of the steps.",
);
pub const DYNAMIC_PIPELINE: Code = Code::warning(
    "dynamic-pipeline",
    "a dynamic snapshot: compiled to one orchestration step",
    "A dynamic ZenML pipeline decides its steps while it runs, so there is no step graph to \
         compile. zenc emits one orchestration container running ZenML's \
         DynamicPipelineEntrypointConfiguration; it launches the steps at run time through the \
         stack's orchestrator.\n\nNothing is lost, but the engine only sees one step: give the \
         orchestration pod's service account the rights that orchestrator needs (for the \
         kubernetes orchestrator: creating pods in the namespace).",
);
pub const DYNAMIC_PIPELINE_FLAVOR: Code = Code::warning(
    "dynamic-pipeline-flavor",
    "a dynamic snapshot whose stack's orchestrator cannot run one",
    "The orchestration container launches the steps through the stack's orchestrator, and \
         ZenML's kubeflow, tekton and airflow orchestrators cannot run dynamic pipelines: the \
         run will fail at its first step.\n\nRun dynamic pipelines on a stack with the \
         kubernetes orchestrator, or make the pipeline static.",
);
pub const EMPTY_PIPELINE: Code = Code::error(
    "empty-pipeline",
    "the pipeline has no steps",
    "A static pipeline needs at least one step; the snapshot's `step_configurations` (or \
         the YAML's `steps`) is empty.\n\nExport the snapshot of a pipeline that has steps.",
);
pub const ENV_CREDENTIAL: Code = Code::warning(
    "env-credential",
    "a step variable that looks like a credential is written in clear text",
    "Its name reads like a secret (`HF_TOKEN`, `DB_PASSWORD`, `WANDB_API_KEY`), and its value \
         is written into the spec as ZenML itself would, readable by anyone who can read the \
         workflow object.\n\nKeep it in a ZenML secret, or in a Kubernetes Secret referenced \
         from the pod settings' `env` with `valueFrom.secretKeyRef`.",
);
pub const ENV_OVERRIDDEN: Code = Code::warning(
    "env-overridden",
    "the input sets a variable zenc manages (server access, run id)",
    "ZENML_STORE_*, ZENML_ACTIVE_STACK_ID, ZENML_ACTIVE_PROJECT_ID and the run-id variable \
         are set by zenc: they connect the step to the ZenML server and to one pipeline run. A \
         value for one of them in the step environment or pod settings is ignored, because a \
         wrong value would make steps report to another server or another run.\n\nRemove the \
         variable from the input; use --zenml-url, --zenml-secret and --run-id-env instead.",
);
pub const FETCH_FAILED: Code = Code::error(
    "fetch-failed",
    "`zenc fetch`/`--server`: the snapshot could not be read from the ZenML server",
    "zenc could not read the snapshot from the ZenML server: the server is unreachable or \
         is not a ZenML server, it needs authentication that was not given, the API key was \
         rejected, the snapshot id or name is unknown or ambiguous, or the server is older than \
         ZenML 0.90. The message says which.\n\nCheck `--server` (or ZENML_STORE_URL), give a \
         service-account API key in ZENML_STORE_API_KEY or with --api-key-file, and name the \
         snapshot by its id (`zenml pipeline snapshots list`).",
);
pub const FETCH_MISSING: Code = Code::warning(
    "fetch-missing",
    "`zenc fetch`: the snapshot's build, stack or schedule was deleted on the server",
    "The snapshot refers to a build, stack or schedule that no longer exists on the server, \
         so its images, orchestrator settings or schedule cannot be hydrated. The fetched JSON \
         keeps what the snapshot itself holds.\n\nCompile with `--image` (for a missing \
         build) or `--flavor` (for a missing stack), or create a new snapshot of the pipeline.",
);
pub const FLAVOR_OVERRIDDEN: Code = Code::warning(
    "flavor-overridden",
    "`--flavor` differs from the flavor the snapshot states",
    "The command line wins: the run-id variable and who retries failed steps follow \
         --flavor, not the orchestrator flavor recorded in the snapshot's stack. If the steps \
         really run under the snapshot's stack, they read their run id from another variable \
         and every run collides with the first.\n\nDrop --flavor, or compile a snapshot of the \
         stack you mean.",
);
pub const INPUT_UNREADABLE: Code = Code::error(
    "input-unreadable",
    "the input file (or stdin) cannot be read",
    "zenc could not open or read the snapshot file: it does not exist, is a directory, is \
         not readable, or is not UTF-8.\n\nCheck the path; use `-` to read standard input.",
);
pub const INTERNAL: Code = Code::error(
    "internal",
    "a broken invariant inside zenc (a bug)",
    "Something that zenc's own checks should have made impossible happened.\n\nPlease \
         report it with the input file (remove anything private first).",
);
pub const INTERNAL_TEMPLATE: Code = Code::error(
    "internal-template",
    "a built-in template failed to render (a bug)",
    "One of zenc's embedded templates could not render the context it was given.\n\nPlease \
         report it with the input file. With --templates, check your own copy of the template \
         named in the message first.",
);
pub const INVALID_SHAPE: Code = Code::error(
    "invalid-shape",
    "a value has the wrong shape (described, never echoed)",
    "A value has the wrong type or structure — an environment that is not a mapping, an \
         env entry without a name. The message describes what was found without quoting it, \
         because a value in the wrong place may be a credential.\n\nFix the value at the path \
         shown.",
);
pub const INVALID_VALUE: Code = Code::error(
    "invalid-value",
    "a value has the wrong form (quantity, name, duration, URL, …)",
    "A value in the input or on the command line does not follow its rule: a Kubernetes \
         quantity, a DNS-1123 name, an environment variable name, a number in range, an IANA \
         time zone, a URL. The message names the value, where it is, and what would be \
         right.\n\nFix the value (in the snapshot's settings, or the option); on the command \
         line this is a usage error (exit 2).",
);
pub const LABEL_OVERRIDDEN: Code = Code::warning(
    "label-overridden",
    "a pod-settings label uses a key zenc sets on every step pod",
    "zenc labels every step pod with `zenml.io/pipeline`, `zenml.io/snapshot-id` and \
         `zenml.io/step` for selection; the pod settings set one of them, and their value wins, \
         as on ZenML's own pods, so selectors on zenc's values miss that pod.\n\nUse another \
         label key.",
);
pub const LOCAL_STACK_COMPONENT: Code = Code::warning(
    "local-stack-component",
    "a stack component or image registry that lives on the machine that ran ZenML",
    "The snapshot's stack has a component with a `local` flavor (an artifact store above \
         all), or an image sits in a registry on `localhost`: steps running in a cluster cannot \
         reach either, so they fail (ZenML's Kubernetes orchestrator refuses such stacks unless \
         `skip_local_validations` is set).\n\nRun the pipeline on a stack with remote \
         components (an object-store artifact store, a reachable registry), then export the \
         snapshot again.",
);
pub const MISSING_IMAGE: Code = Code::error(
    "missing-image",
    "steps with no image, and no `--image` fallback",
    "The plain REST shape of a snapshot has no build images, and a step without an image \
         cannot run anywhere.\n\nPass --image IMAGE (or `image` in zenc.toml), or export the \
         snapshot with its build hydrated (`hydrate=True`, then `snap.build.hydrate()`).",
);
pub const NAME_COLLISION: Code = Code::error(
    "name-collision",
    "two names become the same engine name",
    "Engine names are derived from ZenML names (lower-cased, other characters become `-`); \
         colliding step names normally get a hash suffix, so this is reported only where a \
         name cannot be changed.\n\nRename one of the two.",
);
pub const NO_ZENML_SECRET: Code = Code::warning(
    "no-zenml-secret",
    "`--zenml-url` without `--zenml-secret`",
    "The step containers get ZENML_STORE_URL but no ZENML_STORE_API_KEY, so they can only \
         talk to a ZenML server without authentication.\n\nCreate a Secret with a ZenML \
         service-account API key and pass --zenml-secret NAME[:KEY] (the key is referenced, \
         never copied into the spec).",
);
pub const NO_ZENML_URL: Code = Code::warning(
    "no-zenml-url",
    "no `--zenml-url`",
    "The step containers get no ZENML_STORE_URL: unless their image configures a ZenML \
         server, ZenML's step entrypoint cannot load the snapshot and every step \
         fails.\n\nPass --zenml-url (or set `zenml-url` in zenc.toml).",
);
pub const OPTION_UNUSED: Code = Code::warning(
    "option-unused",
    "a command-line option that does nothing for this target or input",
    "For example --kind with neither argo nor tekton, --airflow-version without airflow, \
         --timezone for a pipeline without a schedule, --image when every step has an image. \
         Reported so a mistyped target or a wrong input does not pass unnoticed.\n\nDrop the \
         option, or check the target and input.",
);
pub const OUT_OF_DATE: Code = Code::error(
    "out-of-date",
    "`--check`: an output file differs from what would be written (exit 3)",
    "The file exists but its content is not what zenc writes for this input and these \
         options; the unified diff on stdout shows what would change (`-` lines are in the \
         file, `+` lines would be written).\n\nRun the same command without --check and commit \
         the result.",
);
pub const OUTPUT_MISSING: Code = Code::error(
    "output-missing",
    "`--check`: an output file does not exist (exit 3)",
    "`compile --check` compares the files at -o/--out-dir with what would be written, and \
         this one is not there.\n\nRun the same command without --check and commit the file.",
);
pub const OUTPUT_OBSOLETE: Code = Code::error(
    "output-obsolete",
    "`--check`: a file the pipeline no longer produces (exit 3)",
    "An earlier compile wrote this file (a Kubeflow recurring-run body), but the pipeline \
         no longer has a schedule; `compile` without --check removes it.\n\nRun the same \
         command without --check and commit the removal.",
);
pub const OUTPUT_REMOVED: Code = Code::note(
    "output-removed",
    "a file the pipeline no longer produces was removed",
    "A Kubeflow recurring-run body left by an earlier compile described a schedule the \
         pipeline no longer has; keeping it would let someone POST a stale schedule.",
);
pub const OUTPUT_SKIPPED: Code = Code::note(
    "output-skipped",
    "a second file is not written to a stream, device or FIFO",
    "A target's second file (Kubeflow's recurring-run body) has no place on stdout, a \
         device or a FIFO, which receive the main spec only.\n\nPass -o FILE (a regular file) \
         or --out-dir DIR to get it.",
);
pub const PARSE_ERROR: Code = Code::error(
    "parse-error",
    "the input is not valid JSON/YAML or does not have the expected shape",
    "The message gives the line and column, and the path of the value (for example \
         `metadata.step_configurations.train.config`). The hand-written YAML form is strict: \
         an unknown key is an error, because it is a typo.\n\nFix the input; a ZenML snapshot \
         is best exported with `model_dump_json()` (see README, Input).",
);
pub const RESOURCES_OVERRIDDEN: Code = Code::warning(
    "resources-overridden",
    "`pod_settings.resources` replaces a ResourceSettings value",
    "Both the step's ResourceSettings (`cpu_count`, `memory`, `gpu_count`) and its \
         Kubernetes pod settings set the same resource; as in ZenML's Kubernetes orchestrator, \
         the pod settings win.\n\nSet each resource in one place.",
);
pub const SCHEDULE_TIMEZONE: Code = Code::warning(
    "schedule-timezone",
    "a cron schedule without a time zone (ZenML stores none)",
    "ZenML's schedule has no time zone, so the engine reads the cron expression in its \
         default zone (the controller's, usually UTC): `0 2 * * *` may fire at 02:00 UTC, not \
         at 02:00 where you are.\n\nPass --timezone ZONE (or `timezone` in zenc.toml), e.g. \
         `Europe/Paris`.",
);
pub const SETTING_IGNORED: Code = Code::warning(
    "setting-ignored",
    "an orchestrator, pod, resource or retry setting zenc does not carry",
    "The input has a setting that would change how a step runs, but zenc does not know it \
         (a typo, or a newer ZenML field) or cannot carry it (an Airflow operator other than \
         KubernetesPodOperator). Keys ZenML handles inside the container (caching, hooks, \
         client settings) are ignored quietly; this warning is for the rest.\n\nCheck the \
         setting's name at the path shown; if zenc should carry it, report it.",
);
pub const TIMEZONE_OVERRIDDEN: Code = Code::warning(
    "timezone-overridden",
    "`--timezone` replaces the YAML schedule's `timezone`",
    "The command line wins: the schedule fires in --timezone's zone, not in the one the \
         pipeline file names.\n\nDrop one of the two.",
);
pub const UNKNOWN_FLAVOR: Code = Code::error(
    "unknown-flavor",
    "the orchestrator flavor, and so the run-id variable, is unknown",
    "ZenML's step entrypoint reads its run id from a variable that depends on the stack's \
         orchestrator flavor (ZENML_KUBERNETES_RUN_ID, KFP_RUN_ID, …). The snapshot does not \
         say which flavor its stack uses (the plain REST shape), or names one zenc does not \
         know.\n\nPass --flavor kubernetes|kubeflow|tekton|airflow|vertex|sagemaker, or \
         --run-id-env NAME with the variable your orchestrator reads.",
);
pub const UNKNOWN_UPSTREAM: Code = Code::error(
    "unknown-upstream",
    "a step depends on a step that does not exist",
    "An `upstream_steps` (or YAML `upstream`) entry names no step of the pipeline; the \
         message lists the known steps.\n\nFix the name, or add the missing step.",
);
pub const UNSUPPORTED: Code = Code::error(
    "unsupported",
    "the engine cannot express this input",
    "Something in the input has no faithful form in this engine's output and would change \
         meaning if written anyway (for example text the engine would read as its own \
         expression syntax in a field it does not let zenc escape). The message names the \
         engine, the field and what to do; other engines may accept the same input.\n\nChange \
         the value, or compile for another target.",
);
pub const USAGE: Code = Code::error(
    "usage",
    "a wrong command line: unknown option, missing argument, bad combination (exit 2)",
    "The command line cannot be run as given. The message says what is wrong and what \
         would be right; `zenc help COMMAND` shows the options.",
);
pub const WARNINGS_DENIED: Code = Code::error(
    "warnings-denied",
    "warnings made errors by `-D`/`--deny-warnings` (exit 1)",
    "With --deny-warnings (or -D CODE, or `deny`/`deny-warnings` in zenc.toml) the warnings \
         printed above are errors, and nothing was written.\n\nFix the input, or allow the code \
         with -A CODE if the loss is acceptable.",
);
pub const WRITE_FAILED: Code = Code::error(
    "write-failed",
    "an output file or directory cannot be written (exit 1)",
    "zenc could not create the directory, write the temporary file or rename it into \
         place (permissions, a full disk, a closed FIFO). Outputs are all-or-nothing: every \
         existing output file is as it was.\n\nFix the destination and run again.",
);
pub const ZENML_VERSION: Code = Code::warning(
    "zenml-version",
    "`zenc fetch`: the ZenML server is newer than the 0.98 snapshot shape zenc reads",
    "The server reports a ZenML version newer than 0.98, the version whose snapshot shape \
         zenc was built and tested against. The snapshot is fetched and compiled as usual, but \
         a field the newer version added or moved may be missed.\n\nCompare the compiled spec \
         with what the pipeline needs, and upgrade zenc when a release supports that version.",
);

pub const CODES: &[Code] = &[
    BAD_CRON,
    CONFIG,
    CREDENTIAL_DROPPED,
    CYCLE,
    DUPLICATE_STEP,
    DYNAMIC_PIPELINE,
    DYNAMIC_PIPELINE_FLAVOR,
    EMPTY_PIPELINE,
    ENV_CREDENTIAL,
    ENV_OVERRIDDEN,
    FETCH_FAILED,
    FETCH_MISSING,
    FLAVOR_OVERRIDDEN,
    INPUT_UNREADABLE,
    INTERNAL,
    INTERNAL_TEMPLATE,
    INVALID_SHAPE,
    INVALID_VALUE,
    LABEL_OVERRIDDEN,
    LOCAL_STACK_COMPONENT,
    MISSING_IMAGE,
    NAME_COLLISION,
    NO_ZENML_SECRET,
    NO_ZENML_URL,
    OPTION_UNUSED,
    OUT_OF_DATE,
    OUTPUT_MISSING,
    OUTPUT_OBSOLETE,
    OUTPUT_REMOVED,
    OUTPUT_SKIPPED,
    PARSE_ERROR,
    RESOURCES_OVERRIDDEN,
    SCHEDULE_TIMEZONE,
    SETTING_IGNORED,
    TIMEZONE_OVERRIDDEN,
    UNKNOWN_FLAVOR,
    UNKNOWN_UPSTREAM,
    UNSUPPORTED,
    USAGE,
    WARNINGS_DENIED,
    WRITE_FAILED,
    ZENML_VERSION,
];
