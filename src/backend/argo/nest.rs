//! Over 200 steps, the DAG nests: Argo 4's CRDs allow at most 200 tasks per DAG template (and
//! 200 templates per Workflow), so the steps run in groups, each a DAG template of its own
//! that the entrypoint DAG runs as one task.
//!
//! Groups come from *level packing*: a step's level is one more than its upstream steps'
//! highest; whole levels are added to the current group while it holds at most 200 steps, a
//! level that does not fit starts a new group, and a level wider than 200 is split into groups
//! of its own (no edges inside a level, so they are siblings). Groups are ranges of levels, so
//! every edge between groups points forward. Inside a group every dependency is exact; across
//! groups a step waits for whole groups — for chains and fans nothing it did not wait for
//! before (it depended on all of them anyway), for other shapes `argo-nested-dag` lists what
//! was added.

use std::collections::HashSet;

use super::share::unique_name;
use super::{codes, DagTask, DagTemplate, WorkflowContext, DAG_TEMPLATE};
use crate::backend::k8s::SharedName;
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::Pipeline;

/// Argo 4's CRD limit on `spec.templates` and on `dag.tasks` of one template (`maxItems`).
pub const MAX_ITEMS: usize = 200;
/// Group edges and steps named in the warning.
const EXAMPLES: usize = 5;

/// How steps were grouped (nothing when they fit in one DAG).
pub struct Partition {
    /// Group names, in order.
    names: Vec<String>,
    /// Step indices per group, in step order.
    members: Vec<Vec<usize>>,
    /// Group of each step.
    group_of: Vec<usize>,
    /// Upstream step indices of each step.
    upstream: Vec<Vec<usize>>,
    /// Groups each group waits for.
    group_deps: Vec<Vec<usize>>,
}

/// The DAG templates for `tasks` (in step order, named after steps, without dependencies yet;
/// `upstream`: the indices of the steps each waits for): the entrypoint alone, or the
/// entrypoint running groups. Group names avoid `taken` (and are then taken).
pub fn nest(
    mut tasks: Vec<DagTask>,
    upstream: Vec<Vec<usize>>,
    fail_fast: bool,
    taken: &mut HashSet<String>,
) -> (Vec<DagTemplate>, Option<Partition>) {
    if tasks.len() <= MAX_ITEMS {
        for i in 0..tasks.len() {
            let deps = upstream[i].iter().map(|&u| tasks[u].name.clone()).collect();
            tasks[i].dependencies = deps;
        }
        return (vec![DagTemplate { name: DAG_TEMPLATE.into(), fail_fast, tasks }], None);
    }
    let members = pack(&upstream);
    let mut group_of = vec![0; tasks.len()];
    for (g, m) in members.iter().enumerate() {
        for &i in m {
            group_of[i] = g;
        }
    }
    let group_deps: Vec<Vec<usize>> = members
        .iter()
        .enumerate()
        .map(|(g, m)| {
            let mut deps: Vec<usize> =
                m.iter().flat_map(|&i| upstream[i].iter().map(|&u| group_of[u])).filter(|&d| d != g).collect();
            deps.sort_unstable();
            deps.dedup();
            deps
        })
        .collect();
    let width = members.len().to_string().len().max(3);
    let names: Vec<String> =
        (1..=members.len()).map(|k| unique_name(&format!("group-{k:0width$}"), taken)).collect();
    let shared: Vec<SharedName> = names.iter().map(|n| SharedName::from(n.as_str())).collect();

    // Inside a group every dependency is exact; across groups the group waits instead.
    for i in 0..tasks.len() {
        let g = group_of[i];
        let deps = upstream[i].iter().filter(|&&u| group_of[u] == g).map(|&u| tasks[u].name.clone()).collect();
        tasks[i].dependencies = deps;
    }
    let mut slots: Vec<Option<DagTask>> = tasks.into_iter().map(Some).collect();
    let mut dags = vec![DagTemplate {
        name: DAG_TEMPLATE.into(),
        fail_fast,
        tasks: shared
            .iter()
            .zip(&group_deps)
            .map(|(name, deps)| DagTask {
                name: name.clone(),
                template: name.clone(),
                dependencies: deps.iter().map(|&d| shared[d].clone()).collect(),
                arguments: Vec::new(),
            })
            .collect(),
    }];
    for (g, m) in members.iter().enumerate() {
        let tasks = m.iter().map(|&i| slots[i].take().expect("each step is in one group")).collect();
        dags.push(DagTemplate { name: names[g].clone(), fail_fast, tasks });
    }
    (dags, Some(Partition { names, members, group_of, upstream, group_deps }))
}

/// At most 200 templates in all: DAGs and container templates.
pub fn check_templates(w: &WorkflowContext) -> Result<()> {
    let templates = w.dags.len() + w.steps.len();
    if templates <= MAX_ITEMS {
        return Ok(());
    }
    Err(Error::new(ErrorKind::Engine {
        code: &codes::TOO_MANY_TEMPLATES,
        message: format!(
            "Argo cannot express this pipeline in one Workflow: it needs {templates} templates ({} DAGs, {} for steps with settings of their own), and Argo 4's CRDs allow at most {MAX_ITEMS}",
            w.dags.len(),
            w.steps.len(),
        ),
        help: "give steps the same image, resources and pod settings where they can share them, or split the pipeline".into(),
    }))
}

/// Level packing (module doc): step indices per group, each group in step order.
fn pack(upstream: &[Vec<usize>]) -> Vec<Vec<usize>> {
    // Steps come in topological order: an upstream's level is known first.
    let mut level = vec![0usize; upstream.len()];
    for i in 0..upstream.len() {
        level[i] = upstream[i].iter().map(|&u| level[u] + 1).max().unwrap_or(0);
    }
    let mut levels: Vec<Vec<usize>> = vec![Vec::new(); level.iter().max().map_or(0, |m| m + 1)];
    for (i, &l) in level.iter().enumerate() {
        levels[l].push(i);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut open = false;
    for steps in levels {
        if steps.len() > MAX_ITEMS {
            groups.extend(steps.chunks(MAX_ITEMS).map(<[usize]>::to_vec));
            open = false;
        } else if open && groups.last().is_some_and(|g| g.len() + steps.len() <= MAX_ITEMS) {
            groups.last_mut().expect("checked").extend(steps);
        } else {
            groups.push(steps);
            open = true;
        }
    }
    for g in &mut groups {
        g.sort_unstable();
    }
    groups
}

impl Partition {
    /// Per step, how many steps it now waits for that it did not depend on (directly or not):
    /// everything in the groups its group waits for, less its own ancestors there.
    pub fn added_waits(&self) -> Vec<usize> {
        let n = self.group_of.len();
        // Bit positions with each group contiguous.
        let mut pos = vec![0; n];
        let mut start = Vec::with_capacity(self.members.len());
        let mut next = 0;
        for m in &self.members {
            start.push(next);
            for &i in m {
                pos[i] = next;
                next += 1;
            }
        }
        // Row `i` holds the ancestors of step `i` by bit position. Groups are ranges of levels,
        // so an ancestor's position is below its descendant's: the row needs only the words up
        // to the step's own position, and the ancestors of `u` sit in the words up to `u`'s own.
        let mut offset = Vec::with_capacity(n + 1);
        offset.push(0);
        for &at in &pos {
            offset.push(offset.last().copied().unwrap_or(0) + at / 64 + 1);
        }
        let mut anc = vec![0u64; offset[n]];
        for i in 0..n {
            for &u in &self.upstream[i] {
                let (before, rest) = anc.split_at_mut(offset[i]);
                let row = &mut rest[..offset[i + 1] - offset[i]];
                let used = pos[u] / 64 + 1;
                for (w, a) in row[..used].iter_mut().zip(&before[offset[u]..offset[u] + used]) {
                    *w |= a;
                }
                row[pos[u] / 64] |= 1 << (pos[u] % 64);
            }
        }
        let groups = self.members.len();
        let mut waited: Vec<HashSet<usize>> = vec![HashSet::new(); groups];
        for g in 0..groups {
            let mut all = HashSet::new();
            for &d in &self.group_deps[g] {
                all.insert(d);
                all.extend(waited[d].iter().copied());
            }
            waited[g] = all;
        }
        let waited_steps: Vec<usize> = waited.iter().map(|w| w.iter().map(|&d| self.members[d].len()).sum()).collect();
        (0..n)
            .map(|i| {
                let g = self.group_of[i];
                // The ancestors outside the step's group come before it.
                let outside = ones_below(&anc[offset[i]..offset[i + 1]], start[g]);
                waited_steps[g] - outside
            })
            .collect()
    }

    /// `argo-nested-dag`, when the grouping makes steps wait for steps they do not depend on.
    pub fn warning(&self, p: &Pipeline) -> Option<Warning> {
        let added = self.added_waits();
        let steps = added.iter().filter(|&&a| a > 0).count();
        if steps == 0 {
            return None;
        }
        let total: usize = added.iter().sum();
        // The first step that waits longer in each of the first groups where one does.
        let mut shown = HashSet::new();
        let examples: Vec<String> = added
            .iter()
            .enumerate()
            .filter(|&(i, &a)| a > 0 && shown.insert(self.group_of[i]))
            .take(EXAMPLES)
            .map(|(i, a)| {
                let g = self.group_of[i];
                let after: Vec<&str> = self.group_deps[g].iter().map(|&d| self.names[d].as_str()).collect();
                format!("`{}` waits for {a} more ({} runs after {})", p.steps()[i].name(), self.names[g], after.join(", "))
            })
            .collect();
        let more = if examples.len() < steps { ", …" } else { "" };
        Some(Warning::new(
            &codes::NESTED_DAG,
            format!(
                "{} steps exceed Argo's {MAX_ITEMS} tasks per DAG: they run as {} nested DAGs ({} … {}), each starting once the groups it depends on have finished; {steps} steps also wait for steps they do not depend on ({total} waits in all), e.g. {}{more}; a failed step also stops every group after its own",
                p.steps().len(),
                self.names.len(),
                self.names[0],
                self.names[self.names.len() - 1],
                examples.join(", "),
            ),
        ))
    }
}

/// Set bits of `row` at positions below `to`: whole words, then the part of the last.
fn ones_below(row: &[u64], to: usize) -> usize {
    let (whole, rest) = (to / 64, to % 64);
    let ones: u32 = row[..whole].iter().map(|w| w.count_ones()).sum();
    let last = if rest == 0 { 0 } else { (row[whole] & ((1u64 << rest) - 1)).count_ones() };
    (ones + last) as usize
}

#[cfg(test)]
mod tests {
    #[test]
    fn ones_below_counts_the_bits_of_a_prefix() {
        let row = [u64::MAX, 0b1011 | 1 << 40, 1 << 63];
        for to in 0..192 {
            let slow = (0..to).filter(|&b| row[b / 64] & (1 << (b % 64)) != 0).count();
            assert_eq!(super::ones_below(&row, to), slow, "..{to}");
        }
    }
}
