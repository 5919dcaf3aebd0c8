//! Cron expressions: five fields or a macro, checked as every engine's parser would.

use serde::Serialize;

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
            return Ok(u32::try_from(i).expect("at most 12 names") + lo);
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
}
