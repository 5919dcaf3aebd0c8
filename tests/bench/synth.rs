//! Synthetic ZenML snapshots of any size: the step `transform_left` of
//! `fixtures/ok/diamond.json` (a real ZenML export: its config, overrides and `pipeline_spec`
//! entry) copied into `n` steps `step_000000`… that differ only in name and upstream steps, as
//! the steps of a real pipeline share image, entrypoint and environment. Used by the `scale`
//! bench (`cargo bench --bench scale -- gen layered 5000 > s.json`) and by tests through
//! `#[path]`.

// Each includer uses part of it: the bench writes to stdout, the tests want a `String`.
#![allow(dead_code)]

use std::io::{self, Write};

use serde_json::{json, Map, Value};

/// The real export the steps are copied from.
const DIAMOND: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ok/diamond.json"));
/// The step copied.
const PROTOTYPE: &str = "transform_left";
/// Stands for the steps in the serialized document; the steps are written in its place.
const HOLE: &str = "@@synthetic-steps@@";

/// The DAG of a synthetic pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Step `i` depends on step `i - 1`.
    Chain,
    /// Step 0, then steps 1…n-2 each depending on it, then step n-1 depending on all of them.
    Fan,
    /// Layers of ten: step `j` of layer `L` depends on steps `j` and `(j + 3) % 10` of layer
    /// `L - 1` and, across layers, on step `(j + 7) % 10` of layer `L - 3`.
    Layered,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Chain, Shape::Fan, Shape::Layered];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::Fan => "fan",
            Shape::Layered => "layered",
        }
    }

    pub fn from_name(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Indices of step `i`'s upstream steps in a pipeline of `n`, ascending.
    pub fn upstream(self, i: usize, n: usize) -> Vec<usize> {
        match self {
            Shape::Chain => (i > 0).then(|| i - 1).into_iter().collect(),
            Shape::Fan if i == 0 => Vec::new(),
            Shape::Fan if i + 1 < n => vec![0],
            Shape::Fan => (1..i).collect(),
            Shape::Layered => {
                let (layer, j) = (i / 10, i % 10);
                if layer == 0 {
                    return Vec::new();
                }
                let mut up = vec![(layer - 1) * 10 + j, (layer - 1) * 10 + (j + 3) % 10];
                if layer >= 3 {
                    up.push((layer - 3) * 10 + (j + 7) % 10);
                }
                up.sort_unstable();
                up.dedup();
                up
            }
        }
    }
}

/// The name of step `i`.
pub fn step_name(i: usize) -> String {
    format!("step_{i:06}")
}

/// The snapshot of `n` steps of `shape`, as JSON text.
pub fn snapshot(shape: Shape, n: usize) -> String {
    let mut out = Vec::new();
    write(shape, n, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Write the snapshot of `n` steps of `shape` to `out`, one step at a time (100,000 steps are
/// ~400 MB of JSON: never held as one `Value`).
pub fn write(shape: Shape, n: usize, out: &mut impl Write) -> io::Result<()> {
    let mut doc: Value = serde_json::from_str(DIAMOND).expect("diamond.json is JSON");
    let meta = &mut doc["metadata"];
    let config = meta["step_configurations"][PROTOTYPE].take();
    let spec = meta["pipeline_spec"]["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["invocation_id"] == PROTOTYPE))
        .expect("diamond.json's pipeline_spec has the prototype")
        .clone();
    meta["pipeline_configuration"]["name"] = json!(format!("synthetic_{}_{n}", shape.name()));
    meta["step_configurations"] = json!(HOLE);
    meta["pipeline_spec"]["steps"] = json!(HOLE);
    let text = serde_json::to_string(&doc)?;
    let hole = format!("\"{HOLE}\"");
    let mut parts = text.split(hole.as_str());
    let (head, middle, tail) = (parts.next(), parts.next(), parts.next());
    let (Some(head), Some(middle), Some(tail), None) = (head, middle, tail, parts.next()) else {
        panic!("the two holes are in diamond.json's metadata")
    };
    // serde_json writes a `Value`'s keys sorted: `pipeline_spec` comes before `step_configurations`.
    let mut out = io::BufWriter::new(out);
    out.write_all(head.as_bytes())?;
    write_list(&mut out, n, '[', ']', |out, i| {
        let mut s = spec.clone();
        fill(&mut s, shape, i, n);
        serde_json::to_writer(out, &s).map_err(io::Error::from)
    })?;
    out.write_all(middle.as_bytes())?;
    write_list(&mut out, n, '{', '}', |out, i| {
        let mut c = config.clone();
        fill(&mut c["spec"], shape, i, n);
        serde_json::to_writer(&mut *out, &step_name(i))?;
        out.write_all(b":")?;
        serde_json::to_writer(out, &c).map_err(io::Error::from)
    })?;
    out.write_all(tail.as_bytes())?;
    out.flush()
}

fn write_list<W: Write>(
    out: &mut W,
    n: usize,
    open: char,
    close: char,
    mut item: impl FnMut(&mut W, usize) -> io::Result<()>,
) -> io::Result<()> {
    write!(out, "{open}")?;
    for i in 0..n {
        if i > 0 {
            out.write_all(b",")?;
        }
        item(out, i)?;
    }
    write!(out, "{close}")
}

/// Name step `i` of a copied step spec and give it its upstream steps and one input per
/// upstream step.
fn fill(spec: &mut Value, shape: Shape, i: usize, n: usize) {
    let upstream: Vec<String> = shape.upstream(i, n).into_iter().map(step_name).collect();
    let inputs: Map<String, Value> = upstream
        .iter()
        .enumerate()
        .map(|(k, u)| {
            let input = json!({"step_name": u, "output_name": "output", "chunk_index": null, "chunk_size": null});
            (format!("in{k}"), input)
        })
        .collect();
    spec["invocation_id"] = json!(step_name(i));
    spec["upstream_steps"] = json!(upstream);
    spec["inputs"] = Value::Object(inputs);
}
