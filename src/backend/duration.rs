//! Durations as Go writes them (`6h`, `1h30m`, `45s`): Argo, Tekton and KFP read that form.

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
    #[test]
    fn go_durations_are_shortest() {
        assert_eq!(super::go_duration(0), "0s");
        assert_eq!(super::go_duration(45), "45s");
        assert_eq!(super::go_duration(5400), "1h30m");
        assert_eq!(super::go_duration(7261), "2h1m1s");
        assert_eq!(super::go_duration(21_600), "6h");
        assert_eq!(super::go_duration(5_430), "1h30m30s");
    }
}
