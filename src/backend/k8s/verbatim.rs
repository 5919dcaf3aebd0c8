//! Fields an engine copies into the pod without a way to escape its own syntax in them
//! (image, labels, volumes, …): a user string there that holds the engine's syntax is refused,
//! since the engine would rewrite it.

use serde_json::Value;

/// The first string (a map key or a value) in `fields` for which `found` returns a match:
/// its place (`volumes[0].name`) and the match.
pub fn find<'a>(fields: &'a Value, found: impl Fn(&'a str) -> Option<&'a str>) -> Option<(String, &'a str)> {
    let mut strings = Vec::new();
    strings_in(fields, String::new(), &mut strings);
    strings.into_iter().find_map(|(at, s)| found(s).map(|m| (at.trim_start_matches('.').to_string(), m)))
}

/// Every string inside a JSON value, with its position (`[0].value`).
fn strings_in<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((at, s)),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings_in(v, format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                out.push((format!("{at}.{k} (key)"), k));
                strings_in(v, format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}
