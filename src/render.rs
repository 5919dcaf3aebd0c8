//! The one minijinja environment: strict, embedded templates, escaping formatters.
//!
//! `*.yaml.j2` values print as YAML-safe JSON (a subset of YAML), `*.py.j2` values as Python
//! literals. Nothing reaches the output unescaped except through filters that validate first.

use std::fmt::Write;
use std::path::Path;

use minijinja::value::Value as JValue;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use serde_json::Value;

use crate::backend::template_value::{Map, Part, Tape, View};
use crate::backend::{Artifact, Content, Document, Embed, Engine};
use crate::error::{Error, ErrorKind, Result};

/// Every embedded template: (`<engine>/<file>`, source), from the engine registry.
pub fn templates() -> Vec<(String, &'static str)> {
    Engine::ALL
        .iter()
        .flat_map(|e| e.templates().iter().map(move |(file, source)| (format!("{}/{file}", e.name()), *source)))
        .collect()
}

/// Renders engine templates.
pub struct Renderer {
    env: Environment<'static>,
    /// Templates replaced by user copies (`--templates`), by name: their errors are the user's.
    user: std::collections::BTreeMap<String, std::path::PathBuf>,
}

impl Renderer {
    /// The embedded templates, optionally overridden by `<dir>/<engine>/<file>` copies.
    /// Embedded templates are compiled when first used (a run renders one or two of them;
    /// `compile_all` proves they all parse); a user's copy is compiled here, so a broken one is
    /// reported before anything is rendered.
    pub fn new(override_dir: Option<&Path>) -> Result<Renderer> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".yaml.j2") {
                AutoEscape::Custom("yaml".into())
            } else if name.ends_with(".py.j2") {
                AutoEscape::Custom("py".into())
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(format_value);
        env.add_filter("comment", comment);
        env.add_filter("py_ident", py_ident);
        env.add_filter("after_splat", after_splat);
        env.add_filter("py_subscripts", py_subscripts);
        let templates = templates();
        let embedded: std::collections::HashMap<String, &'static str> = templates.iter().cloned().collect();
        env.set_loader(move |name| Ok(embedded.get(name).map(|source| (*source).to_string())));
        let mut user = std::collections::BTreeMap::new();
        if let Some(dir) = override_dir {
            reject_unknown_templates(dir, &templates)?;
            for (name, _) in &templates {
                let path = dir.join(name);
                if path.is_file() {
                    user.insert(name.clone(), path.clone());
                    let source = std::fs::read_to_string(&path)
                        .map_err(|e| Error::new(ErrorKind::Io { message: format!("{}: {e}", path.display()) }))?;
                    env.add_template_owned(name.clone(), source).map_err(|e| {
                        Error::invalid(
                            "template",
                            path.display().to_string(),
                            format!("a valid minijinja template: {e:#}"),
                        )
                    })?;
                }
            }
        }
        Ok(Renderer { env, user })
    }

    /// Compile every embedded template now (the tests' proof that they all parse).
    pub fn compile_all(&self) -> Result<()> {
        for (name, _) in templates() {
            self.env.get_template(&name).map_err(|e| template_error(&name, &e))?;
        }
        Ok(())
    }

    /// Render an engine's documents into its files: the documents of one file joined with
    /// `---`, files in the order of their first document.
    pub fn render_documents(&self, engine: &'static str, documents: Vec<Document>) -> Result<Vec<Artifact>> {
        let mut files: Vec<Artifact> = Vec::new();
        for doc in documents {
            let text = match doc.content {
                Content::Template { template, context } => self.render_value(engine, template, context)?,
                Content::Embedding { template, mut context, embed } => {
                    self.embed(engine, &embed, &mut context)?;
                    self.render(engine, template, &context)?
                }
                Content::Json(body) => {
                    let mut text = serde_json::to_string_pretty(&body).expect("JSON values serialize");
                    text.push('\n');
                    text
                }
            };
            match files.iter_mut().find(|a| a.suffix == doc.file) {
                Some(file) => {
                    file.content.push_str("---\n");
                    file.content.push_str(&text);
                }
                None => files.push(Artifact { suffix: doc.file.to_string(), content: text }),
            }
        }
        Ok(files)
    }

    /// Render `embed` and put its text into `context`.
    fn embed(&self, engine: &'static str, embed: &Embed, context: &mut Value) -> Result<()> {
        let text = self.render_value(engine, embed.template, embed.context.clone())?;
        if text.len() > embed.max_bytes {
            return Err((embed.too_large)(text.len()));
        }
        let target = context.pointer_mut(embed.at).and_then(Value::as_object_mut).ok_or_else(|| {
            Error::new(ErrorKind::Internal { message: format!("no object at `{}` to embed into", embed.at) })
        })?;
        target.insert(embed.key.to_string(), Value::String(text));
        Ok(())
    }

    /// Render `<engine>/<template>` with `ctx`.
    pub fn render<S: Serialize>(&self, engine: &'static str, template: &str, ctx: &S) -> Result<String> {
        self.render_value(engine, template, JValue::from(minijinja::value::Serde(ctx)))
    }

    /// Render `<engine>/<template>` with a context already converted for the templates.
    fn render_value(&self, engine: &'static str, template: &str, ctx: JValue) -> Result<String> {
        let name = format!("{engine}/{template}");
        let blame = |e: minijinja::Error| match self.user.get(&name) {
            Some(path) => {
                Error::invalid("template", path.display().to_string(), format!("a template that renders: {e}"))
            }
            None => template_error(&name, &e),
        };
        let t = self.env.get_template(&name).map_err(blame)?;
        let out = t.render(ctx).map_err(blame)?;
        // Our templates are proven by the tests; a user's copy is checked on every use, so a
        // broken one is reported, not written. (The Airflow `.py` would need a Python parser.)
        if let Some(path) = self.user.get(&name).filter(|_| name.ends_with(".yaml.j2")) {
            if let Some(e) = yaml_error(&out) {
                return Err(Error::invalid(
                    "template",
                    path.display().to_string(),
                    format!("a template whose output is valid YAML; its output fails to parse: {e}"),
                ));
            }
        }
        let mut out = out;
        if !out.ends_with('\n') {
            out.push('\n');
        }
        Ok(out)
    }
}

/// Why `text` is not (multi-document) YAML, if it is not: for user templates, whose output
/// no other check has seen.
fn yaml_error(text: &str) -> Option<String> {
    serde_yaml::Deserializer::from_str(text)
        .find_map(|doc| <serde_yaml::Value as serde::Deserialize>::deserialize(doc).err())
        .map(|e| e.to_string())
}

/// A `.j2` file in the user's directory that replaces nothing is a typo, not a no-op.
fn reject_unknown_templates(dir: &Path, templates: &[(String, &str)]) -> Result<()> {
    let io = |e: std::io::Error| Error::new(ErrorKind::Io { message: format!("{}: {e}", dir.display()) });
    for engine in std::fs::read_dir(dir).map_err(io)? {
        let engine = engine.map_err(io)?.path();
        if !engine.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&engine).map_err(io)? {
            let file = file.map_err(io)?.path();
            let rel = file.strip_prefix(dir).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            if file.extension().is_some_and(|e| e == "j2") && !templates.iter().any(|(n, _)| *n == rel) {
                let known: Vec<&str> = templates.iter().map(|(n, _)| n.as_str()).collect();
                return Err(Error::invalid(
                    "template file",
                    file.display().to_string(),
                    format!("one of {}", known.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

fn template_error(name: &str, e: &minijinja::Error) -> Error {
    let engine = name.split('/').next().and_then(Engine::from_name).map_or("zenc", Engine::name);
    // minijinja's own text already names the template and line.
    Error::new(ErrorKind::Template { engine, template: name.to_string(), message: e.to_string() })
}

fn format_value(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &JValue,
) -> std::result::Result<(), minijinja::Error> {
    if value.is_safe() {
        return out.write_str(value.as_str().unwrap_or_default()).map_err(minijinja::Error::from);
    }
    write_template_value(value, Lang::of(state)?, out)
}

/// A list's items or a map's entries (`key: value`), each after `, ` and escaped as `{{ }}`
/// escapes it: the rest of a literal that starts with a splat (`[*_ARGS, …]`,
/// `{**_LABELS, …}`), in one call instead of a template loop per item.
fn after_splat(state: &minijinja::State, value: &JValue) -> std::result::Result<JValue, minijinja::Error> {
    let lang = Lang::of(state)?;
    let mut out = String::with_capacity(64);
    if value.kind() == minijinja::value::ValueKind::Map {
        if let Some(map) = value.downcast_object_ref::<Map>() {
            for (k, v) in &map.entries {
                write_pair(k, v, lang, &mut out)?;
            }
        } else if let Some(view) = value.downcast_object_ref::<View>() {
            // A context map enumerates its entries in their order.
            let tape = view.tape();
            if let Part::Map { entries, .. } = tape.part(view.node()) {
                for &(k, v) in entries {
                    out.push_str(", ");
                    write_node(tape, k, lang, &mut out)?;
                    out.push_str(": ");
                    write_node(tape, v, lang, &mut out)?;
                }
            }
        } else {
            for k in value.try_iter()? {
                let v = value.get_item(&k)?;
                write_pair(&k, &v, lang, &mut out)?;
            }
        }
    } else {
        each_item(value, |_, item| {
            out.push_str(", ");
            write_escaped(item, lang, &mut out)
        })?;
    }
    Ok(JValue::from_safe_string(out))
}

/// `f(index, item)` for each item of a list: a context's list by reference.
fn each_item(
    value: &JValue,
    mut f: impl FnMut(usize, &JValue) -> std::result::Result<(), minijinja::Error>,
) -> std::result::Result<(), minijinja::Error> {
    if let Some(items) = value.downcast_object_ref::<Vec<JValue>>() {
        return items.iter().enumerate().try_for_each(|(i, item)| f(i, item));
    }
    value.try_iter()?.enumerate().try_for_each(|(i, item)| f(i, &item))
}

/// `, key: value` of `after_splat`.
fn write_pair(k: &JValue, v: &JValue, lang: Lang, out: &mut String) -> std::result::Result<(), minijinja::Error> {
    out.push_str(", ");
    write_escaped(k, lang, out)?;
    out.push_str(": ");
    write_escaped(v, lang, out)
}

/// `value` as `format_value` writes it.
fn write_escaped(value: &JValue, lang: Lang, out: &mut String) -> std::result::Result<(), minijinja::Error> {
    if value.is_safe() {
        out.push_str(value.as_str().unwrap_or_default());
        return Ok(());
    }
    write_template_value(value, lang, out)
}

/// `name[item], …` for each item of a list (escaped as `{{ }}` escapes it), `name` a Python
/// identifier: references to the entries of a dict of the generated code, in one call.
fn py_subscripts(
    state: &minijinja::State,
    items: &JValue,
    name: &str,
) -> std::result::Result<JValue, minijinja::Error> {
    let lang = Lang::of(state)?;
    if !matches!(lang, Lang::Python) || !is_py_ident(name) {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("`{name}` is not a Python identifier in a *.py.j2 template"),
        ));
    }
    let mut out = String::with_capacity(64);
    each_item(items, |i, item| {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push('[');
        write_escaped(item, lang, &mut out)?;
        out.push(']');
        Ok(())
    })?;
    Ok(JValue::from_safe_string(out))
}

/// Write a template value straight into the output, as `write_flow` would write
/// `serde_json::to_value(value)` (maps with sorted keys, as serde_json's map keeps them),
/// without building that copy. What has no direct spelling here (numbers, bytes, a map with
/// a key that is not a string) goes through serde_json, so it is written exactly as before.
fn write_template_value<W: Write>(
    value: &JValue,
    lang: Lang,
    out: &mut W,
) -> std::result::Result<(), minijinja::Error> {
    use minijinja::value::ValueKind;
    let io = |e: std::fmt::Error| minijinja::Error::from(e);
    if let Some(view) = value.downcast_object_ref::<View>() {
        return write_node(view.tape(), view.node(), lang, out);
    }
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.write_str(lang.null()).map_err(io),
        ValueKind::Bool => out.write_str(lang.boolean(value.is_true())).map_err(io),
        ValueKind::String => lang.string(value.as_str().unwrap_or_default(), out).map_err(io),
        ValueKind::Seq | ValueKind::Iterable => {
            if let Some(items) = value.downcast_object_ref::<Vec<JValue>>() {
                out.write_str("[").map_err(io)?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.write_str(", ").map_err(io)?;
                    }
                    write_template_value(item, lang, out)?;
                }
                return out.write_str("]").map_err(io);
            }
            out.write_str("[").map_err(io)?;
            for (i, item) in value.try_iter()?.enumerate() {
                if i > 0 {
                    out.write_str(", ").map_err(io)?;
                }
                write_template_value(&item, lang, out)?;
            }
            out.write_str("]").map_err(io)
        }
        ValueKind::Map => {
            if let Some(map) = value.downcast_object_ref::<Map>() {
                return write_map(map, value, lang, out);
            }
            let pairs = value.as_object().and_then(minijinja::value::DynObject::try_iter_pairs);
            // Most maps are small (a struct's fields): they are sorted on the stack.
            let mut small: [(JValue, JValue); 8] = Default::default();
            let mut large: Vec<(JValue, JValue)> = Vec::new();
            let mut n = 0;
            for pair in pairs.into_iter().flatten() {
                if n < small.len() {
                    small[n] = pair;
                } else {
                    if large.is_empty() {
                        large.extend(small.iter_mut().map(std::mem::take));
                    }
                    large.push(pair);
                }
                n += 1;
            }
            let entries = if large.is_empty() { &mut small[..n] } else { &mut large[..] };
            if !entries.iter().all(|(k, _)| k.kind() == ValueKind::String) {
                return write_through_json(value, lang, out);
            }
            // A template map's keys are unique (struct fields, map keys).
            entries.sort_by(|(a, _), (b, _)| a.as_str().cmp(&b.as_str()));
            write_entries(entries, lang, out)
        }
        _ => write_through_json(value, lang, out),
    }
}

/// A context's map (`template_value::Map`), keys sorted as `write_template_value` sorts them,
/// its entries written by reference.
fn write_map<W: Write>(
    map: &Map,
    value: &JValue,
    lang: Lang,
    out: &mut W,
) -> std::result::Result<(), minijinja::Error> {
    use minijinja::value::ValueKind;
    let io = |e: std::fmt::Error| minijinja::Error::from(e);
    let Some(first) = map.entries.first() else {
        return out.write_str("{}").map_err(io);
    };
    if !map.entries.iter().all(|(k, _)| k.kind() == ValueKind::String) {
        return write_through_json(value, lang, out);
    }
    // A struct's fields are sorted here, on the stack when there are few.
    let mut small = [first; 16];
    let mut large = Vec::new();
    let entries: &mut [&(JValue, JValue)] = if map.entries.len() <= small.len() {
        for (slot, entry) in small.iter_mut().zip(&map.entries) {
            *slot = entry;
        }
        &mut small[..map.entries.len()]
    } else {
        large.extend(map.entries.iter());
        &mut large
    };
    if !map.sorted {
        entries.sort_by(|(a, _), (b, _)| a.as_str().cmp(&b.as_str()));
    }
    write_entries(entries, lang, out)
}

/// Node `id` of a context's tape, as `write_template_value` writes the value it stands for
/// (maps with keys sorted), straight from the tape.
fn write_node<W: Write>(
    tape: &std::sync::Arc<Tape>,
    id: usize,
    lang: Lang,
    out: &mut W,
) -> std::result::Result<(), minijinja::Error> {
    let io = |e: std::fmt::Error| minijinja::Error::from(e);
    match tape.part(id) {
        Part::Scalar(value) => write_template_value(value, lang, out),
        Part::Str(text) => lang.string(text, out).map_err(io),
        Part::Seq(items) => {
            out.write_str("[").map_err(io)?;
            for (i, &item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ").map_err(io)?;
                }
                write_node(tape, item, lang, out)?;
            }
            out.write_str("]").map_err(io)
        }
        Part::Map { entries, sorted } => {
            if entries.iter().any(|&(key, _)| tape.str(key).is_none()) {
                return write_through_json(&tape.value(id), lang, out);
            }
            let named = |&(key, item): &(usize, usize)| (tape.str(key).unwrap_or_default(), item);
            if sorted || entries.len() < 2 {
                return write_named(tape, entries.iter().map(named), lang, out);
            }
            // A struct's fields are sorted here, on the stack when there are few.
            let mut small = [("", 0); 16];
            let mut large = Vec::new();
            let fields: &mut [(&str, usize)] = if entries.len() <= small.len() {
                &mut small[..entries.len()]
            } else {
                large.resize(entries.len(), ("", 0));
                &mut large
            };
            for (slot, entry) in fields.iter_mut().zip(entries) {
                *slot = named(entry);
            }
            fields.sort_by(|a, b| a.0.cmp(b.0));
            write_named(tape, fields.iter().copied(), lang, out)
        }
    }
}

/// A flow map of tape nodes under their keys, in this order.
fn write_named<'a, W: Write>(
    tape: &std::sync::Arc<Tape>,
    entries: impl Iterator<Item = (&'a str, usize)>,
    lang: Lang,
    out: &mut W,
) -> std::result::Result<(), minijinja::Error> {
    let io = |e: std::fmt::Error| minijinja::Error::from(e);
    out.write_str("{").map_err(io)?;
    for (i, (key, item)) in entries.enumerate() {
        if i > 0 {
            out.write_str(", ").map_err(io)?;
        }
        lang.string(key, out).map_err(io)?;
        out.write_str(": ").map_err(io)?;
        write_node(tape, item, lang, out)?;
    }
    out.write_str("}").map_err(io)
}

/// A flow map of `entries` in their order; every key is a string.
fn write_entries<E: std::borrow::Borrow<(JValue, JValue)>, W: Write>(
    entries: &[E],
    lang: Lang,
    out: &mut W,
) -> std::result::Result<(), minijinja::Error> {
    let io = |e: std::fmt::Error| minijinja::Error::from(e);
    out.write_str("{").map_err(io)?;
    for (i, entry) in entries.iter().enumerate() {
        let (key, item) = entry.borrow();
        if i > 0 {
            out.write_str(", ").map_err(io)?;
        }
        lang.string(key.as_str().unwrap_or_default(), out).map_err(io)?;
        out.write_str(": ").map_err(io)?;
        write_template_value(item, lang, out)?;
    }
    out.write_str("}").map_err(io)
}

fn write_through_json<W: Write>(value: &JValue, lang: Lang, out: &mut W) -> std::result::Result<(), minijinja::Error> {
    let json: Value = serde_json::to_value(value).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::BadSerialization, format!("value cannot be written: {e}"))
    })?;
    write_flow(&json, lang, out).map_err(minijinja::Error::from)
}

/// The output language of a template: how it spells the scalars. Lists and maps are the same
/// flow syntax (`[a, b]`, `{"k": v}`) in YAML and Python.
#[derive(Clone, Copy)]
enum Lang {
    Yaml,
    Python,
}

impl Lang {
    /// The language of the template being rendered.
    fn of(state: &minijinja::State) -> std::result::Result<Lang, minijinja::Error> {
        match state.auto_escape() {
            AutoEscape::Custom(kind) if kind == "yaml" => Ok(Lang::Yaml),
            AutoEscape::Custom(kind) if kind == "py" => Ok(Lang::Python),
            _ => Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                "templates must be *.yaml.j2 or *.py.j2",
            )),
        }
    }

    fn null(self) -> &'static str {
        match self {
            Lang::Yaml => "null",
            Lang::Python => "None",
        }
    }

    fn boolean(self, b: bool) -> &'static str {
        match (self, b) {
            (Lang::Yaml, false) => "false",
            (Lang::Yaml, true) => "true",
            (Lang::Python, false) => "False",
            (Lang::Python, true) => "True",
        }
    }

    fn string<W: Write>(self, s: &str, out: &mut W) -> std::fmt::Result {
        match self {
            Lang::Yaml => yaml_string(s, out),
            Lang::Python => python_string(s, out),
        }
    }
}

/// JSON flow syntax that every YAML 1.1/1.2 parser reads back as the same value.
pub fn yaml_flow(v: &Value) -> String {
    let mut out = String::new();
    write_flow(v, Lang::Yaml, &mut out).expect("writing to a String");
    out
}

/// A Python literal: `None`, `True`, ints, ASCII-only strings, lists, dicts.
pub fn python_literal(v: &Value) -> String {
    let mut out = String::new();
    write_flow(v, Lang::Python, &mut out).expect("writing to a String");
    out
}

fn write_flow<W: Write>(v: &Value, lang: Lang, out: &mut W) -> std::fmt::Result {
    match v {
        Value::Null => out.write_str(lang.null()),
        Value::Bool(b) => out.write_str(lang.boolean(*b)),
        Value::Number(n) => write!(out, "{n}"),
        Value::String(s) => lang.string(s, out),
        Value::Array(items) => {
            out.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_flow(item, lang, out)?;
            }
            out.write_str("]")
        }
        Value::Object(map) => {
            out.write_str("{")?;
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                lang.string(k, out)?;
                out.write_str(": ")?;
                write_flow(item, lang, out)?;
            }
            out.write_str("}")
        }
    }
}

/// A double-quoted scalar. Beyond JSON's escapes it escapes what YAML does not allow raw in
/// a stream (DEL, C1 controls, U+FFFE/FFFF) and what YAML 1.1 reads as a line break
/// (NEL, U+2028, U+2029) or strips (BOM).
fn yaml_string<W: Write>(s: &str, out: &mut W) -> std::fmt::Result {
    escaped(s, out, |c, out| {
        Some(match c {
            '"' => out.write_str("\\\""),
            '\\' => out.write_str("\\\\"),
            '\n' => out.write_str("\\n"),
            '\t' => out.write_str("\\t"),
            '\r' => out.write_str("\\r"),
            c if (c as u32) < 0x20
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}') =>
            {
                write!(out, "\\u{:04x}", c as u32)
            }
            _ => return None,
        })
    })
}

/// An ASCII-only Python string literal (the DAG file stays ASCII whatever the input).
fn python_string<W: Write>(s: &str, out: &mut W) -> std::fmt::Result {
    escaped(s, out, |c, out| {
        Some(match c {
            '"' => out.write_str("\\\""),
            '\\' => out.write_str("\\\\"),
            '\n' => out.write_str("\\n"),
            '\t' => out.write_str("\\t"),
            '\r' => out.write_str("\\r"),
            ' '..='~' => return None,
            c if (c as u32) <= 0xff => write!(out, "\\x{:02x}", c as u32),
            c if (c as u32) <= 0xffff => write!(out, "\\u{:04x}", c as u32),
            c => write!(out, "\\U{:08x}", c as u32),
        })
    })
}

/// The bytes both languages copy as they are: printable ASCII but `"` and `\`.
static PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = b' ';
    while b < 0x7f {
        plain[b as usize] = b != b'"' && b != b'\\';
        b += 1;
    }
    plain
};

/// `s` in double quotes, each character that `escape` writes (returning `Some`) replaced by
/// what it wrote; the runs in between are copied whole.
fn escaped<W: Write>(
    s: &str,
    out: &mut W,
    escape: impl Fn(char, &mut W) -> Option<std::fmt::Result>,
) -> std::fmt::Result {
    out.write_str("\"")?;
    // Plain ASCII is never escaped by either language: whole runs of it are skipped byte by
    // byte; a character is decoded only where one may need escaping.
    let plain = |b: &u8| PLAIN[usize::from(*b)];
    let mut copied = 0;
    let mut i = 0;
    while let Some(skip) = s.as_bytes()[i..].iter().position(|b| !plain(b)) {
        i += skip;
        let c = s[i..].chars().next().expect("`i` is at a character's first byte");
        out.write_str(&s[copied..i])?;
        match escape(c, out) {
            Some(written) => {
                written?;
                copied = i + c.len_utf8();
            }
            None => copied = i,
        }
        i += c.len_utf8();
    }
    out.write_str(&s[copied..])?;
    out.write_str("\"")
}

/// One comment line of YAML or Python. Every character that could end the line, that a YAML
/// parser refuses in a stream, or that reorders what a reader sees becomes a space: controls
/// (`\n`, `\r`, NUL, NEL, …), U+2028/2029 (line breaks to YAML 1.1), the BOM, the
/// non-characters (U+FFFE, U+FFFF, U+FDD0–FDEF, …) and the bidirectional-text controls.
fn comment(text: &str) -> JValue {
    let clean: String = text.chars().map(|c| if comment_safe(c) { c } else { ' ' }).collect();
    JValue::from_safe_string(clean)
}

fn comment_safe(c: char) -> bool {
    let noncharacter = (c as u32) & 0xfffe == 0xfffe || ('\u{fdd0}'..='\u{fdef}').contains(&c);
    let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    !(c.is_control() || noncharacter || bidi || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
}

/// Sorted.
const PY_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// `[A-Za-z_][A-Za-z0-9_]*`, not a keyword.
fn is_py_ident(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && PY_KEYWORDS.binary_search(&text).is_err()
}

/// A Python identifier, printed bare; anything else is a template error.
fn py_ident(text: &str) -> std::result::Result<JValue, minijinja::Error> {
    if is_py_ident(text) {
        Ok(JValue::from_safe_string(text.to_string()))
    } else {
        Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("`{text}` is not a Python identifier"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;
    use serde_json::json;

    use super::*;

    #[test]
    fn yaml_strings_escape_what_yaml_would_mangle() {
        assert_eq!(yaml_flow(&json!("a\"b\\c\nd")), r#""a\"b\\c\nd""#);
        assert_eq!(yaml_flow(&json!("x\u{2028}y\u{85}z\u{7f}")), r#""x\u2028y\u0085z\u007f""#);
        assert_eq!(yaml_flow(&json!({"b": [1, true, null], "a": "yes"})), r#"{"a": "yes", "b": [1, true, null]}"#);
    }

    #[test]
    fn python_strings_are_ascii_literals() {
        assert_eq!(python_literal(&json!("h\u{e9}llo \u{2713} \u{1f600}")), r#""h\xe9llo \u2713 \U0001f600""#);
        assert_eq!(python_literal(&json!({"k": [null, false, 3]})), r#"{"k": [None, False, 3]}"#);
        assert_eq!(python_literal(&json!("\"\"\"")), r#""\"\"\"""#);
    }

    #[test]
    fn comments_cannot_end_early_or_break_a_parser() {
        let hostile = "a\nb\rc\u{85}d\u{2028}e\u{2029}f\u{feff}g\u{fffe}h\u{ffff}i\u{fdd0}j\u{1fffe}k\u{10ffff}l\u{0}m\tn\u{202e}o\u{2066}p";
        let out = comment(hostile);
        assert_eq!(out.as_str(), Some("a b c d e f g h i j k l m n o p"));
        // Ordinary text, non-ASCII included, is kept.
        assert_eq!(comment("héllo ✓ 😀 coding=utf-7").as_str(), Some("héllo ✓ 😀 coding=utf-7"));
    }

    fn render_as(lang: &'static str, template: &str, ctx: JValue) -> std::result::Result<String, minijinja::Error> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(move |_| AutoEscape::Custom(lang.into()));
        env.set_formatter(format_value);
        env.add_filter("after_splat", after_splat);
        env.add_filter("py_subscripts", py_subscripts);
        env.render_str(template, ctx)
    }

    #[test]
    fn splat_and_subscript_filters_escape_every_item() {
        let map = std::collections::BTreeMap::from([("k\"", "v\n"), ("a", "{{x}}")]);
        for ctx in [
            minijinja::context! { l => vec!["a\"b", "\u{e9}"], m => map.clone(), up => vec!["x", "y\"]"] },
            minijinja::context! {
                l => crate::backend::template_value::to_value(&vec!["a\"b", "\u{e9}"]),
                m => crate::backend::template_value::to_value(&map),
                up => crate::backend::template_value::to_value(&vec!["x", "y\"]"]),
            },
        ] {
            let out =
                render_as("py", "[*A{{ l|after_splat }}] {**B{{ m|after_splat }}} [{{ up|py_subscripts('t') }}]", ctx);
            assert_eq!(out.unwrap(), r#"[*A, "a\"b", "\xe9"] {**B, "a": "{{x}}", "k\"": "v\n"} [t["x"], t["y\"]"]]"#);
        }
        let yaml = render_as("yaml", "{{ l|after_splat }}", minijinja::context! { l => vec!["\u{2028}"] });
        assert_eq!(yaml.unwrap(), r#", "\u2028""#);
        let up = minijinja::context! { up => vec!["x"] };
        for bad in ["{{ up|py_subscripts('1t') }}", "{{ up|py_subscripts('class') }}", "{{ up|py_subscripts('t t') }}"]
        {
            assert!(render_as("py", bad, up.clone()).is_err(), "{bad}");
        }
        assert!(render_as("yaml", "{{ up|py_subscripts('t') }}", up).is_err(), "Python only");
    }

    /// A context's view is written straight from its tape exactly as the same value converted
    /// by minijinja is written (structs' fields sorted, maps' keys sorted, numbers as JSON).
    #[test]
    fn views_are_written_as_their_values() {
        #[derive(Serialize)]
        struct Step {
            zeta: Vec<Option<f64>>,
            alpha: std::collections::BTreeMap<&'static str, u64>,
            #[serde(flatten)]
            extra: serde_json::Value,
            name: &'static str,
        }
        let step = Step {
            zeta: vec![Some(1.0), None, Some(-0.5)],
            alpha: [("b", 2), ("a", 1)].into(),
            extra: json!({"y": [true, {"q\"": "\u{2028}"}], "x": {}}),
            name: "t\n1",
        };
        let context = (json!({"k": [1, "two"]}), [&step, &step]);
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Custom("yaml".into()));
        env.set_formatter(format_value);
        env.add_template("t.yaml.j2", "{{ c }}|{{ c[1][0] }}|{% for s in c[1] %}{{ s.alpha }}{{ s.zeta }}{% endfor %}")
            .unwrap();
        let render = |c: JValue| env.get_template("t.yaml.j2").unwrap().render(minijinja::context! { c }).unwrap();
        let ours = render(crate::backend::template_context(&context));
        assert_eq!(ours, render(JValue::from(minijinja::value::Serde(&context))));
        assert!(ours.contains(r#"{"alpha": {"a": 1, "b": 2}, "name": "t\n1", "x": {}, "y": [true, {"q\"": "\u2028"}], "zeta": [1.0, null, -0.5]}"#), "{ours}");
    }

    #[test]
    fn py_ident_validates() {
        assert!(PY_KEYWORDS.is_sorted(), "searched by bisection");
        assert!(py_ident("train_1").is_ok());
        assert!(py_ident("1train").is_err());
        assert!(py_ident("class").is_err());
        assert!(py_ident("a-b").is_err());
    }
}
