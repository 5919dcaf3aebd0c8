//! Kubernetes resource quantities, and ZenML's CPU/memory notations converted into them.

use std::fmt;

use serde::Serialize;

/// A validated Kubernetes quantity (`500m`, `2`, `4G`, `512Mi`), kept as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    text: String,
    /// The value in nano-units, for comparisons and numeric engine fields.
    nanos: u128,
}

impl Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

const NANO: u128 = 1_000_000_000;

/// Suffix → multiplier, in nano-units.
fn suffix_nanos(suffix: &str) -> Option<u128> {
    let binary = |exp: u32| Some(NANO << (10 * exp));
    let decimal = |exp: u32| Some(NANO * 10u128.pow(exp));
    match suffix {
        "" => Some(NANO),
        "n" => Some(1),
        "u" => Some(1_000),
        "m" => Some(1_000_000),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        _ => None,
    }
}

impl Quantity {
    /// Parse a Kubernetes quantity (non-negative; decimal or binary SI suffix, or `e<N>`).
    pub fn parse(text: &str) -> Option<Quantity> {
        let t = text.strip_prefix('+').unwrap_or(text);
        let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
        let (number, suffix) = t.split_at(split);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        let multiplier = match suffix.strip_prefix(['e', 'E']) {
            Some(exp) if !exp.is_empty() => {
                let exp: i32 = exp.parse().ok()?;
                if !(-9..=18).contains(&exp) {
                    return None;
                }
                let e = exp + 9;
                10u128.checked_pow(u32::try_from(e).ok()?)?
            }
            _ => suffix_nanos(suffix)?,
        };
        let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut nanos = int.checked_mul(multiplier)?;
        // Fractions finer than the multiplier's nano resolution round up, as Kubernetes does.
        let mut scale = multiplier;
        for d in frac.chars() {
            let digit = u128::from(d.to_digit(10)?);
            if scale >= 10 {
                scale /= 10;
                nanos = nanos.checked_add(digit * scale)?;
            } else if digit > 0 {
                nanos = nanos.checked_add(1)?;
                break;
            }
        }
        Some(Quantity { text: text.to_string(), nanos })
    }

    /// ZenML `cpu_count` (float CPUs) → `2` or `500m`. `None` if not positive or finite.
    pub fn from_cpus(cpus: f64) -> Option<Quantity> {
        if !cpus.is_finite() || cpus <= 0.0 || cpus > 1e9 {
            return None;
        }
        // Whole millicores: Kubernetes' own CPU resolution; `cpus` is in (0, 1e9] here.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let milli = (cpus * 1000.0).round() as u64;
        if milli == 0 {
            return None;
        }
        let text = if milli % 1000 == 0 { (milli / 1000).to_string() } else { format!("{milli}m") };
        Quantity::parse(&text)
    }

    /// ZenML memory (`^[0-9]+(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB|PB|PiB)$`) → the Kubernetes
    /// quantity with the same number of bytes (`4GB` → `4G`, `100KB` → `100k`).
    pub fn from_zenml_memory(memory: &str) -> Option<Quantity> {
        let split = memory.find(|c: char| !c.is_ascii_digit())?;
        let (digits, unit) = memory.split_at(split);
        if digits.is_empty() {
            return None;
        }
        let suffix = match unit {
            "B" => "",
            "KB" => "k",
            "MB" => "M",
            "GB" => "G",
            "TB" => "T",
            "PB" => "P",
            "KiB" => "Ki",
            "MiB" => "Mi",
            "GiB" => "Gi",
            "TiB" => "Ti",
            "PiB" => "Pi",
            _ => return None,
        };
        let number: u128 = digits.parse().ok()?;
        Quantity::parse(&format!("{number}{suffix}"))
    }

    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Value in thousandths, rounded up (millicores for CPU).
    pub fn millis(&self) -> u128 {
        self.nanos.div_ceil(1_000_000)
    }

    /// Whole units, rounded up (bytes for memory, devices for GPUs).
    pub fn units(&self) -> u128 {
        self.nanos.div_ceil(NANO)
    }

    /// True when the value is an integer number of units.
    pub fn is_whole(&self) -> bool {
        self.nanos % NANO == 0
    }

    /// Compare by value, not spelling (`1Gi` vs `1024Mi`).
    pub fn value_cmp(&self, other: &Quantity) -> std::cmp::Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_become_millicores() {
        let cases = [(2.0, "2"), (0.5, "500m"), (1.25, "1250m"), (0.001, "1m"), (16.0, "16"), (0.1, "100m")];
        for (cpus, want) in cases {
            assert_eq!(Quantity::from_cpus(cpus).unwrap().as_str(), want, "{cpus}");
        }
        assert!(Quantity::from_cpus(0.0).is_none());
        assert!(Quantity::from_cpus(-1.0).is_none());
        assert!(Quantity::from_cpus(0.0001).is_none());
        assert!(Quantity::from_cpus(f64::NAN).is_none());
    }

    #[test]
    fn zenml_memory_keeps_bytes() {
        let cases = [
            ("512MiB", "512Mi", 512 * 1024 * 1024),
            ("4GB", "4G", 4_000_000_000),
            ("100KB", "100k", 100_000),
            ("1GiB", "1Gi", 1 << 30),
            ("16GiB", "16Gi", 16 << 30),
            ("1024B", "1024", 1024),
            ("2TB", "2T", 2_000_000_000_000),
            ("3PiB", "3Pi", 3 << 50),
        ];
        for (zenml, want, bytes) in cases {
            let q = Quantity::from_zenml_memory(zenml).unwrap();
            assert_eq!(q.as_str(), want, "{zenml}");
            assert_eq!(q.units(), bytes, "{zenml}");
        }
        for bad in ["", "4", "GB", "4gb", "4 GB", "4.5GB", "-1GB", "4G", "4Gi", "1EB"] {
            assert!(Quantity::from_zenml_memory(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn kubernetes_quantities_parse() {
        assert_eq!(Quantity::parse("500m").unwrap().millis(), 500);
        assert_eq!(Quantity::parse("1.5").unwrap().millis(), 1500);
        assert_eq!(Quantity::parse("1Gi").unwrap().units(), 1 << 30);
        assert_eq!(Quantity::parse("1e3").unwrap().units(), 1000);
        assert_eq!(Quantity::parse("0.5Gi").unwrap().units(), 1 << 29);
        assert!(Quantity::parse("1Gi").unwrap().value_cmp(&Quantity::parse("1024Mi").unwrap()).is_eq());
        for bad in ["", "abc", "1.2.3", "1GB", "-1", "1 Gi", "Gi", ".", "1e99"] {
            assert!(Quantity::parse(bad).is_none(), "{bad}");
        }
    }
}
