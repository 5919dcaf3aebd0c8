//! Resources as Vertex AI reads them: limits (a request without a limit becomes one), the CPU
//! and memory fields both old and new, and the accelerator by Vertex AI's type name.

use super::{codes, DISPLAY};
use crate::backend::kfp::{Accelerator, ResourceSpec};
use crate::error::{Error, Result, Warning};
use crate::ir::{Quantity, Step};

/// The GKE node label of a node's GPU type; ZenML's Vertex orchestrator reads the GPU type from
/// this node selector too.
pub const ACCELERATOR_LABEL: &str = "cloud.google.com/gke-accelerator";

/// Vertex AI's GPU accelerator types (aiplatform_v1 `AcceleratorType`).
const GPU_TYPES: &[&str] = &[
    "NVIDIA_TESLA_K80",
    "NVIDIA_TESLA_P100",
    "NVIDIA_TESLA_V100",
    "NVIDIA_TESLA_P4",
    "NVIDIA_TESLA_T4",
    "NVIDIA_TESLA_A100",
    "NVIDIA_A100_80GB",
    "NVIDIA_L4",
    "NVIDIA_H100_80GB",
    "NVIDIA_H100_MEGA_80GB",
    "NVIDIA_H200_141GB",
    "NVIDIA_B200",
    "NVIDIA_GB200",
    "NVIDIA_RTX_PRO_6000",
];

/// The largest machine Vertex AI picks for a pipeline step (docs `pipelines/machine-types`).
const MAX_MILLICPUS: u128 = 96_000;
const MAX_MEMORY_BYTES: u128 = 624_000_000_000;

/// The Vertex AI type of a GKE accelerator label (`nvidia-tesla-t4` → `NVIDIA_TESLA_T4`) or of
/// a type name written as is.
pub fn gpu_type(label: &str) -> Option<&'static str> {
    let name = label.to_ascii_uppercase().replace('-', "_");
    GPU_TYPES.iter().copied().find(|t| *t == name)
}

/// The step's limits; what Vertex AI cannot read is a warning.
pub fn lower(s: &Step, warnings: &mut Vec<Warning>) -> Result<Option<ResourceSpec>> {
    let label = s.pod().node_selector().get(ACCELERATOR_LABEL);
    let kind = label
        .map(|l| {
            gpu_type(l).ok_or_else(|| {
                Error::invalid(
                    format!("{DISPLAY} GPU type"),
                    l,
                    format!(
                        "a GKE GPU label such as `nvidia-tesla-t4` or `nvidia-l4`, or one of {}, in node selector `{ACCELERATOR_LABEL}`",
                        GPU_TYPES.join(", ")
                    ),
                )
                .at(s.path())
            })
        })
        .transpose()?;
    let mut spec = ResourceSpec::default();
    let mut gpus = None;
    for (name, q) in limits(s, warnings) {
        match name.as_str() {
            "cpu" => {
                // Millicores: at most 1e12 by `ir::build`'s bounds, exact in an f64.
                #[allow(clippy::cast_precision_loss)]
                let cores = q.millis() as f64 / 1000.0;
                spec.cpu_limit = Some(cores);
                spec.resource_cpu_limit = Some(cpu_text(&q));
            }
            "memory" => {
                #[allow(clippy::cast_precision_loss)]
                let gigabytes = q.units() as f64 / 1e9;
                spec.memory_limit = Some(gigabytes);
                spec.resource_memory_limit = Some(memory_text(&q));
            }
            gpu if gpu.ends_with("/gpu") && gpus.is_none() => gpus = Some(q.units()),
            other => warnings.push(Warning::new(
                &codes::RESOURCES,
                format!("step `{}`: Vertex AI has fields for CPU, memory and one GPU kind only: `{other}` not carried", s.name()),
            )),
        }
    }
    spec.accelerator = accelerator(s, kind, gpus.filter(|n| *n > 0), warnings);
    machine_limits(s, &spec, warnings);
    let empty = spec.cpu_limit.is_none() && spec.memory_limit.is_none() && spec.accelerator.is_none();
    Ok((!empty).then_some(spec))
}

/// Each resource's limit, or its request where it has none; requests are not read.
fn limits(s: &Step, warnings: &mut Vec<Warning>) -> Vec<(String, Quantity)> {
    let r = s.resources();
    let mut names: Vec<&String> = r.limits().keys().chain(r.requests().keys()).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let (request, limit) = (r.requests().get(name), r.limits().get(name));
        let differs = matches!((request, limit), (Some(q), Some(l)) if !q.value_cmp(l).is_eq());
        let carried = matches!(name.as_str(), "cpu" | "memory") || name.ends_with("/gpu");
        if carried && (limit.is_none() || differs) {
            let what = if limit.is_none() { "its request became the limit" } else { "the request is not carried" };
            warnings.push(Warning::new(
                &codes::RESOURCES,
                format!("step `{}`: Vertex AI reads resource limits only: for `{name}`, {what}", s.name()),
            ));
        }
        if let Some(q) = limit.or(request) {
            out.push((name.clone(), q.clone()));
        }
    }
    out
}

/// `accelerator` with the type and the count in both field pairs (kfp 2.x writes both).
fn accelerator(s: &Step, kind: Option<&str>, gpus: Option<u128>, warnings: &mut Vec<Warning>) -> Option<Accelerator> {
    match (kind, gpus) {
        (Some(kind), Some(n)) => Some(Accelerator {
            kind: Some(kind.to_string()),
            count: Some(n.to_string()),
            resource_type: kind.to_string(),
            resource_count: n.to_string(),
        }),
        (None, Some(n)) => {
            warnings.push(Warning::new(
                &codes::GPU_TYPE,
                format!("step `{}`: {n} GPU(s) but no GPU type (node selector `{ACCELERATOR_LABEL}`): Vertex AI runs it without a GPU", s.name()),
            ));
            None
        }
        (Some(kind), None) => {
            warnings.push(Warning::new(
                &codes::GPU_TYPE,
                format!("step `{}`: GPU type `{kind}` but no GPU count: no GPU asked for", s.name()),
            ));
            None
        }
        (None, None) => None,
    }
}

/// Vertex AI picks a machine with at most 96 CPUs and 624 GB.
fn machine_limits(s: &Step, spec: &ResourceSpec, warnings: &mut Vec<Warning>) {
    let r = s.resources();
    let big = |name: &str, max: u128, units: fn(&Quantity) -> u128| {
        r.limits().get(name).or(r.requests().get(name)).is_some_and(|q| units(q) > max)
    };
    if spec.cpu_limit.is_some() && big("cpu", MAX_MILLICPUS, Quantity::millis)
        || spec.memory_limit.is_some() && big("memory", MAX_MEMORY_BYTES, Quantity::units)
    {
        warnings.push(Warning::new(
            &codes::RESOURCES,
            format!("step `{}`: Vertex AI's machines have at most 96 CPUs and 624 GB of memory: the run will be refused", s.name()),
        ));
    }
}

/// Cores or millicores (`2`, `500m`), the forms KFP's CPU strings take.
fn cpu_text(q: &Quantity) -> String {
    let milli = q.millis();
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// A memory string KFP's pattern takes (`^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki)?$`): the
/// quantity as written, decimal kilo as `K`, anything else as the exact number of bytes.
fn memory_text(q: &Quantity) -> String {
    let text = q.as_str();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let suffix = if suffix == "k" { "K" } else { suffix };
    let known = ["", "E", "Ei", "P", "Pi", "T", "Ti", "G", "Gi", "M", "Mi", "K", "Ki"].contains(&suffix);
    if !digits.is_empty() && known {
        format!("{digits}{suffix}")
    } else {
        q.units().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gke_labels_and_type_names_map_to_vertex_types() {
        assert_eq!(gpu_type("nvidia-tesla-t4"), Some("NVIDIA_TESLA_T4"));
        assert_eq!(gpu_type("nvidia-l4"), Some("NVIDIA_L4"));
        assert_eq!(gpu_type("nvidia-a100-80gb"), Some("NVIDIA_A100_80GB"));
        assert_eq!(gpu_type("NVIDIA_H100_80GB"), Some("NVIDIA_H100_80GB"));
        assert_eq!(gpu_type("tpu-v5-lite-podslice"), None);
        assert_eq!(gpu_type("nvidia-tesla-x9"), None);
    }

    #[test]
    fn quantities_become_kfp_strings() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        assert_eq!(cpu_text(&q("2")), "2");
        assert_eq!(cpu_text(&q("0.5")), "500m");
        assert_eq!(cpu_text(&q("1500m")), "1500m");
        assert_eq!(memory_text(&q("4G")), "4G");
        assert_eq!(memory_text(&q("512Mi")), "512Mi");
        assert_eq!(memory_text(&q("100k")), "100K");
        assert_eq!(memory_text(&q("1.5Gi")), "1610612736");
        assert_eq!(memory_text(&q("1e3")), "1000");
    }
}
