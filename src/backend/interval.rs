//! Interval schedules as exact cron expressions, where one exists (Tekton's CronJob, Vertex AI's
//! schedules: engines whose schedules are cron only).

use crate::ir::UtcDateTime;

/// A five-field cron with the same ticks as "every `seconds`, anchored at `start`" when the
/// interval divides an hour or a day evenly, or is one day or one week; else `None`.
pub fn interval_cron(seconds: u64, start: Option<&UtcDateTime>) -> Option<String> {
    if seconds == 0 || seconds % 60 != 0 {
        return None;
    }
    let minutes = seconds / 60;
    let (sm, sh) = start.map_or((0, 0), |t| (u64::from(t.minute), u64::from(t.hour)));
    let stepped = |offset: u64, step: u64, max: u64| {
        if step == 1 {
            "*".to_string()
        } else if offset == 0 {
            format!("*/{step}")
        } else {
            format!("{offset}-{max}/{step}")
        }
    };
    if minutes < 60 && 60 % minutes == 0 {
        return Some(format!("{} * * * *", stepped(sm % minutes, minutes, 59)));
    }
    if minutes % 60 != 0 {
        return None;
    }
    let hours = minutes / 60;
    if hours < 24 && 24 % hours == 0 {
        return Some(format!("{sm} {} * * *", stepped(sh % hours, hours, 23)));
    }
    if hours == 24 {
        return Some(format!("{sm} {sh} * * *"));
    }
    if hours == 24 * 7 {
        let dow = start.map_or(0, |t| (t.epoch_seconds().div_euclid(86_400) + 4).rem_euclid(7));
        return Some(format!("{sm} {sh} * * {dow}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_become_cron_when_they_tile_a_day() {
        let start = UtcDateTime::parse("2030-03-01T08:30:00+02:00");
        assert_eq!(interval_cron(6 * 3600, start.as_ref()).as_deref(), Some("30 */6 * * *"));
        let start = UtcDateTime::parse("2030-03-01T07:10:00Z");
        assert_eq!(interval_cron(6 * 3600, start.as_ref()).as_deref(), Some("10 1-23/6 * * *"));
        assert_eq!(interval_cron(15 * 60, start.as_ref()).as_deref(), Some("10-59/15 * * * *"));
        assert_eq!(interval_cron(3600, None).as_deref(), Some("0 * * * *"));
        assert_eq!(interval_cron(60, None).as_deref(), Some("* * * * *"));
        assert_eq!(interval_cron(86_400, start.as_ref()).as_deref(), Some("10 7 * * *"));
        // 2030-03-01 is a Friday.
        assert_eq!(interval_cron(7 * 86_400, start.as_ref()).as_deref(), Some("10 7 * * 5"));
        assert_eq!(interval_cron(7 * 60, None), None);
        assert_eq!(interval_cron(5 * 3600, None), None);
        assert_eq!(interval_cron(90, None), None);
    }
}
