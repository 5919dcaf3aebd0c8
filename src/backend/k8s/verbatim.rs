//! Fields an engine copies into the pod without a way to escape its own syntax in them
//! (image, labels, volumes, …): a user string there that holds the engine's syntax is refused,
//! since the engine would rewrite it.

use serde_json::Value;

/// The first string (a map key or a value) in `fields` for which `found` returns a match:
/// its place (`volumes[0].name`) and the match. The place is spelled only for that string.
pub fn find<'a>(fields: &'a Value, found: impl Fn(&'a str) -> Option<&'a str>) -> Option<(String, &'a str)> {
    let mut at = Vec::new();
    let m = search(fields, &found, &mut at)?;
    let mut place = String::new();
    for step in &at {
        match step {
            Step::Index(i) => place.push_str(&format!("[{i}]")),
            Step::Key(k) => place.push_str(&format!(".{k}")),
            Step::KeyItself(k) => place.push_str(&format!(".{k} (key)")),
        }
    }
    Some((place.trim_start_matches('.').to_string(), m))
}

/// One step of the way to a string inside a JSON value.
enum Step<'a> {
    /// `[i]`
    Index(usize),
    /// `.k`
    Key(&'a str),
    /// `.k (key)`: the key itself.
    KeyItself(&'a str),
}

/// Depth first, keys before their values: the first match, with the way to it left in `at`.
fn search<'a>(
    value: &'a Value,
    found: &impl Fn(&'a str) -> Option<&'a str>,
    at: &mut Vec<Step<'a>>,
) -> Option<&'a str> {
    match value {
        Value::String(s) => found(s),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            at.push(Step::Index(i));
            let m = search(v, found, at);
            if m.is_none() {
                at.pop();
            }
            m
        }),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if let Some(m) = found(k) {
                at.push(Step::KeyItself(k));
                return Some(m);
            }
            at.push(Step::Key(k));
            let m = search(v, found, at);
            if m.is_none() {
                at.pop();
            }
            m
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn braces(s: &str) -> Option<&str> {
        s.contains("{{").then_some(s)
    }

    #[test]
    fn the_first_match_is_named_by_its_place() {
        let fields = json!({
            "image": "ok",
            "volumes": [{"name": "a"}, {"name": "b {{x}}", "path": "{{y}}"}],
            "labels": {"{{k}}": "v"},
        });
        // serde_json's map iterates keys sorted: `image`, `labels`, `volumes`.
        assert_eq!(super::find(&fields, braces), Some(("labels.{{k}} (key)".into(), "{{k}}")));
        let fields = json!({"volumes": [[], {"name": "a"}, {"path": "p", "name": "{{n}}"}], "z": "{{z}}"});
        assert_eq!(super::find(&fields, braces), Some(("volumes[2].name".into(), "{{n}}")));
        assert_eq!(super::find(&json!("{{top}}"), braces), Some((String::new(), "{{top}}")));
        assert_eq!(super::find(&json!({".dot": ["{{d}}"]}), braces), Some(("dot[0]".into(), "{{d}}")));
        assert_eq!(super::find(&json!({"a": [1, null, {"b": "c"}]}), braces), None);
    }
}
