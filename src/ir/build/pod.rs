//! ZenML's pod settings and the orchestrator settings that shape the pod, checked against
//! Kubernetes' rules for names, labels and numbers.

use serde_json::Value;

use super::range::{ranged, DURATION};
use crate::diagnostic::codes;
use crate::error::{Error, Result, Warning};
use crate::ir::{PodSettings, POD_SELECTOR_LABELS};
use crate::snapshot::settings::PodSettings as SnapshotPodSettings;
use crate::snapshot::{key_path, RawStep};

/// Pod settings + the orchestrator settings that shape the pod.
pub(super) fn pod_settings(
    rs: &RawStep,
    orchestrator_pod: bool,
    warnings: &mut Vec<Warning>,
) -> Result<(PodSettings, Vec<Value>)> {
    let orch = &rs.orchestrator;
    let mut pod = PodSettings::default();
    let mut env_from = Vec::new();
    if let Some(legacy) = &orch.node_selectors {
        for (k, v) in legacy.iter() {
            pod.node_selector.insert(k.clone(), v.clone());
        }
    }
    if let Some(p) = &orch.pod_settings {
        env_from = kubernetes_pod_settings(p, &rs.pod_path(), &mut pod, warnings)?;
    }
    if let Some(privileged) = orch.privileged {
        let mut ctx = match pod.security_context.take() {
            Some(Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        ctx.entry("privileged").or_insert(Value::Bool(privileged));
        pod.security_context = Some(Value::Object(ctx));
    }
    // Step pods use `step_pod_service_account_name`, falling back to the orchestrator's.
    pod.service_account = if orchestrator_pod {
        orch.service_account_name.clone()
    } else {
        orch.step_pod_service_account_name.clone().or(orch.service_account_name.clone())
    };
    if let Some(sa) = &pod.service_account {
        if !is_dns_subdomain(sa) {
            return Err(Error::invalid("service account", sa, "a Kubernetes object name")
                .at(format!("{}.service_account_name", rs.orchestrator_path())));
        }
    }
    if let Some(grace) = orch.pod_stop_grace_period {
        let path = format!("{}.pod_stop_grace_period", rs.orchestrator_path());
        pod.termination_grace_period_seconds = Some(ranged(grace, "pod_stop_grace_period", &DURATION, &path)?);
    }
    Ok((pod, env_from))
}

/// ZenML's `KubernetesPodSettings` into `pod`; returns its `env_from`.
fn kubernetes_pod_settings(
    p: &SnapshotPodSettings,
    pod_path: &str,
    pod: &mut PodSettings,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Value>> {
    for (k, v) in p.node_selectors.iter().flat_map(crate::snapshot::settings::OrderedMap::iter) {
        let path = key_path(&format!("{pod_path}.node_selectors"), k);
        check_label_key(k, &path)?;
        check_label_value(v, &path)?;
        pod.node_selector.insert(k.clone(), v.clone());
    }
    pod.affinity = p.affinity.clone().filter(|a| !is_empty_json(a));
    pod.tolerations = p.tolerations.clone().unwrap_or_default();
    for (k, v) in p.labels.iter().flat_map(crate::snapshot::settings::OrderedMap::iter) {
        let path = key_path(&format!("{pod_path}.labels"), k);
        check_label_key(k, &path)?;
        check_label_value(v, &path)?;
        if POD_SELECTOR_LABELS.contains(&k.as_str()) {
            warnings.push(
                Warning::new(
                    &codes::LABEL_OVERRIDDEN,
                    format!("pod label `{k}` is one zenc sets on every step pod for selection; the pod settings' value `{v}` wins"),
                )
                .at(path.clone()),
            );
        }
        pod.labels.insert(k.clone(), v.clone());
    }
    for (k, v) in p.annotations.iter().flat_map(crate::snapshot::settings::OrderedMap::iter) {
        check_label_key(k, &key_path(&format!("{pod_path}.annotations"), k))?;
        pod.annotations.insert(k.clone(), v.clone());
    }
    pod.volumes = p.volumes.clone().unwrap_or_default();
    pod.volume_mounts = p.volume_mounts.clone().unwrap_or_default();
    pod.host_ipc = p.host_ipc.unwrap_or(false);
    pod.scheduler_name.clone_from(&p.scheduler_name);
    for (i, s) in p.image_pull_secrets.iter().flatten().enumerate() {
        if !is_dns_subdomain(s) {
            return Err(Error::invalid("image pull secret", s, "a Kubernetes Secret name")
                .at(format!("{pod_path}.image_pull_secrets[{i}]")));
        }
    }
    pod.image_pull_secrets = p.image_pull_secrets.clone().unwrap_or_default();
    pod.security_context = p.container_security_context.clone().filter(|c| !is_empty_json(c));
    let env_from = p.env_from.clone().unwrap_or_default();
    for (k, v) in p.additional_pod_spec_args.iter().flat_map(crate::snapshot::settings::OrderedMap::iter) {
        check_numbers(v, &key_path(&format!("{pod_path}.additional_pod_spec_args"), k))?;
        pod.extra_pod_spec.insert(camel_case(k), v.clone());
    }
    let verbatim = [
        ("affinity", p.affinity.clone().unwrap_or_default()),
        ("tolerations", Value::Array(pod.tolerations.clone())),
        ("volumes", Value::Array(pod.volumes.clone())),
        ("volume_mounts", Value::Array(pod.volume_mounts.clone())),
        ("env_from", Value::Array(env_from.clone())),
        ("container_security_context", p.container_security_context.clone().unwrap_or_default()),
    ];
    for (key, value) in &verbatim {
        check_numbers(value, &format!("{pod_path}.{key}"))?;
    }
    Ok(env_from)
}

/// Numbers inside Kubernetes objects passed through verbatim must fit Kubernetes' widest
/// integer (int64): a larger one is refused by the API server after the engine accepted it,
/// or breaks the Airflow DAG's import.
pub(super) fn check_numbers(value: &Value, path: &str) -> Result<()> {
    match value {
        Value::Number(n) => {
            let fits = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(_), _, _) => true,
                (None, None, Some(f)) => f.abs() < 2f64.powi(63),
                // Above i64::MAX, or not a number at all.
                (None, _, _) => false,
            };
            if fits {
                Ok(())
            } else {
                Err(Error::invalid(
                    "number",
                    n.to_string(),
                    format!("at most {} in size (Kubernetes stores numbers as 64-bit integers)", i64::MAX),
                )
                .at(path))
            }
        }
        Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, v)| check_numbers(v, &format!("{path}[{i}]")))
        }
        Value::Object(map) => map.iter().try_for_each(|(k, v)| check_numbers(v, &key_path(path, k))),
        _ => Ok(()),
    }
}

pub(super) fn is_empty_json(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// `V1PodSpec` Python attribute → JSON field (`priority_class_name` → `priorityClassName`).
pub(super) fn camel_case(snake: &str) -> String {
    match snake {
        "host_ipc" => return "hostIPC".into(),
        "host_pid" => return "hostPID".into(),
        _ => {}
    }
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// RFC 1123 subdomain: what Kubernetes accepts as most object names.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

pub(super) fn is_label_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

pub(super) fn check_label_key(key: &str, path: &str) -> Result<()> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if !is_label_name(name) || prefix.is_some_and(|p| !is_dns_subdomain(p)) {
        return Err(Error::invalid(
            "label/annotation key",
            key,
            "`[prefix/]name`: name ≤63 of letters, digits, `-_.`, prefix a DNS subdomain",
        )
        .at(path));
    }
    Ok(())
}

pub(super) fn check_label_value(value: &str, path: &str) -> Result<()> {
    if !value.is_empty() && !is_label_name(value) {
        return Err(Error::invalid(
            "label value",
            value,
            "≤63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric",
        )
        .at(path));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_cases_pod_spec_attributes() {
        assert_eq!(camel_case("priority_class_name"), "priorityClassName");
        assert_eq!(camel_case("dns_policy"), "dnsPolicy");
        assert_eq!(camel_case("host_ipc"), "hostIPC");
        assert_eq!(camel_case("runtimeClassName"), "runtimeClassName");
    }

    #[test]
    fn label_rules() {
        assert!(check_label_key("cloud.google.com/gke-nodepool", "p").is_ok());
        assert!(check_label_key("prometheus.io/scrape", "p").is_ok());
        assert!(check_label_key("-bad", "p").is_err());
        assert!(check_label_key("Bad.Prefix/x", "p").is_err());
        assert!(check_label_value("", "p").is_ok());
        assert!(check_label_value("cc-42", "p").is_ok());
        assert!(check_label_value("has space", "p").is_err());
        assert!(check_label_value(&"a".repeat(64), "p").is_err());
    }
}
