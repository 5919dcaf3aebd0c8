//! One step as a KFP executor container: escaping, env, resources.

use std::collections::BTreeMap;

use super::codes;
use crate::backend::dropped::Dropped;
use crate::backend::k8s::{self, EnvEntry, LBRACE};
use crate::backend::kfp::{Accelerator, Container, ResourceSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{EnvValue, Quantity, Step};

/// Escaping for KFP containers: KFP copies env values verbatim and resolves only its own
/// `{{$...}}` placeholders in command/args; Kubernetes then expands `$(VAR)` in all three. KFP
/// runs on Argo, which templates `{{…}}` in the pod spec it is handed, so a `{{` is carried
/// past it as in the Argo target (`k8s::protect_braces`).
pub fn literal(s: &str) -> String {
    k8s::escape_literal(s)
}

/// The container of step `s`; resources KFP has no field for go to `dropped`.
pub fn container(s: &Step, dropped: &mut Dropped) -> Result<Container> {
    // The launcher resolves placeholders in the argv it receives, after Kubernetes turned
    // `$$` back into `$`: doubling dollars does not hide `{{$` from it.
    if s.command().iter().chain(s.args()).any(|t| t.contains("{{$")) {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: "Kubeflow",
            what: format!("`{{{{$` in the command line of step `{}`", s.name()),
            help: "KFP replaces `{{$...}}` placeholders in container command and arguments and has no escape for them; rename the step".into(),
        })
        .at(s.path()));
    }
    LBRACE.reserve(s, "Kubeflow", "`{{` past Argo's templating under KFP")?;
    let command: Vec<String> = s.command().iter().map(|c| literal(c)).collect();
    let args: Vec<String> = s.args().iter().map(|a| literal(a)).collect();
    let mut env: Vec<EnvEntry> = s
        .env()
        .iter()
        .filter_map(|e| match e.value() {
            EnvValue::Literal(v) => Some(EnvEntry::literal(e.name(), literal(v))),
            EnvValue::Kubernetes(v) => Some(EnvEntry::literal(e.name(), k8s::protect_braces(v))),
            _ => None,
        })
        .collect();
    LBRACE.add_if_used(&mut env, command.iter().chain(&args));
    if !dropped_resources(s).is_empty() {
        dropped.add(
            &codes::RESOURCE,
            "the KFP IR has fields for CPU, memory and one GPU kind only: other resources (ephemeral storage, hugepages, devices) dropped",
            s.name(),
        );
    }
    Ok(Container { image: s.image().to_string(), command, args, env, resources: resources(s) })
}

/// Requests and limits as KFP's string fields; the GPU (or another device) as `accelerator`.
pub fn resources(s: &Step) -> Option<ResourceSpec> {
    let r = s.resources();
    if r.is_empty() {
        return None;
    }
    let q = |m: &BTreeMap<String, Quantity>, k: &str| m.get(k).map(Quantity::to_string);
    // The IR's one accelerator slot takes a GPU (`nvidia.com/gpu`, `amd.com/gpu`, ...); other
    // extended resources are reported by `dropped_resources`.
    let accelerator = r.limits().iter().chain(r.requests()).find(|(k, _)| is_gpu(k)).map(|(k, q)| Accelerator {
        kind: None,
        count: None,
        resource_type: k.clone(),
        resource_count: q.units().to_string(),
    });
    Some(ResourceSpec {
        resource_cpu_request: q(r.requests(), "cpu"),
        resource_cpu_limit: q(r.limits(), "cpu"),
        resource_memory_request: q(r.requests(), "memory"),
        resource_memory_limit: q(r.limits(), "memory"),
        accelerator,
        ..ResourceSpec::default()
    })
}

fn is_gpu(resource: &str) -> bool {
    resource.ends_with("/gpu")
}

/// Resources the IR has no field for: everything but CPU, memory and the first GPU kind.
fn dropped_resources(s: &Step) -> Vec<&str> {
    let r = s.resources();
    let gpu = r.limits().keys().chain(r.requests().keys()).find(|k| is_gpu(k));
    let mut out: Vec<&str> = r
        .limits()
        .keys()
        .chain(r.requests().keys())
        .map(String::as_str)
        .filter(|k| !matches!(*k, "cpu" | "memory") && Some(*k) != gpu.map(String::as_str))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
