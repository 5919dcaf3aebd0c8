//! Reading our own output back: every YAML document parses, and the fields a step needs
//! (image, command, arguments, run id) are where the engine looks for them. The per-engine
//! field checks live next to each backend (`backend::<engine>::check`).

use serde_json::Value;

use crate::backend::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::Pipeline;

/// Parse a (multi-document) YAML text into JSON values, as Kubernetes would read it.
pub fn yaml_documents(text: &str) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let value: Value =
            serde::Deserialize::deserialize(doc).map_err(|e| bug(format!("output is not valid YAML: {e}")))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

/// An output that does not match the pipeline: a bug of ours.
pub fn bug(message: String) -> Error {
    Error::new(ErrorKind::Internal { message })
}

/// Check `artifacts`, the output of `engine` for `pipeline`.
pub fn check(engine: Engine, pipeline: &Pipeline, artifacts: &[crate::Artifact]) -> Result<()> {
    engine.check(pipeline, artifacts)
}
