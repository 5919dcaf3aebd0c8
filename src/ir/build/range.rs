//! The documented range of every numeric input field (README "Numeric ranges").

use crate::error::{Error, Result};
use crate::snapshot::settings::Number;

/// Largest duration in seconds (deadlines, delays, TTLs, intervals): 68 years, 2^31−1. It is
/// the upper bound of a Pod's `activeDeadlineSeconds` (checked on a real API server) and the
/// int32 of Argo's `ttlStrategy`, KFP's `resourceTtlOnCompletion` and a Job's TTL; every other
/// duration field (int64 seconds, Go durations up to 292 years, Python timedeltas) holds more,
/// and one range for every duration is simpler to remember.
pub const MAX_SECONDS: u64 = i32::MAX as u64;

/// The documented range of a numeric input field (README "Numeric ranges").
pub(super) struct Range {
    pub(super) lo: u64,
    pub(super) hi: u64,
    /// Unit after the numbers (` s`).
    pub(super) unit: &'static str,
    /// Why the bound is there.
    pub(super) why: &'static str,
}

/// Durations: timeouts, grace periods, TTLs, starting deadlines, retry delays.
pub(super) const DURATION: Range =
    Range { lo: 0, hi: MAX_SECONDS, unit: " s", why: "68 years, the longest duration every engine holds" };

/// Counts the engines store as 32-bit integers: parallelism, history limits, GPUs.
pub(super) const COUNT: Range =
    Range { lo: 0, hi: i32::MAX as u64, unit: "", why: "engines store it as a 32-bit integer" };

/// Retries (also `max_retries + backoff_limit_margin`): engines store them as 32-bit integers,
/// and ZenML's server would refuse that many attempts long before.
pub(super) const RETRIES: Range =
    Range { lo: 0, hi: 10_000, unit: "", why: "far more attempts than ZenML's server accepts" };

/// Retry backoff factor: a larger one overflows the engines' delay arithmetic within a few retries.
pub(super) const BACKOFF: Range =
    Range { lo: 0, hi: 1000, unit: "", why: "larger factors overflow the engines' delay arithmetic" };

/// Schedule intervals: at least a second, at most the duration bound.
pub(super) const INTERVAL: Range = Range { lo: 1, ..DURATION };

/// `n` as a whole number within `range`, or an error naming the field, its path and the range.
pub(super) fn ranged(n: Number, what: &str, range: &Range, path: &str) -> Result<u64> {
    n.whole().and_then(|w| u64::try_from(w).ok()).filter(|w| (range.lo..=range.hi).contains(w)).ok_or_else(|| {
        let Range { lo, hi, unit, why } = range;
        Error::invalid(what, n.to_string(), format!("a whole number from {lo} to {hi}{unit} ({why})")).at(path)
    })
}

pub(super) fn ranged_opt(n: Option<Number>, what: &str, range: &Range, path: &str) -> Result<Option<u64>> {
    n.map(|n| ranged(n, what, range, path)).transpose()
}

/// A count within `COUNT` (which fits `u32`).
pub(super) fn count(n: Option<Number>, what: &str, path: &str) -> Result<Option<u32>> {
    Ok(ranged_opt(n, what, &COUNT, path)?.map(|c| u32::try_from(c).expect("COUNT fits u32")))
}
