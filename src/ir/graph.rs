//! The step graph: unknown upstreams, cycles (printed as a chain), stable topological order.

use std::collections::{HashMap, HashSet};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::error::{Error, ErrorKind, Result};

/// A step as the graph sees it: name, upstream names, and the path of its upstream list.
pub struct Node<'a> {
    pub name: &'a str,
    /// Path of the step itself, for duplicate names.
    pub path: &'a str,
    pub upstream: &'a [String],
    pub upstream_path: &'a str,
}

/// Returns the indices of `nodes` in topological order; among steps that are ready at the
/// same time the input order wins, so the output follows the snapshot wherever it can.
pub fn order(nodes: &[Node<'_>]) -> Result<Vec<usize>> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        if index.insert(n.name, i).is_some() {
            return Err(Error::new(ErrorKind::DuplicateStep { step: n.name.to_string() }).at(n.path));
        }
    }
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(nodes.len(), nodes.len());
    let ids: Vec<NodeIndex> = (0..nodes.len()).map(|i| graph.add_node(i)).collect();
    for (i, n) in nodes.iter().enumerate() {
        // Edges into `i` come only from its own list, so duplicates are found there (petgraph's
        // `update_edge` would scan the upstream's edges each time: quadratic on a wide fan-out).
        let mut seen = HashSet::with_capacity(n.upstream.len());
        for (j, up) in n.upstream.iter().enumerate() {
            let Some(&u) = index.get(up.as_str()) else {
                return Err(Error::new(ErrorKind::UnknownUpstream {
                    step: n.name.to_string(),
                    upstream: up.clone(),
                    known: nodes.iter().map(|n| n.name.to_string()).collect(),
                })
                .at(format!("{}[{j}]", n.upstream_path)));
            };
            if u == i {
                return Err(Error::new(ErrorKind::Cycle { chain: vec![up.clone(), up.clone()] })
                    .at(format!("{}[{j}]", n.upstream_path)));
            }
            if seen.insert(u) {
                graph.add_edge(ids[u], ids[i], ());
            }
        }
    }
    // Kahn's algorithm with the smallest ready input index first.
    let mut indegree: Vec<usize> =
        ids.iter().map(|&id| graph.neighbors_directed(id, petgraph::Incoming).count()).collect();
    let mut ready: std::collections::BTreeSet<usize> = (0..nodes.len()).filter(|&i| indegree[i] == 0).collect();
    let mut out = Vec::with_capacity(nodes.len());
    while let Some(i) = ready.pop_first() {
        out.push(i);
        for next in graph.neighbors_directed(ids[i], petgraph::Outgoing) {
            let j = graph[next];
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.insert(j);
            }
        }
    }
    if out.len() < nodes.len() {
        return Err(cycle_error(&graph, nodes));
    }
    Ok(out)
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
        .at(nodes[chain[1]].upstream_path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: &[(&str, &[&str])]) -> Result<Vec<String>> {
        let ups: Vec<Vec<String>> = steps.iter().map(|(_, u)| u.iter().map(|s| s.to_string()).collect()).collect();
        let nodes: Vec<Node> = steps
            .iter()
            .zip(&ups)
            .map(|((n, _), u)| Node { name: n, path: "p", upstream: u, upstream_path: "p" })
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
                .map(|(n, u)| Node { name: n, path: "p", upstream: u, upstream_path: "p" })
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
            .map(|(i, n)| Node { name: n, path: "p", upstream: if i == 0 { &none } else { &root }, upstream_path: "p" })
            .collect();
        assert_eq!(order(&nodes).unwrap().len(), N + 1);
    }

    #[test]
    fn reports_unknown_and_duplicate_steps() {
        assert!(matches!(*run(&[("a", &["zz"])]).unwrap_err().kind, ErrorKind::UnknownUpstream { .. }));
        assert!(matches!(*run(&[("a", &[]), ("a", &[])]).unwrap_err().kind, ErrorKind::DuplicateStep { .. }));
    }
}
