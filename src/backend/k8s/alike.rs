//! Steps whose containers and pods differ only where the step name is: ZenML gives its steps
//! one image, command, environment and pod settings and tells them apart by `--step_name`. An
//! engine lowers the first such step (and checks it) and copies it for the others, with their
//! name put in.
//!
//! The name is in three places of a step's pod: the argument after `--step_name` when it is
//! the name, the step label and the step-name annotation. Steps are alike when their image,
//! command, arguments (but those), environment, `envFrom`, resources and pod settings are
//! equal, the name is a non-empty label value (the step label holds it as it is) and the pod
//! settings do not set the step label themselves. What else a step has (upstream, retry,
//! timeout) is the engine's to lower for each step.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use crate::backend::names;
use crate::ir::{EnvValue, Pipeline, Step, POD_SELECTOR_LABELS};

/// The argument ZenML puts before a step's name.
pub const STEP_NAME_FLAG: &str = "--step_name";

/// For each step of `p`, the first step (by index) alike it; itself when none is.
pub fn first_alike(p: &Pipeline) -> Vec<usize> {
    let steps = p.steps();
    // Candidates by a hash of what is cheap to hash; `alike` decides.
    let mut firsts: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let mut out = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        if !nameable(s) {
            out.push(i);
            continue;
        }
        // Alike is an equivalence and first steps are never alike each other: the first step
        // the step before was alike is the one to try before hashing.
        if let Some(&r) = out.last().filter(|&&r| nameable(&steps[r]) && alike(&steps[r], s)) {
            out.push(r);
            continue;
        }
        let candidates = firsts.entry(fingerprint(s)).or_default();
        if let Some(&r) = candidates.iter().find(|&&r| alike(&steps[r], s)) {
            out.push(r);
        } else {
            candidates.push(i);
            out.push(i);
        }
    }
    out
}

/// The name is written verbatim where it is, and only there.
fn nameable(s: &Step) -> bool {
    !s.name().is_empty() && names::is_label_value(s.name()) && !s.pod().labels().contains_key(POD_SELECTOR_LABELS[2])
}

/// Indices of the arguments that are the step's name after `--step_name`.
pub fn name_positions(s: &Step) -> impl Iterator<Item = usize> + '_ {
    let args = s.args();
    (1..args.len()).filter(move |&i| is_name_at(s, i))
}

fn is_name_at(s: &Step, i: usize) -> bool {
    i > 0 && s.args()[i - 1] == STEP_NAME_FLAG && s.args()[i] == s.name()
}

/// Equal but for the name, where the name is (both `nameable`).
fn alike(r: &Step, s: &Step) -> bool {
    r.image() == s.image()
        && r.command() == s.command()
        && r.args().len() == s.args().len()
        && r.env() == s.env()
        && r.env_from() == s.env_from()
        && r.resources() == s.resources()
        && r.pod() == s.pod()
        && (0..r.args().len()).all(|i| match (is_name_at(r, i), is_name_at(s, i)) {
            (true, true) => true,
            (false, false) => r.args()[i] == s.args()[i],
            _ => false,
        })
}

/// A hash of the strings `alike` compares, the name left out.
fn fingerprint(s: &Step) -> u64 {
    let mut h = FxHasher::default();
    s.image().hash(&mut h);
    s.command().hash(&mut h);
    for (i, a) in s.args().iter().enumerate() {
        if is_name_at(s, i) {
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
}
