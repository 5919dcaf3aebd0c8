//! JSON and YAML text into serde types, with the JSON path of an error and without echoing
//! the value that failed (it may be a credential).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// serde's type errors quote the string they found (`invalid type: string "…"`); that string
/// may be a credential written in the wrong place, so messages say `a string` instead.
pub(super) fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        out.push_str("a string");
        // The quoted text is written with `{:?}`: a `"` inside it is escaped.
        let quoted = &rest[i + "string \"".len()..];
        let mut escaped = false;
        let end = quoted.char_indices().find(|&(_, c)| {
            let close = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            close
        });
        rest = end.map_or("", |(j, _)| &quoted[j + 1..]);
    }
    out.push_str(rest);
    out
}

/// Paths are tracked only once parsing failed: the second parse, of the same text, fails the
/// same way and says where (tracking every key costs a third of the parse).
pub(super) fn json<T: DeserializeOwned>(text: &str) -> Result<T> {
    if let Ok(value) = T::deserialize(&mut serde_json::Deserializer::from_str(text)) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let err = Error::new(ErrorKind::Parse { format: "JSON", message: without_values(&e.into_inner().to_string()) });
        if path == "." {
            err
        } else {
            err.at(path)
        }
    })
}

/// Deepest nesting the YAML reader accepts: serde_yaml's own recursion limit.
const MAX_YAML_DEPTH: usize = 128;

/// How deep `[`/`{` flow collections nest outside quoted scalars, stopping once past `limit`.
/// The YAML parser takes time quadratic in that depth (80,000 levels: half a minute) before the
/// deserializer's recursion limit refuses the input, so deeper text is refused before parsing.
fn flow_depth(text: &str, limit: usize) -> usize {
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None::<char>);
    let mut prev = '\n';
    for c in text.chars() {
        match (quote, c) {
            (Some('"'), _) if prev == '\\' => {
                // `\"` escapes the quote; `\\` escapes the backslash.
                prev = if c == '\\' { ' ' } else { c };
                continue;
            }
            (Some(q), c) if c == q => quote = None,
            // Inside quotes nothing nests; outside, other characters do not either.
            #[allow(clippy::match_same_arms)]
            (Some(_), _) => {}
            (None, '"') => quote = Some('"'),
            // A `'` inside a plain scalar (`don't`) is text, not a quote.
            (None, '\'') if " \t\n[{,:".contains(prev) => quote = Some('\''),
            (None, '[' | '{') => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > limit {
                    break;
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        prev = c;
    }
    deepest
}

pub(super) fn yaml<T: DeserializeOwned>(text: &str) -> Result<T> {
    if flow_depth(text, MAX_YAML_DEPTH) > MAX_YAML_DEPTH {
        return Err(Error::new(ErrorKind::Parse {
            format: "YAML",
            message: format!("`[`/`{{` collections nested more than {MAX_YAML_DEPTH} levels deep"),
        }));
    }
    if let Ok(value) = T::deserialize(serde_yaml::Deserializer::from_str(text)) {
        return Ok(value);
    }
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let err = Error::new(ErrorKind::Parse { format: "YAML", message: without_values(&e.into_inner().to_string()) });
        if path == "." {
            err
        } else {
            err.at(path)
        }
    })
}

/// Deserialize a JSON sub-value, reporting errors at `base` + the inner path.
pub(super) fn typed<T: DeserializeOwned>(value: &Value, base: &str) -> Result<T> {
    if let Ok(typed) = T::deserialize(value) {
        return Ok(typed);
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." { base.to_string() } else { format!("{base}.{inner}") };
        Error::new(ErrorKind::Parse { format: "setting", message: without_values(&e.into_inner().to_string()) })
            .at(path)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn flow_nesting_is_counted_outside_quotes() {
        assert_eq!(super::flow_depth("a: [[1], {b: [2]}]", 128), 3);
        assert_eq!(super::flow_depth("a: \"[[[[\\\"[[\"\nb: 'x[[[' \nc: don't [1]", 128), 1);
        let deep = format!("name: p\nimage: {}", "[".repeat(100_000));
        assert_eq!(super::flow_depth(&deep, 128), 129, "stops counting past the limit");
        let err = super::yaml::<serde_json::Value>(&deep).unwrap_err().to_string();
        assert!(err.contains("nested more than 128 levels"), "{err}");
        let fine = format!("a: {}{}", "[".repeat(100), "]".repeat(100));
        assert!(super::yaml::<serde_json::Value>(&fine).is_ok());
    }

    use super::*;

    #[test]
    fn type_errors_do_not_quote_the_string_found() {
        let cases = [
            (r#"invalid type: string "hunter2", expected u32"#, "invalid type: a string, expected u32"),
            (r#"invalid type: string "a \"q\" b", expected a map"#, "invalid type: a string, expected a map"),
            (r#"x string "1" y string "2" z"#, "x a string y a string z"),
            ("unknown field `tags`, expected `name`", "unknown field `tags`, expected `name`"),
        ];
        for (input, want) in cases {
            assert_eq!(without_values(input), want, "{input}");
        }
    }
}
