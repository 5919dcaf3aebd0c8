//! Size limits every Kubernetes object meets, whichever engine wrote it, and how a message
//! prints a size.

/// etcd's default `--max-request-bytes`: the largest object the API server can store.
pub const ETCD_LIMIT: usize = 1536 * 1024;
/// Argo's default `MAX_WORKFLOW_SIZE` (spec + status, after compressing node status): the Argo
/// target and the Workflows KFP makes from its IR both meet it.
pub const ARGO_CONTROLLER_LIMIT: usize = 1024 * 1024;

/// `1.42 MiB`.
pub fn mib(bytes: usize) -> String {
    #[allow(clippy::cast_precision_loss)]
    let m = bytes as f64 / (1024.0 * 1024.0);
    format!("{m:.2} MiB")
}

/// Bytes of `s` as a JSON string, escaped as serde_json escapes it: `"`, `\` and the controls
/// below U+0020 (`\n`, `\t`, … or `\u00XX`); everything else as it is. Size estimates count
/// the many small strings of thousands of steps with it instead of serializing them.
pub fn json_str_len(s: &str) -> usize {
    // Bytes added by the escape of each byte.
    static EXTRA: [u8; 256] = {
        let mut extra = [0u8; 256];
        let mut b = 0;
        while b < 0x20 {
            extra[b] = 5;
            b += 1;
        }
        extra[b'"' as usize] = 1;
        extra[b'\\' as usize] = 1;
        extra[b'\n' as usize] = 1;
        extra[b'\t' as usize] = 1;
        extra[b'\r' as usize] = 1;
        extra[0x08] = 1;
        extra[0x0c] = 1;
        extra
    };
    2 + s.len() + s.bytes().map(|b| usize::from(EXTRA[usize::from(b)])).sum::<usize>()
}

/// Bytes of a JSON array of `items` whose elements take `bytes` together: brackets and commas.
pub fn json_list_len(items: usize, bytes: usize) -> usize {
    2 + bytes + items.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_counted_as_serde_json_writes_them() {
        let texts = ["", "step-1", "a\"b\\c", "\n\t\r\u{8}\u{c}\u{0}\u{1f}\u{7f}", "héllo ✓ 😀", "{{x}}", "\u{2028}"];
        for s in texts {
            assert_eq!(super::json_str_len(s), serde_json::to_string(s).unwrap().len(), "{s:?}");
        }
    }
}
