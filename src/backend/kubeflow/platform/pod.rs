//! Pod settings KFP carries only in part: tolerations, node affinity, the security context, and
//! the pod-spec fields it has no place for.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::backend::dropped::Dropped;
use crate::backend::kubeflow::codes;
use crate::ir::Step;

/// A Kubernetes toleration as KFP's `Toleration` (same field names).
pub fn toleration(t: &Value, step: &str, dropped: &mut Dropped) -> Value {
    let mut out = Map::new();
    for (k, v) in t.as_object().into_iter().flatten() {
        match k.as_str() {
            "key" | "operator" | "value" | "effect" | "tolerationSeconds" if !v.is_null() => {
                out.insert(k.clone(), v.clone());
            }
            _ if v.is_null() => {}
            _ => dropped.add(&codes::TOLERATION, format!("KFP tolerations have no `{k}`: dropped"), step),
        }
    }
    Value::Object(out)
}

/// Node affinity terms; pod (anti-)affinity is not carried.
pub fn node_affinity(affinity: Option<&Value>, step: &str, dropped: &mut Dropped) -> Vec<Value> {
    let Some(a) = affinity else { return Vec::new() };
    let mut terms = Vec::new();
    let pick = |term: &Value| {
        let mut out = Map::new();
        for k in ["matchExpressions", "matchFields"] {
            if let Some(v) = term.get(k).filter(|v| !v.is_null()) {
                out.insert(k.into(), v.clone());
            }
        }
        out
    };
    if let Some(required) = a
        .pointer("/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
    {
        terms.extend(required.iter().map(|t| Value::Object(pick(t))));
    }
    if let Some(preferred) =
        a.pointer("/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution").and_then(Value::as_array)
    {
        for p in preferred {
            let mut term = pick(p.get("preference").unwrap_or(&Value::Null));
            term.insert("weight".into(), p.get("weight").cloned().unwrap_or(json!(1)));
            terms.push(Value::Object(term));
        }
    }
    for k in ["podAffinity", "podAntiAffinity"] {
        if a.get(k).is_some_and(|v| !v.is_null()) {
            dropped.add(&codes::POD_AFFINITY, format!("`{k}` is not carried to KFP: dropped"), step);
        }
    }
    terms
}

/// `runAsUser`, `runAsGroup`, `runAsNonRoot` of the container security context.
pub fn security_context(s: &Step, dropped: &mut Dropped) -> Option<BTreeMap<String, Value>> {
    let sc = s.pod().security_context()?;
    let mut out = BTreeMap::new();
    for (k, v) in sc.as_object().into_iter().flatten() {
        match k.as_str() {
            "runAsUser" | "runAsGroup" | "runAsNonRoot" if !v.is_null() => {
                out.insert(k.clone(), v.clone());
            }
            _ if v.is_null() => {}
            "privileged" if v == &Value::Bool(false) => {}
            _ => dropped.add(
                &codes::SECURITY_CONTEXT,
                "KFP's securityContext has only runAsUser, runAsGroup and runAsNonRoot: other container security settings dropped",
                s.name(),
            ),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Pod-spec fields the PlatformSpec has no place for, and the per-attempt step timeout.
pub fn dropped_fields(s: &Step, dropped: &mut Dropped) {
    let pod = s.pod();
    let mut fields = Vec::new();
    if pod.host_ipc() {
        fields.push("hostIPC");
    }
    if pod.scheduler_name().is_some() {
        fields.push("schedulerName");
    }
    if pod.service_account().is_some() {
        fields.push("serviceAccountName");
    }
    if pod.termination_grace_period_seconds().is_some() {
        fields.push("terminationGracePeriodSeconds");
    }
    fields.extend(pod.extra_pod_spec().keys().map(String::as_str));
    for f in fields {
        dropped.add(&codes::POD_SPEC, format!("KFP's PlatformSpec has no `{f}`: dropped"), s.name());
    }
    if s.timeout_seconds().is_some() {
        dropped.add(
            &codes::TIMEOUT,
            "KFP IR has no task timeout: the step timeout became the pod's activeDeadlineSeconds (PlatformSpec), counted per attempt",
            s.name(),
        );
    }
}
