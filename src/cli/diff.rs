//! `--check` diffs: unified, `patch -p0`-able, coloured on a terminal only.

use std::io::IsTerminal;
use std::time::Duration;

use similar::TextDiff;

/// A diff of a 20 MB output must not take minutes: past this, `similar` settles for a longer
/// (still correct) diff.
const DIFF_DEADLINE: Duration = Duration::from_secs(2);

/// The unified diff from `current` (the file at `path`) to `wanted` (what zenc would write).
pub fn unified(path: &str, current: &str, wanted: &str, colour: bool) -> String {
    let diff = TextDiff::configure().timeout(DIFF_DEADLINE).diff_lines(current, wanted);
    let text = diff.unified_diff().context_radius(3).header(path, path).to_string();
    if !colour {
        return text;
    }
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let style = if body.starts_with("---") || body.starts_with("+++") {
            "1"
        } else if body.starts_with("@@") {
            "36"
        } else if body.starts_with('-') {
            "31"
        } else if body.starts_with('+') {
            "32"
        } else {
            ""
        };
        if style.is_empty() {
            out.push_str(line);
        } else {
            out.push_str(&format!("\x1b[{style}m{body}\x1b[0m{end}"));
        }
    }
    out
}

/// Colour on stdout: never with `NO_COLOR`, always with `CLICOLOR_FORCE`, else on a terminal.
pub fn stdout_colour() -> bool {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") || std::io::stdout().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_unified_diff_with_headers_and_context() {
        let d = unified("out/p.yaml", "a\nb\nc\n", "a\nB\nc\n", false);
        assert_eq!(d, "--- out/p.yaml\n+++ out/p.yaml\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        assert_eq!(unified("x", "same\n", "same\n", false), "");
    }

    #[test]
    fn colour_marks_removed_added_and_hunks() {
        let d = unified("p", "a\n", "b\n", true);
        assert!(d.contains("\x1b[31m-a\x1b[0m\n") && d.contains("\x1b[32m+b\x1b[0m\n"), "{d:?}");
        assert!(d.contains("\x1b[36m@@"), "{d:?}");
    }
}
