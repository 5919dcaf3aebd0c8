//! Steps that differ only in their name, told apart before they are lowered.
//!
//! The usual ZenML pipeline is many steps with the same image, command and env, whose only
//! difference is the step name: the argument after `--step_name`, the step label and the
//! step-name annotation. An engine lowers the first of such steps in full (and checks it) and
//! lets each further one reuse that lowering, with its own name put in. Two steps are alike
//! when their image, command, arguments (but the name's place), environment, `envFrom`,
//! resources and pod settings are equal and written alike, and, where the engine shares them
//! too ([`Alike::templates`]), their retry and timeout. The input path (which only errors read:
//! the first step's lowering succeeded) and the upstream steps (each engine writes them per
//! step) may differ. Only names that are non-empty label values take part (written the same by
//! every escaper: no `$`, `{`, quote, newline or non-ASCII), and only when the pod settings
//! neither set the step label or annotation nor hold the name as a label or annotation value,
//! so the name put in is exactly what the lowering would have written, where it would have.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};
use serde_json::Value;

use super::{k8s::STEP_NAME_ANNOTATION, names};
use crate::ir::{EnvValue, Pipeline, Step, POD_SELECTOR_LABELS};

/// The argument ZenML puts before a step's name.
pub const STEP_NAME_FLAG: &str = "--step_name";

/// Steps registered as the first of their kind, by a hash of what [`alike`] compares.
pub struct Alike {
    by_key: FxHashMap<u64, Vec<usize>>,
    /// The step the last step found or registered was: alike is an equivalence, so the
    /// usual run of alike steps is decided before hashing.
    last: Option<usize>,
    run_settings: bool,
}

impl Alike {
    /// Alike in what goes into the step's container and pod; retry and timeout are the
    /// engine's to lower for each step (Tekton's pipeline tasks, Airflow's operators).
    pub fn pods() -> Alike {
        Alike { by_key: FxHashMap::default(), last: None, run_settings: false }
    }

    /// Alike in retry and timeout too: the engine's shared template holds them (Argo, KFP).
    pub fn templates() -> Alike {
        Alike { run_settings: true, ..Alike::pods() }
    }

    /// The earlier step, registered with [`Alike::register`], that `steps[i]` is alike, if any.
    pub fn find(&mut self, steps: &[Step], i: usize) -> Option<usize> {
        let s = &steps[i];
        if !eligible(s) {
            return None;
        }
        let found = match self.last.filter(|&r| r < i && self.alike(&steps[r], s)) {
            Some(r) => Some(r),
            None => self.by_key.get(&key(s))?.iter().copied().find(|&r| self.alike(&steps[r], s)),
        };
        if found.is_some() {
            self.last = found;
        }
        found
    }

    /// Makes `steps[i]`, lowered in full, the one later alike steps reuse.
    pub fn register(&mut self, steps: &[Step], i: usize) {
        let s = &steps[i];
        if eligible(s) {
            self.by_key.entry(key(s)).or_default().push(i);
            self.last = Some(i);
        }
    }

    fn alike(&self, a: &Step, b: &Step) -> bool {
        alike(a, b) && (!self.run_settings || (a.retry() == b.retry() && a.timeout_seconds() == b.timeout_seconds()))
    }
}

/// For each step of `p`, the first step (by index) alike it in its pod ([`Alike::pods`]);
/// itself when none is.
pub fn first_alike(p: &Pipeline) -> Vec<usize> {
    let steps = p.steps();
    let mut alike = Alike::pods();
    (0..steps.len())
        .map(|i| {
            alike.find(steps, i).unwrap_or_else(|| {
                alike.register(steps, i);
                i
            })
        })
        .collect()
}

/// A name written the same by every escaper, in no place of the pod settings an engine
/// writes it to or would take for its own.
fn eligible(s: &Step) -> bool {
    let name = s.name();
    let pod = s.pod();
    !name.is_empty()
        && names::is_label_value(name)
        && !pod.labels().contains_key(POD_SELECTOR_LABELS[2])
        && !pod.annotations().contains_key(STEP_NAME_ANNOTATION)
        && !pod.labels().values().chain(pod.annotations().values()).any(|v| v == name)
}

/// Indices of the arguments that are the step's name after `--step_name`.
pub fn name_positions(s: &Step) -> impl Iterator<Item = usize> + '_ {
    (1..s.args().len()).filter(move |&i| is_name_at(s.args(), i, s.name()))
}

/// Whether `args[i]` is `name` after `--step_name`.
fn is_name_at(args: &[String], i: usize, name: &str) -> bool {
    i > 0 && args[i] == name && args[i - 1] == STEP_NAME_FLAG
}

/// Whether `a` and `b` lower alike in their pods but for their names (module doc). Both are
/// [`eligible`].
fn alike(a: &Step, b: &Step) -> bool {
    let (x, y) = (a.args(), b.args());
    let args = x.len() == y.len()
        && (0..x.len()).all(|i| match (is_name_at(x, i, a.name()), is_name_at(y, i, b.name())) {
            (true, true) => true,
            (false, false) => x[i] == y[i],
            _ => false,
        });
    // Steps without env or command of their own share the IR's one list: equal at a glance.
    args && a.image() == b.image()
        && (std::ptr::eq(a.command(), b.command()) || a.command() == b.command())
        && (std::ptr::eq(a.env(), b.env()) || a.env() == b.env())
        && a.env_from() == b.env_from()
        && a.resources() == b.resources()
        && a.pod() == b.pod()
        && values(a).zip(values(b)).all(|(x, y)| written_alike(x, y))
}

/// A hash of the strings [`alike`] compares, the name left out.
fn key(s: &Step) -> u64 {
    let mut h = FxHasher::default();
    s.image().hash(&mut h);
    s.command().hash(&mut h);
    for (i, a) in s.args().iter().enumerate() {
        if is_name_at(s.args(), i, s.name()) {
            h.write_u8(0);
        } else {
            a.hash(&mut h);
        }
    }
    for e in s.env() {
        e.name().hash(&mut h);
        match e.value() {
            EnvValue::Literal(v) | EnvValue::Kubernetes(v) => v.hash(&mut h),
            EnvValue::Secret { name, key } => (name, key).hash(&mut h),
            EnvValue::RunId | EnvValue::ValueFrom(_) => {}
        }
    }
    s.pod().labels().hash(&mut h);
    s.pod().annotations().hash(&mut h);
    h.finish()
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
pub mod tests {
    use super::*;

    /// Every `fixtures/ok` pipeline and one of steps alike but for their names, some nearly.
    pub fn pipelines() -> Vec<(String, Pipeline)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok");
        let build = crate::BuildOptions { image: Some("i".into()), ..crate::BuildOptions::default() };
        let mut texts: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "yaml"))
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
            .collect();
        texts.push((
            "alike.yaml".into(),
            "name: alike\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
             image: registry.example.com/app:1.0\n\
             steps:\n  - {name: a}\n  - {name: b, retry: {max_retries: 2}}\n  - {name: load_json}\n\
             \x20 - {name: e, args: [--step_name, a]}\n  - {name: f, args: [--step_name, a]}\n\
             \x20 - {name: g, args: [--step_name, g, x]}\n  - {name: h, args: [--step_name, h, x]}\n"
                .into(),
        ));
        let out: Vec<_> = texts
            .into_iter()
            .filter_map(|(name, text)| Some((name.clone(), crate::load_ir(&text, &name, &build).ok()?.0)))
            .collect();
        assert!(out.iter().any(|(name, _)| name == "alike.yaml"));
        out
    }

    #[test]
    fn near_misses_are_not_alike() {
        // A pod label that is the step label, other arguments, a `--step_name` that names
        // another step (alike each other: e and f; not alike a step it names: k and l).
        let text = "name: near\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
             image: registry.example.com/app:1.0\n\
             steps:\n  - {name: a}\n  - {name: b}\n  - {name: c, pod: {labels: {zenml.io/step: a}}}\n\
             \x20 - {name: d, pod: {labels: {zenml.io/step: a}}}\n  - {name: e, args: [--step_name, a]}\n\
             \x20 - {name: f, args: [--step_name, a]}\n  - {name: g, args: [--step_name, g, x]}\n\
             \x20 - {name: h, args: [--step_name, h, y]}\n  - {name: 'i j'}\n\
             \x20 - {name: k, args: [--step_name, k]}\n  - {name: l, args: [--step_name, k]}\n";
        let (p, _) = crate::load_ir(text, "near.yaml", &crate::BuildOptions::default()).unwrap();
        assert_eq!(first_alike(&p), [0, 0, 2, 3, 4, 4, 6, 7, 8, 9, 10]);
    }

    fn pipeline(steps: &str) -> Pipeline {
        let text = format!(
            "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: i\nsteps:\n{steps}"
        );
        crate::load_ir(text, "p.yaml", &crate::BuildOptions::default()).unwrap().0
    }

    /// Per step, the earlier step it is alike (each step not alike one is registered).
    fn firsts(p: &Pipeline) -> Vec<Option<usize>> {
        let mut alike = Alike::templates();
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

    #[test]
    fn pods_alike_may_differ_in_retry_and_timeout() {
        let p = pipeline("  - {name: a}\n  - {name: b, timeout: 5}\n  - {name: c, retry: {max_retries: 2}}\n");
        assert_eq!(first_alike(&p), [0, 0, 0]);
    }

    #[test]
    fn names_the_pod_settings_write_take_no_part() {
        // The step-name annotation set by the pod settings: an engine would write it.
        let p = pipeline("  - {name: a, pod: {annotations: {zenml.io/step-name: x}}}\n  - {name: b, pod: {annotations: {zenml.io/step-name: x}}}\n");
        assert_eq!(first_alike(&p), [0, 1]);
    }
}
