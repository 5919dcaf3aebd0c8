//! zenc: compiles ZenML pipeline snapshots into native workflow-engine specs.
//!
//! snapshot text → `snapshot::load` → `ir::build` (a `Pipeline` exists only if valid) →
//! `backend::<engine>` lowering into documents → `render` (strict, auto-escaped templates) →
//! files. ARCHITECTURE.md has the layers and how to add an engine.

pub mod backend;
pub mod cli;
pub mod diagnostic;
pub mod error;
pub mod fetch;
pub mod ir;
pub mod render;
pub mod snapshot;
#[cfg(any(test, feature = "verify"))]
pub mod verify;

use std::path::PathBuf;

pub use backend::{Artifact, Engine, EngineOptions, ObjectKind};
pub use error::{Error, ErrorKind, Result, Warning};
pub use ir::{BuildOptions, Pipeline};
pub use snapshot::Format;

/// Everything a compilation needs besides the input text.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub build: BuildOptions,
    pub engine: EngineOptions,
    /// Directory of user templates overriding the embedded ones (`<engine>/<file>.j2`).
    pub templates: Option<PathBuf>,
}

/// Result of a compilation: files per engine, and what was not carried over.
#[derive(Debug, Clone)]
pub struct Output {
    pub files: Vec<(Engine, Artifact)>,
    pub warnings: Vec<Warning>,
}

/// Parse and validate: the engine-neutral pipeline and the warnings so far. Warnings and
/// errors inside a step name it (`step`), from their input path. A `String` given is freed
/// once it is parsed, before the pipeline is built from it (the peak memory of a large input).
pub fn load_ir(text: impl AsRef<str>, file_name: &str, opts: &BuildOptions) -> Result<(Pipeline, Vec<Warning>)> {
    let format = Format::detect(file_name, text.as_ref());
    let loaded = snapshot::load(text.as_ref(), file_name, format);
    drop(text);
    let (mut raw, mut warnings) = loaded.map_err(|e| e.in_file(file_name))?;
    let pipeline = match ir::build(&mut raw, opts, &mut warnings) {
        Ok(pipeline) => pipeline,
        Err(e) => {
            // A step whose name and path moved into the pipeline (that an error after the
            // steps then dropped) has an empty path; no error after the steps is in one.
            let steps = raw.steps.iter().filter(|s| !s.path.is_empty());
            let steps: StepPaths = steps.map(|s| (s.name.as_str(), s.path.as_str())).collect();
            return Err(steps.name_error(e.in_file(file_name)));
        }
    };
    // Every step's path starts with `steps_path`: the index is made only for a warning that
    // can be inside a step. The steps' names and paths are in the pipeline now, but for a
    // dynamic one, which has the single step of its own.
    let in_a_step = |w: &Warning| w.step.is_none() && w.path.as_deref().is_some_and(|p| p.starts_with(&raw.steps_path));
    if warnings.iter().any(in_a_step) {
        let steps: StepPaths = if pipeline.is_dynamic() {
            raw.steps.iter().map(|s| (s.name.as_str(), s.path.as_str())).collect()
        } else {
            pipeline.steps().iter().map(|s| (s.name(), s.path())).collect()
        };
        steps.name_warnings(&mut warnings);
    }
    Ok((pipeline, warnings))
}

/// Compile `text` (the content of `file_name`) for each of `engines`.
pub fn compile(text: &str, file_name: &str, engines: &[Engine], opts: &Options) -> Result<Output> {
    let (pipeline, mut warnings) = load_ir(text, file_name, &opts.build)?;
    let renderer = render::Renderer::new(opts.templates.as_deref())?;
    let mut files = Vec::new();
    for &engine in engines {
        let artifacts = compile_ir(&pipeline, file_name, engine, &opts.engine, &renderer, &mut warnings)?;
        files.extend(artifacts.into_iter().map(|a| (engine, a)));
    }
    Ok(Output { files, warnings })
}

/// Lower and render a validated pipeline for one engine. The warnings it adds and its error
/// name the engine, and the step when their input path is inside one.
pub fn compile_ir(
    pipeline: &Pipeline,
    file_name: &str,
    engine: Engine,
    opts: &EngineOptions,
    renderer: &render::Renderer,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Artifact>> {
    // Made only when a diagnostic may be inside a step: most compiles have none.
    let steps = || -> StepPaths { pipeline.steps().iter().map(|s| (s.name(), s.path())).collect() };
    let before = warnings.len();
    let result =
        engine.documents(pipeline, opts, warnings).and_then(|docs| renderer.render_documents(engine.name(), docs));
    for w in &mut warnings[before..] {
        w.engine = Some(engine.name());
    }
    if warnings[before..].iter().any(|w| w.step.is_none() && w.path.is_some()) {
        steps().name_warnings(&mut warnings[before..]);
    }
    result.map_err(|mut e| {
        e.engine = Some(engine.name());
        steps().name_error(e.in_file(file_name))
    })
}

/// Step names by input path (`metadata.step_configurations.train`, `steps[1]`), to tell
/// which step a diagnostic's path is in.
struct StepPaths<'a>(rustc_hash::FxHashMap<&'a str, &'a str>);

impl<'a> FromIterator<(&'a str, &'a str)> for StepPaths<'a> {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(steps: I) -> Self {
        StepPaths(steps.into_iter().map(|(name, path)| (path, name)).collect())
    }
}

impl StepPaths<'_> {
    /// The step whose path is a whole prefix of `path` (`steps[1]` is no prefix of
    /// `steps[10]`); the longest, should one step's path contain another's. Looked up by
    /// each prefix that ends before a `.` or `[`: one warning per step stays linear.
    fn step_at(&self, path: &str) -> Option<&str> {
        let ends = path.match_indices(['.', '[']).map(|(i, _)| i).chain([path.len()]);
        let mut found = None;
        for end in ends {
            found = self.0.get(&path[..end]).copied().or(found);
        }
        found
    }

    fn name_warnings(&self, warnings: &mut [Warning]) {
        for w in warnings {
            if w.step.is_none() {
                w.step = w.path.as_deref().and_then(|p| self.step_at(p)).map(String::from);
            }
        }
    }

    fn name_error(&self, mut e: Error) -> Error {
        if e.location.step.is_none() {
            e.location.step = e.location.path.as_deref().and_then(|p| self.step_at(p)).map(String::from);
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::StepPaths;

    #[test]
    fn a_path_names_the_step_whose_whole_path_prefixes_it() {
        let steps: StepPaths = [
            ("one", "steps[1]"),
            ("ten", "steps[10]"),
            ("dotted", "metadata.step_configurations[\"a.b\"]"),
            ("outer", "metadata.step_configurations.x"),
            ("inner", "metadata.step_configurations.x.config.y"),
        ]
        .into_iter()
        .collect();
        assert_eq!(steps.step_at("steps[1].resources"), Some("one"));
        assert_eq!(steps.step_at("steps[10]"), Some("ten"));
        assert_eq!(steps.step_at("steps[100]"), None);
        assert_eq!(steps.step_at("metadata.step_configurations[\"a.b\"].config.retry"), Some("dotted"));
        assert_eq!(steps.step_at("metadata.step_configurations[\"a"), None);
        assert_eq!(steps.step_at("metadata.step_configurations.xy"), None);
        assert_eq!(steps.step_at("metadata.step_configurations.x.config.y[0]"), Some("inner"));
        assert_eq!(steps.step_at("metadata.step_configurations.x.config"), Some("outer"));
    }
}
