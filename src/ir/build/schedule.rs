//! A ZenML schedule, checked: one trigger, a start before the end, a known time zone.

use super::range::{count, ranged_opt, Range, DURATION, INTERVAL};
use super::BuildOptions;
use crate::diagnostic::codes;
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::schedule::{parse_interval, Concurrency, Cron, Schedule, Trigger, UtcDateTime};
use crate::ir::syntax;
use crate::snapshot::RawSchedule;

pub(super) fn check_timezone(tz: &str, path: String) -> Result<()> {
    syntax::timezone(tz).map_err(|e| e.at(path))
}

/// The field names of the input's format (the YAML form's are shorter than ZenML's).
struct Fields {
    cron: &'static str,
    interval: &'static str,
    once: &'static str,
    start: &'static str,
    end: &'static str,
}

impl Fields {
    fn of(s: &RawSchedule) -> Fields {
        if s.path == "schedule" {
            Fields { cron: "cron", interval: "interval", once: "run_once", start: "start", end: "end" }
        } else {
            Fields {
                cron: "cron_expression",
                interval: "interval_second",
                once: "run_once_start_time",
                start: "start_time",
                end: "end_time",
            }
        }
    }
}

pub(super) fn build(s: &RawSchedule, opts: &BuildOptions, warnings: &mut Vec<Warning>) -> Result<Schedule> {
    let fields = Fields::of(s);
    let trigger = trigger(s, &fields)?;
    let start = datetime(s, s.start.as_ref(), fields.start)?;
    let end = datetime(s, s.end.as_ref(), fields.end)?;
    if let (Some(a), Some(b)) = (start, end) {
        if a >= b {
            return Err(Error::invalid(
                "schedule end",
                b.to_rfc3339(),
                format!("a time after the start {}", a.to_rfc3339()),
            )
            .at(format!("{}.{}", s.path, fields.end)));
        }
    }
    let concurrency = match &s.concurrency_policy {
        None => None,
        Some(p) => Some(Concurrency::parse(p).ok_or_else(|| {
            Error::invalid("concurrency policy", p, "`Allow`, `Forbid` or `Replace`").at(s.knob_paths[0].clone())
        })?),
    };
    let [_, deadline_path, successful_path, failed_path] = &s.knob_paths;
    let timezone = timezone(s, opts, &trigger, warnings)?;
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

/// A date-time field, as UTC.
fn datetime(s: &RawSchedule, value: Option<&String>, field: &str) -> Result<Option<UtcDateTime>> {
    match value {
        None => Ok(None),
        Some(text) => UtcDateTime::parse(text).map(Some).ok_or_else(|| {
            Error::invalid("date-time", text, "ISO 8601, e.g. `2030-01-01T00:00:00` (UTC) or with an offset")
                .at(format!("{}.{field}", s.path))
        }),
    }
}

/// Exactly one of a cron expression, an interval, a run-once time.
fn trigger(s: &RawSchedule, fields: &Fields) -> Result<Trigger> {
    let at = |field: &str| format!("{}.{field}", s.path);
    Ok(match (&s.cron, &s.interval, &s.run_once) {
        (Some(cron), None, None) => Trigger::Cron(
            Cron::parse(cron)
                .map_err(|reason| Error::new(ErrorKind::BadCron { expr: cron.clone(), reason }).at(at(fields.cron)))?,
        ),
        (None, Some(interval), None) => Trigger::Interval {
            seconds: parse_interval(interval).filter(|s| (INTERVAL.lo..=INTERVAL.hi).contains(s)).ok_or_else(|| {
                let Range { lo, hi, unit, why } = INTERVAL;
                Error::invalid(
                    "interval",
                    interval.to_string(),
                    format!("a whole number from {lo} to {hi}{unit} ({why}), or an ISO 8601 duration such as `PT6H` within that range"),
                )
                .at(at(fields.interval))
            })?,
        },
        (None, None, Some(_)) => Trigger::Once { at: datetime(s, s.run_once.as_ref(), fields.once)?.expect("present") },
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
    })
}

/// The zone of a cron schedule: the command line's over the file's (the deployer's choice).
fn timezone(
    s: &RawSchedule,
    opts: &BuildOptions,
    trigger: &Trigger,
    warnings: &mut Vec<Warning>,
) -> Result<Option<String>> {
    let at = |field: &str| format!("{}.{field}", s.path);
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
    Ok(timezone)
}
