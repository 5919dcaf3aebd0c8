//! zenc: compiles ZenML pipeline snapshots into Argo, Tekton, Airflow and Kubeflow specs.
//!
//! snapshot text → `snapshot::load` → `ir::build` (a `Pipeline` exists only if valid) →
//! `backend::<engine>` lowering → `render` (strict, auto-escaped templates).

pub mod backend;
pub mod cli;
pub mod error;
pub mod fetch;
pub mod ir;
pub mod render;
pub mod snapshot;
pub mod validate;

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

/// Parse and validate: the engine-neutral pipeline and the warnings so far.
pub fn load_ir(text: &str, file_name: &str, opts: &BuildOptions) -> Result<(Pipeline, Vec<Warning>)> {
    let format = Format::detect(file_name, text);
    let (raw, mut warnings) = snapshot::load(text, file_name, format).map_err(|e| e.in_file(file_name))?;
    let pipeline = ir::build(raw, opts, &mut warnings).map_err(|e| e.in_file(file_name))?;
    Ok((pipeline, warnings))
}

/// Compile `text` (the content of `file_name`) for each of `engines`.
pub fn compile(text: &str, file_name: &str, engines: &[Engine], opts: &Options) -> Result<Output> {
    let (pipeline, mut warnings) = load_ir(text, file_name, &opts.build)?;
    let renderer = render::Renderer::new(opts.templates.as_deref())?;
    let mut files = Vec::new();
    for &engine in engines {
        let artifacts =
            engine.compile(&pipeline, &opts.engine, &renderer, &mut warnings).map_err(|e| e.in_file(file_name))?;
        files.extend(artifacts.into_iter().map(|a| (engine, a)));
    }
    Ok(Output { files, warnings })
}
