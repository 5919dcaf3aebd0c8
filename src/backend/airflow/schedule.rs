//! A ZenML schedule as DAG arguments.

use super::{codes, DagSchedule};
use crate::error::Warning;
use crate::ir::{Concurrency, Schedule, Trigger, UtcDateTime};

/// Schedule → the DAG's schedule arguments.
pub fn lower(s: &Schedule, warnings: &mut Vec<Warning>) -> DagSchedule {
    let mut out = DagSchedule::default();
    match s.trigger() {
        Trigger::Cron(c) => {
            out.cron = Some(c.five_fields().to_string());
            // Airflow's default_timezone is UTC unless configured; ZenML reads cron in UTC.
            out.timezone = Some(s.timezone().unwrap_or("UTC").to_string());
        }
        Trigger::Interval { seconds } => out.interval_seconds = Some(*seconds),
        Trigger::Once { at } => {
            out.once = true;
            out.start_date = Some(iso(at));
        }
    }
    if let Some(start) = s.start() {
        out.start_date = Some(iso(&start));
    }
    out.end_date = s.end().as_ref().map(iso);
    // Airflow refuses `catchup=True` without a `start_date` (ZenML allows it).
    out.catchup = s.catchup() && out.start_date.is_some();
    if s.catchup() && out.start_date.is_none() {
        warnings.push(Warning::new(
            &codes::CATCHUP_START,
            "catchup needs a start time in Airflow, and the schedule has none: catchup=False",
        ));
    }
    out.is_paused_upon_creation = Some(!s.active());
    out.max_active_runs = max_active_runs(s, warnings);
    if s.starting_deadline_seconds().is_some() {
        warnings.push(Warning::new(
            &codes::STARTING_DEADLINE,
            "Airflow has no starting deadline for a scheduled run; `starting_deadline_seconds` ignored",
        ));
    }
    if s.successful_history_limit().is_some() || s.failed_history_limit().is_some() {
        warnings.push(Warning::new(
            &codes::HISTORY_LIMIT,
            "Airflow keeps every DAG run (clean up with `airflow db clean`); history limits ignored",
        ));
    }
    out
}

/// DAG runs at once: 1 when the schedule forbids (or would replace) overlapping runs.
fn max_active_runs(s: &Schedule, warnings: &mut Vec<Warning>) -> Option<u32> {
    match s.concurrency() {
        None | Some(Concurrency::Allow) => None,
        Some(Concurrency::Forbid) => Some(1),
        Some(Concurrency::Replace) => {
            warnings.push(Warning::new(
                &codes::CONCURRENCY_REPLACE,
                "concurrency Replace: Airflow cannot cancel the running DAG run; max_active_runs=1 queues the next one instead",
            ));
            Some(1)
        }
    }
}

/// `2030-01-01T00:00:00+00:00`: what `datetime.fromisoformat` reads as UTC-aware on every
/// Python Airflow supports (a `Z` suffix needs Python 3.11).
fn iso(t: &UtcDateTime) -> String {
    format!("{}+00:00", t.to_rfc3339().trim_end_matches('Z'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_aware_iso() {
        let t = UtcDateTime::parse("2030-03-01T08:30:00+02:00").unwrap();
        assert_eq!(iso(&t), "2030-03-01T06:30:00+00:00");
    }
}
