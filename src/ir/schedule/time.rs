//! UTC moments: ZenML's naive-UTC datetimes and RFC 3339, to the second.

use serde::Serialize;

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
    #[allow(clippy::many_single_char_names)]
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

    // Howard Hinnant's civil-from-days: every value is in range for the years 1-9999 `parse`
    // accepts (month, day, hour, minute, second are small and non-negative).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::many_single_char_names)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
