//! Interval schedules: seconds, or ISO 8601 durations.

/// Seconds from ZenML's `interval_second`: an ISO-8601 duration (`PT6H`, `P1DT30M`) or a
/// number of seconds.
pub fn parse_interval(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => {
            let secs = n.as_f64()?;
            // A whole, positive, finite number: the cast is exact up to 2^53 and saturates above.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let whole = (secs.is_finite() && secs >= 1.0 && secs.fract() == 0.0).then_some(secs as u64);
            whole
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
            // Units are at most a week of seconds; the product saturates, then range checks refuse it.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let seconds = (n * *mult as f64).round() as u64;
            total = total.checked_add(seconds)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
