//! What the tasks of a DAG have in common, written once: module constants for the shared
//! values and `default_args` for the most common ones, so each operator call says only what is
//! its own. This is what makes a large DAG file quick to import: Airflow re-parses it on every
//! DAG-processor loop, and building thousands of `V1EnvVar` objects (each copies the Kubernetes
//! client's configuration) and one `>>` per edge is where the time went.

use std::collections::BTreeMap;
use std::hash::Hash;
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::task::{Args, Entries, Operator};
use super::{DefaultArgs, EnvPair, Pairs, Shared, TaskContext, TaskEnv, TaskMore, TaskPod};

/// Splits `tasks` into the shared constants, `default_args` and each task's own arguments.
/// `namespace` is the pipeline's (templated): the same for every pod.
pub fn share(tasks: Vec<Operator>, namespace: Option<String>) -> (Shared, DefaultArgs, Vec<TaskContext>) {
    let dict_envs: Vec<&Vec<_>> = tasks.iter().filter(|t| !t.env_ordered).map(|t| &*t.env).collect();
    // JSON values do not hash: count base pods by their text, written once per `Rc` in a row
    // (the operators of alike steps share their first one's).
    let mut pod_specs: Vec<Option<Rc<String>>> = Vec::with_capacity(tasks.len());
    for (i, t) in tasks.iter().enumerate() {
        let same = i > 0 && matches!((&tasks[i - 1].full_pod_spec, &t.full_pod_spec), (Some(a), Some(b)) if Rc::ptr_eq(a, b));
        let text = if same { pod_specs[i - 1].clone() } else { t.full_pod_spec.as_ref().map(|v| Rc::new(v.to_string())) };
        pod_specs.push(text);
    }
    let pod_spec = most_common(pod_specs.iter())
        .and_then(|text| pod_specs.iter().position(|p| p == text))
        .and_then(|i| tasks[i].full_pod_spec.as_deref().cloned());
    let shared = Shared {
        env: most_common(dict_envs.iter().copied()).cloned(),
        secrets: most_common(tasks.iter().map(|t| &*t.secrets)).filter(|s| !s.is_empty()).cloned(),
        container_resources: most_common(tasks.iter().map(|t| &t.container_resources))
            .and_then(|r| r.as_deref().cloned()),
        full_pod_spec: pod_spec,
        args: common_prefix(tasks.iter().map(|t| &t.arguments)),
        labels: common_entries(tasks.iter().map(|t| &t.labels)),
        annotations: common_entries(tasks.iter().map(|t| &t.annotations)),
    };
    let defaults = DefaultArgs {
        namespace,
        image: most_common(tasks.iter().map(|t| &*t.image)).cloned(),
        cmds: most_common(tasks.iter().map(|t| &*t.cmds)).cloned(),
        retries: most_common(tasks.iter().map(|t| &t.retry.retries)).copied(),
        node_selector: all_equal(tasks.iter().map(|t| &t.node_selector)).filter(|m| !m.is_empty()).map(|m| (**m).clone()),
        service_account_name: all_equal(tasks.iter().map(|t| &t.service_account_name)).cloned().flatten(),
        image_pull_secrets: all_equal(tasks.iter().map(|t| &t.image_pull_secrets))
            .filter(|v| !v.is_empty())
            .map(|v| (**v).clone()),
        schedulername: all_equal(tasks.iter().map(|t| &t.schedulername)).cloned().flatten(),
        priority_class_name: all_equal(tasks.iter().map(|t| &t.priority_class_name)).cloned().flatten(),
        termination_grace_period: all_equal(tasks.iter().map(|t| &t.termination_grace_period)).copied().flatten(),
        retry_delay_seconds: all_equal(tasks.iter().map(|t| &t.retry.retry_delay_seconds)).copied().flatten(),
        retry_exponential_backoff: all_equal(tasks.iter().map(|t| &t.retry.retry_exponential_backoff))
            .cloned()
            .flatten(),
        execution_timeout_seconds: all_equal(tasks.iter().map(|t| &t.execution_timeout_seconds)).copied().flatten(),
    };
    let tasks = tasks.into_iter().map(|t| own(t, &shared, &defaults)).collect();
    (shared, defaults, tasks)
}

/// What task `t` sets itself. A field `default_args` has is written when the task differs
/// (an empty value explicitly: `secrets=[]`, `container_resources=None`); one it does not
/// have is written when the task has a value, as before sharing.
fn own(t: Operator, shared: &Shared, d: &DefaultArgs) -> TaskContext {
    let pod = TaskPod {
        secrets: (shared.secrets.as_ref() != Some(&*t.secrets) && !(shared.secrets.is_none() && t.secrets.is_empty()))
            .then(|| Rc::unwrap_or_clone(t.secrets)),
        no_container_resources: shared.container_resources.is_some() && t.container_resources.is_none(),
        container_resources: t
            .container_resources
            .filter(|r| shared.container_resources.as_ref() != Some(&**r))
            .map(Rc::unwrap_or_clone),
        node_selector: unless_default(Some(t.node_selector), d.node_selector.is_some())
            .map(Rc::unwrap_or_clone)
            .unwrap_or_default(),
    };
    let more = TaskMore {
        service_account_name: unless_default(t.service_account_name, d.service_account_name.is_some()),
        image_pull_secrets: unless_default(Some(t.image_pull_secrets), d.image_pull_secrets.is_some())
            .map(Rc::unwrap_or_clone)
            .unwrap_or_default(),
        schedulername: unless_default(t.schedulername, d.schedulername.is_some()),
        priority_class_name: unless_default(t.priority_class_name, d.priority_class_name.is_some()),
        termination_grace_period: unless_default(t.termination_grace_period, d.termination_grace_period.is_some()),
        no_full_pod_spec: shared.full_pod_spec.is_some() && t.full_pod_spec.is_none(),
        full_pod_spec: t.full_pod_spec.filter(|p| shared.full_pod_spec.as_ref() != Some(&**p)).map(Rc::unwrap_or_clone),
        retries: differs(&t.retry.retries, d.retries.as_ref()).then_some(t.retry.retries),
        retry_delay_seconds: unless_default(t.retry.retry_delay_seconds, d.retry_delay_seconds.is_some()),
        retry_exponential_backoff: unless_default(t.retry.retry_exponential_backoff, d.retry_exponential_backoff.is_some()),
        execution_timeout_seconds: unless_default(t.execution_timeout_seconds, d.execution_timeout_seconds.is_some()),
    };
    let image = differs(&*t.image, d.image.as_ref()).then(|| Rc::unwrap_or_clone(t.image));
    let cmds = differs(&*t.cmds, d.cmds.as_ref()).then(|| Rc::unwrap_or_clone(t.cmds));
    let env = env(t.env, t.env_ordered, shared.env.as_ref());
    let pod = (pod != TaskPod::default()).then_some(pod);
    let more = (more != TaskMore::default()).then_some(more);
    TaskContext {
        plain: image.is_none() && cmds.is_none() && env.is_none() && pod.is_none() && more.is_none(),
        image,
        cmds,
        arguments: t.arguments.into_tail(shared.args.len()),
        env,
        pod,
        labels: without(t.labels, &shared.labels),
        annotations: without(t.annotations, &shared.annotations),
        more,
        upstream: t.upstream,
        task_id: t.task_id,
        name: t.name,
    }
}

/// The task's value unless it is the default (fields with a most common default).
fn differs<T: PartialEq>(value: &T, default: Option<&T>) -> bool {
    default != Some(value)
}

/// The task's value of a field every task agrees on when `default_args` has it: nothing.
fn unless_default<T>(value: Option<T>, in_default_args: bool) -> Option<T> {
    if in_default_args {
        None
    } else {
        value
    }
}

/// The task's `env_vars`: `None` when it is `_ENV`; `{**_ENV, …}` with what it adds or changes
/// when it has every variable of `_ENV` (a dict's order does not matter: no value refers to
/// another); else the whole environment, as a dict or, when `ordered`, a `V1EnvVar` list.
fn env(vars: Rc<Vec<EnvPair>>, ordered: bool, shared: Option<&Vec<EnvPair>>) -> Option<TaskEnv> {
    let whole = |vars: Rc<Vec<EnvPair>>| {
        let vars = Rc::try_unwrap(vars).unwrap_or_else(|vars| (*vars).clone());
        Some(TaskEnv { extends_shared: false, ordered, vars })
    };
    if ordered {
        return whole(vars);
    }
    let Some(shared) = shared else { return whole(vars) };
    if *vars == *shared {
        return None;
    }
    let names: FxHashSet<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    if !shared.iter().all(|s| names.contains(s.name.as_str())) {
        return whole(vars);
    }
    let same: FxHashSet<&EnvPair> = shared.iter().collect();
    let vars = vars.iter().filter(|v| !same.contains(v)).cloned().collect();
    Some(TaskEnv { extends_shared: true, ordered, vars })
}

/// The value most of `values` have, if at least two have it; the first of them on a tie.
fn most_common<'a, T: Eq + Hash + 'a>(values: impl Iterator<Item = &'a T>) -> Option<&'a T> {
    let mut counts: FxHashMap<&T, (usize, usize)> = FxHashMap::default();
    // Alike steps come in runs holding one value (`Rc`): a run is counted at once, hashed once.
    let mut run: Option<(&T, usize, usize)> = None;
    for (i, v) in values.enumerate() {
        match &mut run {
            Some((first, _, n)) if std::ptr::eq(*first, v) || *first == v => *n += 1,
            _ => {
                if let Some((first, start, n)) = run.replace((v, i, 1)) {
                    counts.entry(first).or_insert((0, start)).0 += n;
                }
            }
        }
    }
    if let Some((first, start, n)) = run {
        counts.entry(first).or_insert((0, start)).0 += n;
    }
    // Most tasks first, then the earliest: deterministic whatever the hash order.
    counts
        .into_iter()
        .filter(|(_, (n, _))| *n >= 2)
        .max_by(|(_, (n, i)), (_, (m, j))| n.cmp(m).then(j.cmp(i)))
        .map(|(v, _)| v)
}

/// The value all of `values` have, if there are at least two; `None` when they differ.
fn all_equal<'a, T: PartialEq + 'a>(mut values: impl Iterator<Item = &'a T>) -> Option<&'a T> {
    let first = values.next()?;
    let mut count = 1;
    values.all(|v| {
        count += 1;
        v == first
    })
    .then_some(first)
    .filter(|_| count >= 2)
}

/// The arguments every task starts with; none for fewer than two tasks.
fn common_prefix<'a>(mut lists: impl Iterator<Item = &'a Args>) -> Vec<String> {
    let Some(first) = lists.next() else { return Vec::new() };
    let mut lists = lists.peekable();
    if lists.peek().is_none() {
        return Vec::new();
    }
    let len = lists.fold(first.len(), |len, l| (0..len.min(l.len())).take_while(|&i| first.get(i) == l.get(i)).count());
    (0..len).filter_map(|i| first.get(i).cloned()).collect()
}

/// The key-value pairs every map has; none for fewer than two maps.
fn common_entries<'a>(mut maps: impl Iterator<Item = &'a Entries>) -> BTreeMap<String, String> {
    let Some(first) = maps.next() else { return BTreeMap::new() };
    let mut common = first.to_map();
    let mut count = 1;
    let mut last = first;
    for m in maps {
        count += 1;
        // The maps of alike steps differ from the one before only in their replaced entry.
        let as_last = m.same_base(last) && m.set_key().is_none_or(|k| !common.contains_key(k));
        if !as_last {
            common.retain(|k, v| m.get(k) == Some(v));
        }
        last = m;
    }
    if count < 2 {
        common.clear();
    }
    common
}

/// `map` without the entries `shared` has.
fn without(map: Entries, shared: &BTreeMap<String, String>) -> Pairs {
    map.into_pairs(|k, v| shared.get(k).map(String::as_str) != Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn shared_means_two_tasks_or_more() {
        assert_eq!(most_common(["b", "a", "a", "b", "c"].iter()), Some(&"b"), "a tie: the first seen");
        assert_eq!(most_common(["c", "a", "a"].iter()), Some(&"a"));
        assert_eq!(most_common(["a", "a", "b", "b", "b", "a", "a"].iter()), Some(&"a"), "runs add up");
        assert_eq!(most_common(["c", "b", "b", "a", "a", "a", "b"].iter()), Some(&"b"), "a tie of runs: the first seen");
        assert_eq!(most_common(["a", "b", "c"].iter()), None);
        assert_eq!(most_common(std::iter::empty::<&u32>()), None);
        assert_eq!(all_equal([1, 1].iter()), Some(&1));
        assert_eq!(all_equal([1, 2].iter()), None);
        assert_eq!(all_equal([1].iter()), None);
        let one = BTreeMap::from([("k".to_string(), "v".to_string())]);
        let entries = Entries::from(one.clone());
        assert!(common_entries([&entries].into_iter()).is_empty());
        assert_eq!(common_entries([&entries, &entries].into_iter()), one);
    }

    #[test]
    fn common_entries_of_alike_maps_compare_the_replaced_entry() {
        let map = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        let first = Entries::from(map(&[("a", "1"), ("s", "x")]));
        let [y, y2, z] = [first.replaced("s", "y"), first.replaced("s", "y"), first.replaced("s", "z")];
        assert_eq!(common_entries([&y, &y2].into_iter()), map(&[("a", "1"), ("s", "y")]));
        assert_eq!(common_entries([&y, &y2, &z].into_iter()), map(&[("a", "1")]));
        assert_eq!(common_entries([&first, &y, &y2].into_iter()), map(&[("a", "1")]));
        assert_eq!(common_entries([&y, &first.replaced("a", "2")].into_iter()), BTreeMap::new());
    }

    #[test]
    fn common_prefix_stops_at_the_first_difference() {
        let first = strings(&["--x", "1", "--step", "a"]);
        let [a, b, c] = [first.clone(), strings(&["--x", "1", "--step", "b"]), strings(&["--x", "2"])].map(Args::from);
        assert_eq!(common_prefix([&a, &b].into_iter()), strings(&["--x", "1", "--step"]));
        assert_eq!(common_prefix([&a, &b, &c].into_iter()), strings(&["--x"]));
        assert_eq!(common_prefix([&a, &a].into_iter()), first);
        assert_eq!(common_prefix([&a].into_iter()), Vec::<String>::new());
        assert_eq!(common_prefix(std::iter::empty()), Vec::<String>::new());
    }

    #[test]
    fn env_extends_the_shared_dict_only_when_it_has_every_variable() {
        let pair = |n: &str, v: &str| EnvPair { name: n.into(), value: v.into() };
        let shared = vec![pair("A", "1"), pair("B", "2")];
        assert!(env(Rc::new(shared.clone()), false, Some(&shared)).is_none());
        let changed = env(Rc::new(vec![pair("A", "1"), pair("B", "3"), pair("C", "4")]), false, Some(&shared)).unwrap();
        assert!(changed.extends_shared);
        assert_eq!(changed.vars, vec![pair("B", "3"), pair("C", "4")]);
        let missing = env(Rc::new(vec![pair("A", "1")]), false, Some(&shared)).unwrap();
        assert!(!missing.extends_shared);
        assert_eq!(missing.vars, vec![pair("A", "1")]);
        let ordered = env(Rc::new(shared.clone()), true, Some(&shared)).unwrap();
        assert!(ordered.ordered && !ordered.extends_shared);
        assert_eq!(ordered.vars, shared);
    }
}
