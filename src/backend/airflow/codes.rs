//! Airflow's warning and error codes (see `crate::diagnostic`). Kept sorted by code.

use crate::diagnostic::Code;

pub const BACKOFF_FACTOR: Code = Code::warning("airflow-backoff-factor", "`--airflow-version 2`: a backoff factor other than 2",
        "Airflow 2's `retry_exponential_backoff` is a boolean that doubles the delay; the \
         factor from ZenML's retry config is not carried.\n\nUse factor 2, or Airflow 3 \
         (`--airflow-version 3`), which takes the factor.");
pub const CATCHUP_START: Code = Code::warning("airflow-catchup-start", "`catchup: true` without a start time: `catchup=False`",
        "Airflow refuses catchup without a `start_date` (it would not know where to start), \
         so the DAG is written with catchup=False.\n\nGive the schedule a start time.");
pub const CONCURRENCY_REPLACE: Code = Code::warning("airflow-concurrency-replace", "concurrency policy Replace: the next run queues instead",
        "Airflow cannot cancel a running DAG run for the next one; max_active_runs=1 makes the \
         next run wait for the current one (Forbid-like, but queued rather than \
         skipped).\n\nUse Forbid or Allow, or accept queueing.");
pub const HISTORY_LIMIT: Code = Code::warning("airflow-history-limit", "history limits: Airflow keeps every DAG run",
        "Successful and failed run history limits have no DAG field; runs stay in Airflow's \
         metadata database.\n\nClean up with `airflow db clean` on a schedule.");
pub const STARTING_DEADLINE: Code = Code::warning("airflow-starting-deadline", "`starting_deadline_seconds`: Airflow has no starting deadline",
        "A scheduled DAG run starts when the scheduler gets to it, however late.\n\nNothing \
         equivalent exists; drop the setting or accept late starts.");
pub const STOP_ON_FAILURE: Code = Code::warning("airflow-stop-on-failure", "`stop_on_failure`: Airflow's fail_fast also stops running tasks",
        "Airflow has no \"start nothing new, let running tasks finish\" mode; zenc uses \
         fail_fast, which also stops the tasks still running.\n\nUse fail_fast or \
         continue_on_failure, which Airflow expresses exactly.");
pub const TAG_LENGTH: Code = Code::warning("airflow-tag-length", "a pipeline tag longer than Airflow's 100 characters was cut",
        "Airflow refuses DAG tags longer than 100 characters; the tag is cut to fit, so filters \
         on the full tag will not match.\n\nShorten the tag.");
pub const TTL: Code = Code::warning("airflow-ttl", "`ttl_seconds_after_finished`: Airflow keeps DAG runs",
        "Pods are deleted when a task ends, but DAG runs stay in Airflow's database; there is \
         no per-run TTL.\n\nClean up with `airflow db clean`.");

pub const CODES: &[Code] = &[BACKOFF_FACTOR, CATCHUP_START, CONCURRENCY_REPLACE, HISTORY_LIMIT, STARTING_DEADLINE, STOP_ON_FAILURE, TAG_LENGTH, TTL];
