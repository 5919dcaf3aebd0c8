//! The step graph: unknown upstreams, cycles (printed as a chain), stable topological order,
//! and whether the steps are totally ordered.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Pipeline, Step};

/// A step as the graph sees it: name, upstream names, and the path of its upstream list.
pub struct Node<'a> {
    pub name: &'a str,
    /// Path of the step itself, for duplicate names.
    pub path: &'a str,
    pub upstream: &'a [String],
    /// Path of the upstream list in two parts (the step's path and a tail), joined only for
    /// an error.
    pub upstream_path: [&'a str; 2],
}

/// Returns the indices of `nodes` in topological order; among steps that are ready at the
/// same time the input order wins, so the output follows the snapshot wherever it can.
pub fn order(nodes: &[Node<'_>]) -> Result<Vec<usize>> {
    let mut index: FxHashMap<&str, usize> = FxHashMap::with_capacity_and_hasher(nodes.len(), rustc_hash::FxBuildHasher);
    for (i, n) in nodes.iter().enumerate() {
        if index.insert(n.name, i).is_some() {
            return Err(Error::new(ErrorKind::DuplicateStep { step: n.name.to_string() }).at(n.path));
        }
    }
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(nodes.len(), nodes.len());
    let ids: Vec<NodeIndex> = (0..nodes.len()).map(|i| graph.add_node(i)).collect();
    // Edges into `i` come only from its own list, so duplicates are found there (petgraph's
    // `update_edge` would scan the upstream's edges each time: quadratic on a wide fan-out):
    // `edge_to[u]` is the last step an edge from `u` was added to (no set per step).
    let mut edge_to: Vec<usize> = vec![usize::MAX; nodes.len()];
    // Counted as the edges are added (petgraph counts by walking each node's edge list).
    let mut indegree: Vec<usize> = vec![0; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        for (j, up) in n.upstream.iter().enumerate() {
            let Some(&u) = index.get(up.as_str()) else {
                return Err(Error::new(ErrorKind::UnknownUpstream {
                    step: n.name.to_string(),
                    upstream: up.clone(),
                    known: nodes.iter().map(|n| n.name.to_string()).collect(),
                })
                .at(format!("{}[{j}]", n.upstream_path.concat())));
            };
            if u == i {
                return Err(Error::new(ErrorKind::Cycle { chain: vec![up.clone(), up.clone()] })
                    .at(format!("{}[{j}]", n.upstream_path.concat())));
            }
            if edge_to[u] != i {
                edge_to[u] = i;
                graph.add_edge(ids[u], ids[i], ());
                indegree[i] += 1;
            }
        }
    }
    // Kahn's algorithm with the smallest ready input index first (each index enters the heap
    // once, when its last upstream is out).
    let mut ready: BinaryHeap<Reverse<usize>> = (0..nodes.len()).filter(|&i| indegree[i] == 0).map(Reverse).collect();
    let mut out = Vec::with_capacity(nodes.len());
    while let Some(Reverse(i)) = ready.pop() {
        out.push(i);
        for next in graph.neighbors_directed(ids[i], petgraph::Outgoing) {
            let j = graph[next];
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.push(Reverse(j));
            }
        }
    }
    if out.len() < nodes.len() {
        return Err(cycle_error(&graph, nodes));
    }
    Ok(out)
}

impl Pipeline {
    /// Two steps neither of which reaches the other (they may run at the same time), if any.
    ///
    /// The engines' failure policies differ only in what happens to steps that are running or
    /// could still start independently of a failed one; when every pair of steps is ordered at
    /// most one step runs at a time and every policy behaves alike. See `first_unordered`.
    pub fn unordered_pair(&self) -> Option<(&Step, &Step)> {
        let i = first_unordered(self.steps.iter().map(|s| (s.name.as_str(), s.upstream.as_slice())))?;
        Some((&self.steps[i], &self.steps[i + 1]))
    }

    /// True when every two steps are ordered (one reaches the other): a chain, possibly with
    /// extra edges that skip ahead (a triangle `a → b → c`, `a → c` is one).
    pub fn is_totally_ordered(&self) -> bool {
        self.unordered_pair().is_none()
    }
}

/// Given steps in a topological order as `(name, upstream names)`, the index `i` of the first
/// consecutive pair `i`, `i + 1` not joined by an edge, if any. Time linear in steps + edges.
///
/// All pairs are ordered iff each consecutive pair of the topological order is joined by an
/// edge: then those edges form a path through every step. Conversely, if `i` reaches `i + 1`,
/// every step on the way sits between them in the order, so there is none: the edge is direct.
/// So a consecutive pair without an edge is a pair neither of which reaches the other.
pub fn first_unordered<'a, I>(steps: I) -> Option<usize>
where
    I: IntoIterator<Item = (&'a str, &'a [String])>,
{
    let mut steps = steps.into_iter();
    let (mut previous, _) = steps.next()?;
    for (i, (name, upstream)) in steps.enumerate() {
        if !upstream.iter().any(|u| u == previous) {
            return Some(i);
        }
        previous = name;
    }
    None
}

/// Finds one cycle and prints it in edge order, starting at its first step in input order.
/// Iterative throughout: a cycle may be as long as the pipeline (petgraph's `tarjan_scc`
/// recurses once per step and overflows the stack on a 100,000-step cycle).
fn cycle_error(graph: &DiGraph<usize, ()>, nodes: &[Node<'_>]) -> Error {
    let scc = kosaraju_scc(graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .min_by_key(|c| c.iter().map(|&n| graph[n]).min())
        .expect("an incomplete topological sort implies a cycle");
    let mut member = vec![false; nodes.len()];
    for &n in &scc {
        member[graph[n]] = true;
    }
    let start = scc.iter().map(|&n| graph[n]).min().expect("non-empty component");
    // Walk downstream inside the component, always to the smallest member, until a repeat.
    let mut position: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut chain = vec![start];
    position[start] = Some(0);
    let mut current = start;
    loop {
        // Node `i` was added `i`-th, so its index is `i`.
        let next = graph
            .neighbors_directed(NodeIndex::new(current), petgraph::Outgoing)
            .map(|n| graph[n])
            .filter(|&j| member[j])
            .min()
            .expect("every member of a cycle has a successor in it");
        if let Some(pos) = position[next] {
            chain.drain(..pos);
            chain.push(next);
            break;
        }
        position[next] = Some(chain.len());
        chain.push(next);
        current = next;
    }
    // The edge first -> second is declared in the second step's upstream list.
    Error::new(ErrorKind::Cycle { chain: chain.iter().map(|&i| nodes[i].name.to_string()).collect() })
        .at(nodes[chain[1]].upstream_path.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: &[(&str, &[&str])]) -> Result<Vec<String>> {
        let ups: Vec<Vec<String>> =
            steps.iter().map(|(_, u)| u.iter().map(std::string::ToString::to_string).collect()).collect();
        let nodes: Vec<Node> = steps
            .iter()
            .zip(&ups)
            .map(|((n, _), u)| Node { name: n, path: "p", upstream: u, upstream_path: ["p", ""] })
            .collect();
        order(&nodes).map(|o| o.into_iter().map(|i| steps[i].0.to_string()).collect())
    }

    #[test]
    fn keeps_input_order_when_free() {
        assert_eq!(run(&[("a", &[]), ("c", &["a"]), ("b", &["a"]), ("d", &["b", "c"])]).unwrap(), ["a", "c", "b", "d"]);
    }

    #[test]
    fn sorts_out_of_order_input() {
        assert_eq!(run(&[("d", &["b", "c"]), ("c", &["a"]), ("b", &["a"]), ("a", &[])]).unwrap(), ["a", "c", "b", "d"]);
    }

    #[test]
    fn keeps_every_edge_when_an_upstream_repeats() {
        // `a` twice in one list is one edge; the next step's edge from `a` is still made.
        assert_eq!(run(&[("b", &["a", "a"]), ("c", &["a"]), ("a", &[])]).unwrap(), ["a", "b", "c"]);
        assert_eq!(run(&[("a", &[]), ("b", &["a", "a"]), ("c", &["b", "a", "b"])]).unwrap(), ["a", "b", "c"]);
    }

    #[test]
    fn reports_cycles_as_chains() {
        let err = run(&[("x", &[]), ("a", &["c"]), ("b", &["a"]), ("c", &["b"])]).unwrap_err();
        assert_eq!(*err.kind, ErrorKind::Cycle { chain: ["a", "b", "c", "a"].map(String::from).to_vec() });
        let err = run(&[("a", &["a"])]).unwrap_err();
        assert_eq!(*err.kind, ErrorKind::Cycle { chain: ["a", "a"].map(String::from).to_vec() });
    }

    /// A test thread's default stack (2 MiB): recursion once per step would overflow it.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap()
    }

    #[test]
    fn finds_a_100k_step_cycle_without_recursion() {
        const N: usize = 100_000;
        let err = on_small_stack(|| {
            let names: Vec<String> = (0..N).map(|i| format!("s{i}")).collect();
            let ups: Vec<Vec<String>> = (0..N).map(|i| vec![names[(i + N - 1) % N].clone()]).collect();
            let nodes: Vec<Node> = names
                .iter()
                .zip(&ups)
                .map(|(n, u)| Node { name: n, path: "p", upstream: u, upstream_path: ["p", ""] })
                .collect();
            order(&nodes).unwrap_err()
        });
        let ErrorKind::Cycle { chain } = &*err.kind else { panic!("{err}") };
        assert_eq!(chain.len(), N + 1);
        assert_eq!((chain[0].as_str(), chain[1].as_str(), chain[N].as_str()), ("s0", "s1", "s0"));
    }

    #[test]
    fn a_wide_fan_out_builds_in_linear_time() {
        // One step feeding 100,000: each edge is added once, duplicates still collapse.
        const N: usize = 100_000;
        let names: Vec<String> = std::iter::once("root".to_string()).chain((0..N).map(|i| format!("s{i}"))).collect();
        let root = vec!["root".to_string(), "root".to_string()];
        let none: Vec<String> = Vec::new();
        let nodes: Vec<Node> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Node {
                name: n,
                path: "p",
                upstream: if i == 0 { &none } else { &root },
                upstream_path: ["p", ""],
            })
            .collect();
        assert_eq!(order(&nodes).unwrap().len(), N + 1);
    }

    /// `first_unordered` over steps given as (name, upstream) in topological order.
    fn unordered(steps: &[(&str, Vec<String>)]) -> Option<usize> {
        first_unordered(steps.iter().map(|(n, u)| (*n, u.as_slice())))
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(std::string::ToString::to_string).collect()
    }

    #[test]
    fn triangle_is_ordered_diamond_is_not() {
        let triangle =
            [("load", strings(&[])), ("analyze", strings(&["load"])), ("report", strings(&["load", "analyze"]))];
        assert_eq!(unordered(&triangle), None);
        let diamond = [
            ("load", strings(&[])),
            ("left", strings(&["load"])),
            ("right", strings(&["load"])),
            ("join", strings(&["left", "right"])),
        ];
        assert_eq!(unordered(&diamond), Some(1), "left and right are independent");
        assert_eq!(unordered(&[("a", strings(&[])), ("b", strings(&[]))]), Some(0));
        assert_eq!(unordered(&[("only", strings(&[]))]), None);
        assert_eq!(unordered(&[]), None);
    }

    #[test]
    fn long_chains_are_ordered() {
        let names: Vec<String> = (0..100_000).map(|i| format!("s{i}")).collect();
        let chain: Vec<(&str, Vec<String>)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), if i == 0 { vec![] } else { vec![names[i - 1].clone()] }))
            .collect();
        assert_eq!(unordered(&chain), None);
        // Every step also depends on the steps 2, 3 and 7 before it: still one order.
        let skips: Vec<(&str, Vec<String>)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (n.as_str(), [7, 3, 2, 1].iter().filter(|&&d| d <= i).map(|d| names[i - d].clone()).collect())
            })
            .collect();
        assert_eq!(unordered(&skips), None);
        // Drop one link of the chain: the two steps around it are unordered.
        let mut broken = skips.clone();
        broken[50_000].1.retain(|u| *u != names[49_999]);
        assert_eq!(unordered(&broken), Some(49_999));
    }

    /// Against reachability computed the slow way, on every DAG of up to 5 steps whose
    /// input order is a topological order (edges only go forward).
    #[test]
    fn agrees_with_reachability_on_all_small_dags() {
        for n in 1..=5usize {
            let pairs: Vec<(usize, usize)> = (0..n).flat_map(|j| (0..j).map(move |i| (i, j))).collect();
            for mask in 0u32..(1 << pairs.len()) {
                let edges: Vec<(usize, usize)> =
                    pairs.iter().enumerate().filter(|(k, _)| mask & (1 << k) != 0).map(|(_, &e)| e).collect();
                let mut reach = vec![vec![false; n]; n];
                for &(i, j) in &edges {
                    reach[i][j] = true;
                }
                for k in 0..n {
                    for i in 0..n {
                        for j in 0..n {
                            if reach[i][k] && reach[k][j] {
                                reach[i][j] = true;
                            }
                        }
                    }
                }
                let all_ordered = pairs.iter().all(|&(i, j)| reach[i][j]);
                let names: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
                let steps: Vec<(&str, Vec<String>)> = (0..n)
                    .map(|j| {
                        (names[j].as_str(), edges.iter().filter(|e| e.1 == j).map(|e| names[e.0].clone()).collect())
                    })
                    .collect();
                let got = unordered(&steps);
                assert_eq!(got.is_none(), all_ordered, "edges {edges:?}");
                if let Some(i) = got {
                    assert!(!reach[i][i + 1], "edges {edges:?}: s{i} reaches s{}", i + 1);
                }
            }
        }
    }

    #[test]
    fn reports_unknown_and_duplicate_steps() {
        assert!(matches!(*run(&[("a", &["zz"])]).unwrap_err().kind, ErrorKind::UnknownUpstream { .. }));
        assert!(matches!(*run(&[("a", &[]), ("a", &[])]).unwrap_err().kind, ErrorKind::DuplicateStep { .. }));
    }
}
