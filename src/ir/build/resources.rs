//! ResourceSettings and pod-settings resources as Kubernetes requests and limits.

use serde_json::Value;

use super::range::count;
use crate::diagnostic::codes;
use crate::error::{Error, Result, Warning};
use crate::ir::{Quantity, Resources, GPU_RESOURCE};
use crate::snapshot::settings::IGNORED_RESOURCE_SETTINGS;
use crate::snapshot::{key_path, RawStep};

/// ResourceSettings → requests and limits, then pod-settings resources on top (they are
/// Kubernetes-native and more specific).
pub(super) fn resources(rs: &RawStep, warnings: &mut Vec<Warning>) -> Result<Resources> {
    let mut out = Resources::default();
    if rs.step_operator {
        // The step runs on a step operator, which gets the resources; this container only submits it.
        return Ok(out);
    }
    if let Some(settings) = &rs.resources {
        let resources_path = rs.resources_path();
        let put = |out: &mut Resources, name: &str, q: Quantity| {
            out.requests.insert(name.into(), q.clone());
            out.limits.insert(name.into(), q);
        };
        if let Some(cpu) = settings.cpu_count {
            let q = Quantity::from_cpus(cpu).ok_or_else(|| {
                Error::invalid("cpu_count", cpu.to_string(), "a number of CPUs from 0.001 to 1,000,000,000")
                    .at(format!("{resources_path}.cpu_count"))
            })?;
            put(&mut out, "cpu", q);
        }
        if let Some(mem) = &settings.memory {
            let q = Quantity::from_zenml_memory(mem).ok_or_else(|| {
                Error::invalid("memory", mem, "a whole number with a unit: B, KB, KiB, MB, MiB, GB, GiB, TB, TiB, PB or PiB (e.g. `4GB`, `512MiB`)")
                    .at(format!("{resources_path}.memory"))
            })?;
            put(&mut out, "memory", q);
        }
        let gpus = count(settings.gpu_count, "gpu_count", &format!("{resources_path}.gpu_count"))?;
        if let Some(gpus) = gpus.filter(|g| *g > 0) {
            put(&mut out, GPU_RESOURCE, Quantity::parse(&gpus.to_string()).expect("integers are quantities"));
        }
        for (key, _) in settings.extra.iter() {
            if !IGNORED_RESOURCE_SETTINGS.contains(&key.as_str()) {
                warnings.push(
                    Warning::new(&codes::SETTING_IGNORED, format!("resource setting `{key}` is not carried over"))
                        .at(key_path(&resources_path, key)),
                );
            }
        }
    }
    apply_pod_resources(rs, &mut out, warnings)?;
    for (kind, list) in [("request", &out.requests), ("limit", &out.limits)] {
        if let Some((name, q)) = list.iter().find(|(name, q)| is_extended(name) && !q.is_whole()) {
            return Err(Error::invalid(
                format!("`{name}` {kind}"),
                q.to_string(),
                "a whole number: Kubernetes counts extended resources (GPUs, device-plugin resources) in whole units",
            )
            .at(format!("{}.resources", rs.pod_path())));
        }
    }
    // Extended resources (GPUs, hugepages, device plugins) cannot be overcommitted: Kubernetes
    // wants a limit, and a request equal to it.
    let overcommittable = |name: &str| matches!(name, "cpu" | "memory" | "ephemeral-storage");
    for (name, request) in out.requests.clone() {
        if !overcommittable(&name) && !out.limits.contains_key(&name) {
            out.limits.insert(name, request);
        }
    }
    for (name, request) in &out.requests {
        if let Some(limit) = out.limits.get(name).filter(|l| !overcommittable(name) && !l.value_cmp(request).is_eq()) {
            return Err(Error::invalid(
                format!("`{name}` request"),
                request.to_string(),
                format!("the same as its limit `{limit}`: Kubernetes does not overcommit extended resources"),
            )
            .at(format!("{}.resources", rs.pod_path())));
        }
    }
    for (name, request) in &out.requests {
        if let Some(limit) = out.limits.get(name) {
            if request.value_cmp(limit).is_gt() {
                return Err(Error::invalid(
                    format!("`{name}` request"),
                    request.to_string(),
                    format!("at most the limit `{limit}` (Kubernetes rejects requests above limits)"),
                )
                .at(format!("{}.resources", rs.pod_path())));
            }
        }
    }
    Ok(out)
}

/// An extended resource (`nvidia.com/gpu`, device plugins): a qualified name outside
/// `kubernetes.io/` (Kubernetes' `IsExtendedResourceName`), which the API server accepts only in
/// whole units (`must be an integer`).
fn is_extended(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

pub(super) fn apply_pod_resources(rs: &RawStep, out: &mut Resources, warnings: &mut Vec<Warning>) -> Result<()> {
    let Some(pod_resources) = rs.orchestrator.pod_settings.as_ref().and_then(|p| p.resources.as_ref()) else {
        return Ok(());
    };
    let base = format!("{}.resources", rs.pod_path());
    for (kind, entries) in pod_resources.iter() {
        let target = match kind.as_str() {
            "requests" => &mut out.requests,
            "limits" => &mut out.limits,
            other => {
                return Err(Error::invalid("resources key", other, "`requests` or `limits`").at(key_path(&base, other)));
            }
        };
        for (name, value) in entries.iter() {
            let path = key_path(&key_path(&base, kind), name);
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let q = Quantity::parse(&text).ok_or_else(|| {
                Error::invalid(
                    "quantity",
                    if text.is_empty() { value.to_string() } else { text.clone() },
                    "a Kubernetes quantity such as `500m`, `2`, `1Gi` or `4G`",
                )
                .at(path.clone())
            })?;
            if let Some(old) = target.get(name) {
                if !old.value_cmp(&q).is_eq() {
                    warnings.push(
                        Warning::new(
                            &codes::RESOURCES_OVERRIDDEN,
                            format!(
                                "pod settings set {kind} `{name}` to `{q}`, replacing `{old}` from ResourceSettings"
                            ),
                        )
                        .at(path.clone()),
                    );
                }
            }
            target.insert(name.clone(), q);
        }
    }
    Ok(())
}
