//! Steps whose taskSpecs differ only where the step name is: ZenML gives its steps one image,
//! command, environment and pod settings and tells them apart by `--step_name`. The taskSpec of
//! the first such step is lowered (and checked); the others get a copy with their name in it,
//! and `--kind pipeline` puts them in the first one's group (`share`) without comparing specs.
//!
//! The name is in three places of a taskSpec: the argument after `--step_name` when it is the
//! name, the step label and the step-name annotation. Steps are alike when everything that goes
//! into the taskSpec is equal but those, the name is a non-empty label value (written verbatim
//! in all three: no escaping, no sanitising, what `share::parametrize` takes out) and the pod
//! settings do not set the step label themselves.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use super::TaskSpec;
use crate::backend::k8s::STEP_NAME_ANNOTATION;
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

/// `spec` (the taskSpec of a step alike `s`) with the name of `s` in it.
pub fn renamed(spec: &TaskSpec, s: &Step) -> TaskSpec {
    let name = s.name();
    let mut spec = spec.clone();
    for i in name_positions(s) {
        name.clone_into(&mut spec.step.args[i]);
    }
    if let Some(v) = spec.labels.get_mut(POD_SELECTOR_LABELS[2]) {
        name.clone_into(v);
    }
    if let Some(v) = spec.annotations.get_mut(STEP_NAME_ANNOTATION) {
        name.clone_into(v);
    }
    spec
}

/// The name is written verbatim where it is, and only there.
fn nameable(s: &Step) -> bool {
    !s.name().is_empty() && names::is_label_value(s.name()) && !s.pod().labels().contains_key(POD_SELECTOR_LABELS[2])
}

/// Indices of the arguments that are the step's name after `--step_name`.
fn name_positions(s: &Step) -> impl Iterator<Item = usize> + '_ {
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
mod tests {
    use super::*;
    use crate::backend::tekton::task;

    fn pipelines() -> Vec<(String, Pipeline)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok");
        let build = crate::BuildOptions { image: Some("i".into()), ..crate::BuildOptions::default() };
        let mut out = Vec::new();
        let mut texts: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "yaml"))
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
            .collect();
        // Near misses: a pod label that is the step label, other arguments, a `--step_name` that
        // names another step (alike each other: e and f; not alike a step it names: k and l).
        texts.push((
            "near.yaml".into(),
            "name: near\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
             image: registry.example.com/app:1.0\n\
             steps:\n  - {name: a}\n  - {name: b}\n  - {name: c, pod: {labels: {zenml.io/step: a}}}\n\
             \x20 - {name: d, pod: {labels: {zenml.io/step: a}}}\n  - {name: e, args: [--step_name, a]}\n\
             \x20 - {name: f, args: [--step_name, a]}\n  - {name: g, args: [--step_name, g, x]}\n\
             \x20 - {name: h, args: [--step_name, h, y]}\n  - {name: 'i j'}\n\
             \x20 - {name: k, args: [--step_name, k]}\n  - {name: l, args: [--step_name, k]}\n"
                .into(),
        ));
        for (name, text) in texts {
            if let Ok((p, _)) = crate::load_ir(&text, &name, &build) {
                out.push((name, p));
            }
        }
        out
    }

    /// A copy of an alike step's taskSpec with the name put in is the step's own taskSpec.
    #[test]
    fn a_renamed_spec_is_the_steps_own() {
        let mut copies = 0;
        for (name, p) in pipelines() {
            let first = first_alike(&p);
            for (i, s) in p.steps().iter().enumerate() {
                let Ok(own) = task::spec(&p, s) else { continue };
                if first[i] != i {
                    let copy = renamed(&task::spec(&p, &p.steps()[first[i]]).unwrap(), s);
                    assert_eq!(copy, own, "{name} {}", s.name());
                    copies += 1;
                }
            }
        }
        assert!(copies > 20, "{copies}");
    }

    #[test]
    fn near_misses_are_not_alike() {
        let (_, p) = pipelines().into_iter().find(|(n, _)| n == "near.yaml").unwrap();
        assert_eq!(first_alike(&p), [0, 0, 2, 3, 4, 4, 6, 7, 8, 9, 10]);
    }
}
