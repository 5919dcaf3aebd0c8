//! Steps that differ only in their name, told apart before they are lowered.
//!
//! The usual ZenML pipeline is many steps with the same image, command and env, whose only
//! difference is the step name (in `--step_name <name>`, a label and an annotation). Engines
//! share one template among such steps; with [`Alike`] a backend lowers the first of them in
//! full and lets each further one reuse that lowering, with its own name put in. The rule is
//! the IR's: two steps are alike when every field a backend reads (through the IR's accessors)
//! is written alike, but for the name, the input path (which only errors read: the first step's
//! lowering succeeded) and the upstream steps (each backend writes them per step). Only names
//! that are valid label values take part: they are written the same by every escaper
//! (no `$`, `{`, quote, newline or non-ASCII), so a name put in is exactly what the lowering
//! would have written.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};
use serde_json::Value;

use super::names;
use crate::ir::{EnvValue, Step};

/// The argument that precedes the step name in ZenML's entrypoint arguments.
pub const STEP_NAME_ARG: &str = "--step_name";

/// Steps registered as the first of their kind, by a hash of what [`alike`] compares.
#[derive(Default)]
pub struct Alike {
    by_key: FxHashMap<u64, Vec<usize>>,
}

impl Alike {
    /// The earlier step, registered with [`Alike::register`], that `steps[i]` is alike, if any.
    pub fn find(&self, steps: &[Step], i: usize) -> Option<usize> {
        let s = &steps[i];
        if !eligible(s) {
            return None;
        }
        self.by_key.get(&key(s))?.iter().copied().find(|&r| alike(&steps[r], s))
    }

    /// Makes `steps[i]`, lowered in full, the one later alike steps reuse.
    pub fn register(&mut self, steps: &[Step], i: usize) {
        let s = &steps[i];
        if eligible(s) {
            self.by_key.entry(key(s)).or_default().push(i);
        }
    }
}

/// A name written the same by every escaper, and found in no pod label or annotation value
/// (where a backend would take it for its own step-name field).
fn eligible(s: &Step) -> bool {
    let name = s.name();
    let pod = s.pod();
    !name.is_empty()
        && names::is_label_value(name)
        && !pod.labels().values().chain(pod.annotations().values()).any(|v| v == name)
}

/// Hash of the image, command, env names and args (less the step name's place).
fn key(s: &Step) -> u64 {
    let mut h = FxHasher::default();
    (s.image(), s.command()).hash(&mut h);
    for (i, a) in s.args().iter().enumerate() {
        if !is_name_at(s.args(), i, s.name()) {
            a.hash(&mut h);
        }
    }
    for e in s.env() {
        e.name().hash(&mut h);
    }
    h.finish()
}

/// Whether `args[i]` is `name` after `--step_name`.
fn is_name_at(args: &[String], i: usize, name: &str) -> bool {
    i > 0 && args[i] == name && args[i - 1] == STEP_NAME_ARG
}

/// Whether `a` and `b` lower alike but for their names (module doc). Both are [`eligible`].
fn alike(a: &Step, b: &Step) -> bool {
    let (x, y) = (a.args(), b.args());
    let args = x.len() == y.len()
        && (0..x.len()).all(|i| {
            let (na, nb) = (is_name_at(x, i, a.name()), is_name_at(y, i, b.name()));
            // The name's place in both, or the same text in both.
            (na && nb) || (!na && !nb && x[i] == y[i])
        });
    let (pa, pb) = (a.pod(), b.pod());
    args && a.image() == b.image()
        && a.command() == b.command()
        && a.env() == b.env()
        && a.env_from() == b.env_from()
        && a.resources() == b.resources()
        && a.retry() == b.retry()
        && a.timeout_seconds() == b.timeout_seconds()
        && pa == pb
        && values(a).zip(values(b)).all(|(x, y)| written_alike(x, y))
}

/// Every JSON value of a step, in a fixed order.
fn values(s: &Step) -> impl Iterator<Item = &Value> {
    let pod = s.pod();
    let env = s.env().iter().filter_map(|e| match e.value() {
        EnvValue::ValueFrom(v) => Some(v),
        _ => None,
    });
    let one = pod.affinity().into_iter().chain(pod.security_context());
    s.env_from()
        .iter()
        .chain(pod.tolerations())
        .chain(pod.volumes())
        .chain(pod.volume_mounts())
        .chain(one)
        .chain(env)
        .chain(pod.extra_pod_spec().values())
}

/// JSON values that serialize to the same text (given that they are `==`): `==` takes `0.0`
/// and `-0.0` for one number.
pub fn written_alike(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits),
        (Value::Array(x), Value::Array(y)) => x.iter().zip(y).all(|(x, y)| written_alike(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.iter().zip(y).all(|((kx, x), (ky, y))| kx == ky && written_alike(x, y))
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::Alike;
    use crate::ir::Pipeline;

    fn pipeline(steps: &str) -> Pipeline {
        let text = format!(
            "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: i\nsteps:\n{steps}"
        );
        crate::load_ir(text, "p.yaml", &crate::BuildOptions::default()).unwrap().0
    }

    /// Per step, the earlier step it is alike (each step not alike one is registered).
    fn firsts(p: &Pipeline) -> Vec<Option<usize>> {
        let mut alike = Alike::default();
        (0..p.steps().len())
            .map(|i| {
                let first = alike.find(p.steps(), i);
                if first.is_none() {
                    alike.register(p.steps(), i);
                }
                first
            })
            .collect()
    }

    #[test]
    fn steps_differing_in_name_and_upstream_only_are_alike() {
        let p = pipeline("  - {name: a}\n  - {name: b, upstream: [a]}\n  - {name: c, image: j}\n  - {name: d, image: j, upstream: [b]}\n  - {name: e, timeout: 5}\n");
        assert_eq!(firsts(&p), [None, Some(0), None, Some(2), None]);
    }

    #[test]
    fn names_an_engine_may_write_otherwise_take_no_part() {
        // A name that is no label value; a name that a pod label also holds.
        let p = pipeline("  - {name: a}\n  - {name: 'b c'}\n  - {name: d, pod: {labels: {x: d}}}\n  - {name: e, pod: {labels: {x: d}}}\n");
        assert_eq!(firsts(&p), [None, None, None, None]);
    }
}
