//! Steps that differ only in their name share one container template, which gets the name as
//! input parameters: a pipeline of 5,000 alike steps is one template, not 5,000.
//!
//! Argo fills `{{inputs.parameters.x}}` anywhere in a template, metadata included, inserting
//! the value JSON-escaped; the whole template is then templated again with the globals and once
//! more on the pod (`workflow/common/util.go SubstituteParams`, `substitutePodParams`), so a
//! value must never hold `{{`. A name that is a valid label value (`[A-Za-z0-9._-]`, the usual
//! Python identifier) has no `{`, `$`, quote or newline: one parameter serves the argument,
//! the label and the annotation. Any other name passes each field already escaped as a
//! per-step template would write it: the argument with `$$` and `$(ZENC_LBRACE)`, the label
//! sanitised, the annotation raw (absent when the name holds `{{`).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use serde_json::Value;

use super::step::ArgoText;
use super::{Param, StepTemplate};
use crate::backend::alike::{written_alike, Alike};
use crate::backend::k8s::{self, EnvText, SharedName};
use crate::backend::names;
use crate::error::Result;
use crate::ir::Step;

/// Input of a name that is a valid label value: argument, label and annotation at once.
const STEP_NAME: &str = "step-name";
/// Inputs of any other name: the escaped argument and the sanitised label (the annotation
/// takes `step-name`).
const STEP_ARG: &str = "step-arg";
const STEP_LABEL: &str = "step-label";
/// Name of the first shared template (then `zenml-step-2`, …).
const SHARED: &str = "zenml-step";

/// `{{inputs.parameters.<name>}}`.
pub fn input_ref(name: &str) -> String {
    format!("{{{{inputs.parameters.{name}}}}}")
}

/// The container templates and, per step, the template it runs and its arguments.
pub struct Shared {
    pub templates: Vec<StepTemplate>,
    /// Per step, in step order: template name and the values of its inputs.
    pub uses: Vec<(SharedName, Vec<Param>)>,
}

/// Groups the per-step templates (named after their tasks) by what they hold besides the step
/// name, in first-use order. A group of one keeps its step's template as it was; a larger one
/// becomes a template named `zenml-step` (`-2`, … for further groups; never a name in `taken`).
///
/// `check` sees the first step of each group with its own template: the others differ only in
/// fields zenc fills with the name, never with `{{`, so they get the same verdict.
///
/// `lower(i)` is step `i`'s own template. A step alike an earlier one that took the one input
/// `step-name` (`alike`: the usual case) is not lowered: it joins that step's group with its
/// name as the value, as its own template, parametrized, would have.
pub fn share(
    steps: &[Step],
    mut lower: impl FnMut(usize) -> Result<StepTemplate>,
    taken: &mut HashSet<String>,
    check: impl Fn(&Step, &StepTemplate) -> Result<()>,
) -> Result<Shared> {
    struct Group {
        template: StepTemplate,
        task_name: String,
        first_args: Vec<Param>,
        members: usize,
    }
    // Groups by hash of the text fields; within a hash, by `same` (what the template writes).
    let mut keys: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let mut groups: Vec<Group> = Vec::new();
    let mut uses: Vec<(usize, Vec<Param>)> = Vec::with_capacity(steps.len());
    let mut alike = Alike::templates();
    // Per step lowered in full: its group.
    let mut group_of: Vec<usize> = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        if let Some(first) = alike.find(steps, i) {
            let g = group_of[first];
            groups[g].members += 1;
            group_of.push(g);
            uses.push((g, vec![Param { name: STEP_NAME, value: Some(s.name().to_string()) }]));
            continue;
        }
        let mut t = lower(i)?;
        let args = parametrize(s, &mut t);
        let plain = matches!(&args[..], [Param { name: STEP_NAME, value: Some(v) }] if v == s.name());
        let task_name = std::mem::take(&mut t.name);
        let candidates = keys.entry(key_hash(&t)).or_default();
        let g = if let Some(&g) = candidates.iter().find(|&&g| same(&groups[g].template, &t)) {
            g
        } else {
            let mut own = t.clone();
            fill(&mut own, &args);
            check(s, &own)?;
            groups.push(Group { template: t, task_name, first_args: args.clone(), members: 0 });
            candidates.push(groups.len() - 1);
            groups.len() - 1
        };
        groups[g].members += 1;
        group_of.push(g);
        if plain {
            alike.register(steps, i);
        }
        uses.push((g, args));
    }
    taken.extend(groups.iter().filter(|g| g.members == 1).map(|g| g.task_name.clone()));
    let mut shared = 0;
    let templates: Vec<StepTemplate> = groups
        .into_iter()
        .map(|mut g| {
            if g.members == 1 {
                fill(&mut g.template, &g.first_args);
                g.template.inputs.clear();
                g.template.name = g.task_name;
            } else {
                shared += 1;
                let base = if shared == 1 { SHARED.to_string() } else { format!("{SHARED}-{shared}") };
                g.template.name = unique_name(&base, taken);
            }
            g.template
        })
        .collect();
    let names: Vec<SharedName> = templates.iter().map(|t| SharedName::from(t.name.as_str())).collect();
    let uses = uses
        .into_iter()
        .map(|(g, args)| (names[g].clone(), if templates[g].inputs.is_empty() { Vec::new() } else { args }))
        .collect();
    Ok(Shared { templates, uses })
}

/// Hash of the fields steps usually differ in (what `same` compares, less the JSON values).
fn key_hash(t: &StepTemplate) -> u64 {
    let mut h = FxHasher::default();
    (&t.inputs, &t.labels, &t.annotations, &t.image, &t.command, &t.args, &t.node_selector).hash(&mut h);
    for e in &t.env {
        (&e.name, &e.value).hash(&mut h);
    }
    (&t.service_account_name, &t.scheduler_name, &t.priority_class_name, &t.pod_spec_patch).hash(&mut h);
    t.active_deadline_seconds.hash(&mut h);
    h.finish()
}

/// Whether two templates are written alike. `==` on JSON values takes `0.0` and `-0.0` for one
/// number, so those are compared as written too.
fn same(a: &StepTemplate, b: &StepTemplate) -> bool {
    a == b && values(a).zip(values(b)).all(|(x, y)| written_alike(x, y))
}

/// Every JSON value of a template, in a fixed order.
fn values(t: &StepTemplate) -> impl Iterator<Item = &Value> {
    let env = t.env.iter().filter_map(|e| e.value_from.as_ref());
    let one = t.security_context.iter().chain(&t.affinity);
    t.env_from.iter().chain(&t.volume_mounts).chain(&t.tolerations).chain(&t.volumes).chain(one).chain(env)
}

/// `base`, or `base-2`, `base-3`, … : the first not in `taken` (then taken).
pub fn unique_name(base: &str, taken: &mut HashSet<String>) -> String {
    let mut name = base.to_string();
    let mut n = 1;
    while taken.contains(&name) {
        n += 1;
        name = format!("{base}-{n}");
    }
    taken.insert(name.clone());
    name
}

/// Replaces the step name in `t`'s `--step_name` argument, `zenml.io/step` label and
/// `zenml.io/step-name` annotation by input references; returns the inputs' values. A field
/// that does not hold what zenc writes for the name (a pod-settings label of that key) stays.
fn parametrize(s: &Step, t: &mut StepTemplate) -> Vec<Param> {
    let name = s.name();
    let plain = !name.is_empty() && names::is_label_value(name);
    // A template that already holds `{{` in an annotation (pod settings) is the user's
    // templating, which `check` must see and refuse: parametrizing would let Argo fill it.
    if !(plain || quotes_as_json(name)) || t.annotations.values().any(|v| v.contains("{{")) {
        t.inputs.clear();
        return Vec::new();
    }
    let (arg_input, label_input) = if plain { (STEP_NAME, STEP_NAME) } else { (STEP_ARG, STEP_LABEL) };
    let mut params: Vec<Param> = Vec::new();
    let mut use_input = |input: &'static str, value: String| {
        if !params.iter().any(|p| p.name == input) {
            params.push(Param { name: input, value: Some(value) });
        }
        input_ref(input)
    };
    let arg = ArgoText.literal(name);
    for i in 1..t.args.len() {
        if t.args[i - 1] == "--step_name" && t.args[i] == arg {
            t.args[i] = use_input(arg_input, arg.clone());
        }
    }
    let [_, _, step_label] = crate::ir::POD_SELECTOR_LABELS;
    let label = names::label_value(name);
    if let Some(v) = t.labels.get_mut(step_label).filter(|v| **v == label) {
        *v = use_input(label_input, label);
    }
    if let Some(v) = t.annotations.get_mut(k8s::STEP_NAME_ANNOTATION).filter(|v| *v == name) {
        *v = use_input(STEP_NAME, name.to_string());
    }
    params.sort_by_key(|p| p.name);
    t.inputs = params.iter().map(|p| Param { name: p.name, value: None }).collect();
    params
}

/// Whether Argo's insertion of `name` into the template's JSON gives valid JSON. Argo escapes a
/// parameter value with Go's `strconv.Quote`, which writes `\a`, `\v`, `\xNN` (other C0
/// controls, DEL) and `\UXXXXXXXX` (non-printable characters above U+FFFF): none of them is
/// JSON, so such a name keeps a template of its own, where it is plain YAML text.
fn quotes_as_json(name: &str) -> bool {
    name.chars().all(|c| {
        matches!(c, '\u{8}' | '\t' | '\n' | '\u{c}' | '\r') || (c >= ' ' && c != '\u{7f}' && c < '\u{10000}')
    })
}

/// Argo's input substitution on the fields `parametrize` replaced: `parametrize` undone.
fn fill(t: &mut StepTemplate, params: &[Param]) {
    for p in params {
        let (placeholder, value) = (input_ref(p.name), p.value.clone().unwrap_or_default());
        let fields = t.args.iter_mut().chain(t.labels.values_mut()).chain(t.annotations.values_mut());
        for v in fields.filter(|v| **v == placeholder) {
            v.clone_from(&value);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::backend::alike::written_alike;

    #[test]
    fn values_equal_but_written_differently_are_told_apart() {
        let (a, b) = (json!({"w": [-0.0]}), json!({"w": [0.0]}));
        assert_eq!(a, b, "serde_json's == takes them for one value");
        assert_ne!(a.to_string(), b.to_string());
        assert!(!written_alike(&a, &b));
        assert!(written_alike(&json!({"w": [1, 2.5, "x"]}), &json!({"w": [1, 2.5, "x"]})));
    }
}
