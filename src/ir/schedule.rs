//! Schedules: cron expressions, UTC datetimes and intervals, validated once for every engine.

use serde::Serialize;

/// A validated, engine-neutral schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// ZenML schedule name, if any.
    pub(super) name: Option<String>,
    /// What triggers runs.
    pub(super) trigger: Trigger,
    /// First moment runs may happen (UTC).
    pub(super) start: Option<UtcDateTime>,
    /// Last moment runs may happen (UTC).
    pub(super) end: Option<UtcDateTime>,
    /// Run missed intervals after `start` (ZenML `catchup`).
    pub(super) catchup: bool,
    /// IANA time zone the cron expression is read in; `None` = the engine's default.
    pub(super) timezone: Option<String>,
    /// What to do when a run is still going at the next tick.
    pub(super) concurrency: Option<Concurrency>,
    /// Seconds after a missed tick during which the run may still start.
    pub(super) starting_deadline_seconds: Option<u64>,
    /// Finished runs to keep.
    pub(super) successful_history_limit: Option<u32>,
    pub(super) failed_history_limit: Option<u32>,
    /// False when ZenML has the schedule deactivated: engines create it suspended.
    pub(super) active: bool,
}

impl Schedule {
    /// ZenML schedule name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    pub fn trigger(&self) -> &Trigger {
        &self.trigger
    }
    /// First moment runs may happen (UTC).
    pub fn start(&self) -> Option<UtcDateTime> {
        self.start
    }
    /// Last moment runs may happen (UTC).
    pub fn end(&self) -> Option<UtcDateTime> {
        self.end
    }
    /// Run missed intervals after `start`.
    pub fn catchup(&self) -> bool {
        self.catchup
    }
    /// IANA time zone the cron expression is read in; `None` = the engine's default.
    pub fn timezone(&self) -> Option<&str> {
        self.timezone.as_deref()
    }
    pub fn concurrency(&self) -> Option<Concurrency> {
        self.concurrency
    }
    pub fn starting_deadline_seconds(&self) -> Option<u64> {
        self.starting_deadline_seconds
    }
    pub fn successful_history_limit(&self) -> Option<u32> {
        self.successful_history_limit
    }
    pub fn failed_history_limit(&self) -> Option<u32> {
        self.failed_history_limit
    }
    /// False when ZenML has the schedule deactivated: engines create it suspended.
    pub fn active(&self) -> bool {
        self.active
    }
}

/// When runs happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Five-field cron expression, or a macro like `@daily`.
    Cron(Cron),
    /// Every N seconds.
    Interval { seconds: u64 },
    /// Exactly once, at this time.
    Once { at: UtcDateTime },
}

/// Concurrency policy (the Kubernetes CronJob vocabulary, shared by Argo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Concurrency {
    Allow,
    Forbid,
    Replace,
}

impl Concurrency {
    pub fn parse(s: &str) -> Option<Concurrency> {
        match s {
            "Allow" | "allow" => Some(Concurrency::Allow),
            "Forbid" | "forbid" => Some(Concurrency::Forbid),
            "Replace" | "replace" => Some(Concurrency::Replace),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Concurrency::Allow => "Allow",
            Concurrency::Forbid => "Forbid",
            Concurrency::Replace => "Replace",
        }
    }
}

/// A validated cron expression: five fields or a macro.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Cron(String);

const MACROS: &[(&str, &str)] = &[
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

const MONTHS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Cron {
    /// Validate `expr`; the error is the reason, for `ErrorKind::BadCron`.
    pub fn parse(expr: &str) -> Result<Cron, String> {
        let trimmed = expr.trim();
        if trimmed.starts_with('@') {
            return if MACROS.iter().any(|(m, _)| *m == trimmed) {
                Ok(Cron(trimmed.to_string()))
            } else {
                Err(format!("unknown macro `{trimmed}`"))
            };
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!("expected 5 fields, found {}", fields.len()));
        }
        let specs: [(&str, u32, u32, &[&str]); 5] = [
            ("minute", 0, 59, &[]),
            ("hour", 0, 23, &[]),
            ("day-of-month", 1, 31, &[]),
            ("month", 1, 12, MONTHS),
            ("day-of-week", 0, 7, DAYS),
        ];
        for (field, (name, lo, hi, names)) in fields.iter().zip(specs) {
            check_field(field, lo, hi, names, name == "day-of-month" || name == "day-of-week")
                .map_err(|e| format!("{name} field `{field}`: {e}"))?;
        }
        let dow = sunday_as_zero(fields[4]).map_err(|e| format!("day-of-week field `{}`: {e}", fields[4]))?;
        Ok(Cron(format!("{} {} {} {} {dow}", fields[0], fields[1], fields[2], fields[3])))
    }

    /// The expression (macros kept as macros).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The five fields, with macros expanded (for engines without macros).
    pub fn five_fields(&self) -> &str {
        MACROS.iter().find(|(m, _)| *m == self.0).map_or(self.0.as_str(), |(_, f)| f)
    }
}

/// Cron's day-of-week `7` (Sunday, accepted by ZenML's croniter) is rejected by the parsers of
/// Argo, Kubernetes and KFP (robfig/cron: 0-6). Rewrite it as `0`: `7` → `0`, `5-7` → `5-6,0`.
fn sunday_as_zero(field: &str) -> Result<String, String> {
    let mut items = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, st)) => (r, Some(st)),
            None => (item, None),
        };
        let ends_on_seven = range == "7" || range.split_once('-').is_some_and(|(_, b)| b == "7");
        if !ends_on_seven {
            items.push(item.to_string());
            continue;
        }
        if step.is_some() {
            return Err("`7` (Sunday) with a step: write Sunday as `0`".into());
        }
        match range.split_once('-') {
            None | Some(("7", _)) => items.push("0".into()),
            Some(("6", _)) => items.extend(["6".to_string(), "0".to_string()]),
            Some((a, _)) => items.extend([format!("{a}-6"), "0".to_string()]),
        }
    }
    Ok(items.join(","))
}

fn check_field(field: &str, lo: u32, hi: u32, names: &[&str], allow_question: bool) -> Result<(), String> {
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            // Month names count from 1, day names from 0.
            return Ok(i as u32 + lo);
        }
        let v: u32 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
        if v < lo || v > hi {
            return Err(format!("{v} is outside {lo}-{hi}"));
        }
        Ok(v)
    };
    for part in field.split(',') {
        let range = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| format!("step `{s}` is not a number"))?;
                if step == 0 {
                    return Err("step 0".into());
                }
                r
            }
            None => part,
        };
        match range {
            "*" => {}
            "?" if allow_question => {}
            "" => return Err("empty list item".into()),
            r => match r.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (value(a)?, value(b)?);
                    if a > b {
                        return Err(format!("range {a}-{b} is backwards"));
                    }
                }
                None => {
                    value(r)?;
                }
            },
        }
    }
    Ok(())
}

/// A UTC moment, second precision, printed as `2030-01-01T00:00:00Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcDateTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Serialize for UtcDateTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl UtcDateTime {
    /// Parse ZenML's naive-UTC `2030-01-01T00:00:00[.ffffff]`, or RFC 3339 with `Z`/offset.
    pub fn parse(text: &str) -> Option<UtcDateTime> {
        let t = text.trim();
        let (date, time) = t.split_once(['T', ' ']).unwrap_or((t, "00:00:00"));
        let mut d = date.splitn(3, '-');
        let year: i32 = d.next()?.parse().ok()?;
        let month: u32 = d.next()?.parse().ok()?;
        let day: u32 = d.next()?.parse().ok()?;
        // Split off a zone: `Z`, `+02:00`, `-0530`.
        let (clock, offset_minutes) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
            (c, 0i64)
        } else if let Some(pos) = time.rfind(['+', '-']) {
            let (c, zone) = time.split_at(pos);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let digits: Vec<i64> = zone
                .chars()
                .skip(1)
                .filter(|c| *c != ':')
                .map(|c| c.to_digit(10).map(i64::from))
                .collect::<Option<_>>()?;
            let [h1, h2, m1, m2] = digits[..] else {
                return None;
            };
            let (h, m) = (h1 * 10 + h2, m1 * 10 + m2);
            if h > 23 || m > 59 {
                return None;
            }
            (c, sign * (h * 60 + m))
        } else {
            (time, 0)
        };
        let clock = clock.split('.').next()?;
        let mut c = clock.split(':');
        let hour: u32 = c.next()?.parse().ok()?;
        let minute: u32 = c.next().unwrap_or("0").parse().ok()?;
        let second: u32 = c.next().unwrap_or("0").parse().ok()?;
        if c.next().is_some() || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 || !(1..=9999).contains(&year) {
            return None;
        }
        let local = UtcDateTime { year, month, day, hour, minute, second };
        Some(UtcDateTime::from_epoch(local.epoch_seconds() - offset_minutes * 60))
            .filter(|utc| (1..=9999).contains(&utc.year))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn epoch_seconds(&self) -> i64 {
        // Days from civil (Howard Hinnant's algorithm).
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)
    }

    fn from_epoch(secs: i64) -> UtcDateTime {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        UtcDateTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// `2030-01-01T00:00:00Z`.
    pub fn to_rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Seconds from ZenML's `interval_second`: an ISO-8601 duration (`PT6H`, `P1DT30M`) or a
/// number of seconds.
pub fn parse_interval(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => {
            let secs = n.as_f64()?;
            (secs.is_finite() && secs >= 1.0 && secs.fract() == 0.0).then_some(secs as u64)
        }
        serde_json::Value::String(s) => parse_iso_duration(s),
        _ => None,
    }
}

fn parse_iso_duration(s: &str) -> Option<u64> {
    let rest = s.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total: u64 = 0;
    let mut seen_any = false;
    for (part, units) in
        [(date, &[('W', 604_800u64), ('D', 86_400)][..]), (time.unwrap_or(""), &[('H', 3600), ('M', 60), ('S', 1)][..])]
    {
        let mut number = String::new();
        let mut allowed = units.iter();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let (_, mult) = allowed.by_ref().find(|(u, _)| *u == c)?;
            let n: f64 = number.parse().ok()?;
            total = total.checked_add((n * *mult as f64).round() as u64)?;
            number.clear();
            seen_any = true;
        }
        if !number.is_empty() {
            return None;
        }
    }
    if time == Some("") || !seen_any {
        return None;
    }
    (total > 0).then_some(total)
}

/// Go-style duration text (`6h`, `1h30m`, `45s`) for engines that take one.
pub fn go_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_accepts_standard_forms() {
        for ok in [
            "0 2 * * 1-5",
            "*/15 * * * *",
            "0 0 1 jan,jul *",
            "30 8 * * MON-FRI",
            "0 0 ? * 0",
            "@daily",
            "5 4 * * 7",
            "0-30/5 1,2 * * *",
        ] {
            assert!(Cron::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Cron::parse("  0  2 * *   1-5 ").unwrap().as_str(), "0 2 * * 1-5");
        assert_eq!(Cron::parse("@hourly").unwrap().five_fields(), "0 * * * *");
        assert_eq!(Cron::parse("0 0 * * 7").unwrap().as_str(), "0 0 * * 0");
        assert_eq!(Cron::parse("0 0 * * 5-7").unwrap().as_str(), "0 0 * * 5-6,0");
        assert_eq!(Cron::parse("0 0 * * 1,6-7").unwrap().as_str(), "0 0 * * 1,6,0");
        assert_eq!(Cron::parse("0 0 * * MON-FRI").unwrap().as_str(), "0 0 * * MON-FRI");
        assert!(Cron::parse("0 0 * * 1-7/2").is_err());
    }

    #[test]
    fn cron_rejects_what_engines_reject() {
        for bad in [
            "",
            "* * * *",
            "0 0 * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "*/0 * * * *",
            "5-1 * * * *",
            "@often",
            "a * * * *",
            "1,,2 * * * *",
            "? * * * *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes_normalise_to_utc() {
        let cases = [
            ("2030-01-01T00:00:00", "2030-01-01T00:00:00Z"),
            ("2030-03-01T06:30:00.123456", "2030-03-01T06:30:00Z"),
            ("2030-03-01T08:30:00+02:00", "2030-03-01T06:30:00Z"),
            ("2030-03-01T00:30:00+02:00", "2030-02-28T22:30:00Z"),
            ("2028-02-29T12:00:00Z", "2028-02-29T12:00:00Z"),
            ("2030-12-31 23:59:59-0100", "2031-01-01T00:59:59Z"),
        ];
        for (input, want) in cases {
            assert_eq!(UtcDateTime::parse(input).unwrap().to_rfc3339(), want, "{input}");
        }
        for bad in [
            "",
            "2030-13-01T00:00:00",
            "2030-02-29T00:00:00",
            "2030-01-01T24:00:00",
            "tomorrow",
            "2030-01-01T00:00:00+2",
            // Non-ASCII text where the offset digits belong (once a panic on byte slicing).
            "2030-01-01T00:00:00+1é1",
            "2030-01-01T00:00:00+é1:00",
            "2030-01-01T00:00:00-01:é",
            "2030-01-01T00:00:00+١٢:٠٠",
            "2030-01-01T00:00:00+12:3４",
            "２030-01-01T00:00:00",
        ] {
            assert!(UtcDateTime::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(UtcDateTime::parse("1970-01-02T00:00:00Z").unwrap().epoch_seconds(), 86_400);
    }

    #[test]
    fn intervals_parse() {
        use serde_json::json;
        assert_eq!(parse_interval(&json!("PT6H")), Some(21_600));
        assert_eq!(parse_interval(&json!("P1DT30M")), Some(88_200));
        assert_eq!(parse_interval(&json!("PT1H")), Some(3600));
        assert_eq!(parse_interval(&json!("PT0.5S")), Some(1));
        assert_eq!(parse_interval(&json!(90)), Some(90));
        for bad in
            [json!("6h"), json!("P"), json!("PT"), json!("PT0S"), json!(-5), json!(0.5), json!(null), json!("PT6X")]
        {
            assert_eq!(parse_interval(&bad), None, "{bad}");
        }
        assert_eq!(go_duration(21_600), "6h");
        assert_eq!(go_duration(5_430), "1h30m30s");
        assert_eq!(go_duration(0), "0s");
    }
}
