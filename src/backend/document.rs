//! What lowering hands to the renderer: documents laid out by templates (or JSON bodies), and
//! the files they become.

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Suggested file name suffix (`argo.yaml`); the CLI prefixes the input's stem.
    pub suffix: String,
    pub content: String,
}

/// One piece of an engine's output, before rendering. The documents of one file are joined
/// with `---` in order; files come in the order their first document does.
#[derive(Debug, Clone)]
pub struct Document {
    /// Suffix of the file it belongs to (`argo.yaml`).
    pub file: &'static str,
    pub content: Content,
}

/// How a document becomes text.
#[derive(Debug, Clone)]
pub enum Content {
    /// `templates/<engine>/<template>` rendered with `context`.
    Template { template: &'static str, context: minijinja::Value },
    /// The same, after `embed` was rendered into the context (held as JSON to insert into).
    Embedding { template: &'static str, context: Value, embed: Embed },
    /// A JSON request body, pretty-printed with sorted keys.
    Json(Value),
}

/// A template rendered into a string of another document's context, not into a file (Tekton's
/// ConfigMap holds the PipelineRun manifest its CronJob creates).
#[derive(Debug, Clone)]
pub struct Embed {
    /// JSON pointer of the object in the outer context that receives the text.
    pub at: &'static str,
    /// Key of the text in that object.
    pub key: &'static str,
    pub template: &'static str,
    pub context: minijinja::Value,
    /// Most bytes the text may have.
    pub max_bytes: usize,
    /// The error for a text of this many bytes, above `max_bytes`.
    pub too_large: fn(usize) -> Error,
}

/// A context as templates read it (`template_value`). Contexts are our own plain data.
pub fn template_context<S: Serialize>(context: &S) -> minijinja::Value {
    super::template_value::to_value(context)
}

fn json<S: Serialize>(value: &S) -> Value {
    serde_json::to_value(value).expect("contexts are plain data with string keys")
}

impl Document {
    /// `template` of the engine's folder with `context`, into the file `file`.
    pub fn template<S: Serialize>(file: &'static str, template: &'static str, context: &S) -> Document {
        Document { file, content: Content::Template { template, context: template_context(context) } }
    }

    /// `template` with `context`, after `embed` was rendered into it.
    pub fn embedding<S: Serialize>(file: &'static str, template: &'static str, context: &S, embed: Embed) -> Document {
        Document { file, content: Content::Embedding { template, context: json(context), embed } }
    }

    /// `body` as a JSON file.
    pub fn json<S: Serialize>(file: &'static str, body: &S) -> Document {
        Document { file, content: Content::Json(json(body)) }
    }
}
