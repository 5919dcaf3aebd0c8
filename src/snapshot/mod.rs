//! Loading: ZenML snapshot JSON or the hand-written YAML form → one unvalidated
//! `RawPipeline` whose every value remembers its input path.

mod from_json;
mod from_yaml;
pub mod manual;
pub mod model;
mod parse;
mod raw;
pub mod settings;

pub use raw::{Places, RawPipeline, RawSchedule, RawStep, WrittenPlaces};

use crate::error::{Result, Warning};

/// Which input format a text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ZenML `PipelineSnapshotResponse` JSON.
    Snapshot,
    /// zenc's hand-written YAML pipeline.
    Manual,
}

impl Format {
    /// `.json` (or text starting with `{`) is a snapshot; anything else is the YAML form.
    pub fn detect(file_name: &str, text: &str) -> Format {
        let extension = std::path::Path::new(file_name).extension().map(std::ffi::OsStr::to_ascii_lowercase);
        match extension.as_ref().and_then(|e| e.to_str()) {
            Some("json") => return Format::Snapshot,
            Some("yaml" | "yml") => return Format::Manual,
            _ => {}
        }
        if text.trim_start().starts_with('{') {
            Format::Snapshot
        } else {
            Format::Manual
        }
    }
}

/// Parse `text` (named `file_name` in messages) into a `RawPipeline`.
pub fn load(text: &str, file_name: &str, format: Format) -> Result<(RawPipeline, Vec<Warning>)> {
    let mut warnings = Vec::new();
    let raw = match format {
        Format::Snapshot => {
            let snap: model::Snapshot = parse::json(text)?;
            from_json::pipeline(snap, &mut warnings)?
        }
        Format::Manual => {
            let manual: manual::ManualPipeline = parse::yaml(text)?;
            from_yaml::pipeline(manual)?
        }
    };
    dedup(&mut warnings);
    let _ = file_name;
    Ok((raw, warnings))
}

fn dedup(warnings: &mut Vec<Warning>) {
    let mut seen = std::collections::BTreeSet::new();
    warnings.retain(|w| seen.insert((w.code, w.message.clone())));
}

/// Quote a map key for a JSON path when it is not a plain identifier.
pub fn key_path(base: &str, key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        let mut path = String::with_capacity(base.len() + 1 + key.len());
        path.push_str(base);
        path.push('.');
        path.push_str(key);
        path
    } else {
        format!("{base}[{}]", serde_json::to_string(key).expect("strings serialize"))
    }
}
