//! Setting shapes shared by the JSON snapshot and the hand-written YAML form.
//!
//! Each struct keeps the keys it does not know in `extra`: the JSON loader turns them into
//! warnings (ZenML may add settings), the YAML loader into errors (they are typos).

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A JSON object that keeps its key order (step order and environment order matter).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, V)> = Vec::new();
                // Most objects are small: their keys are compared in place, and only a large
                // one (the steps) gets a set of its keys.
                let mut seen: Option<rustc_hash::FxHashSet<String>> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let duplicate = match &mut seen {
                        Some(seen) => !seen.insert(key.clone()),
                        None if entries.len() < 16 => entries.iter().any(|(k, _)| *k == key),
                        None => {
                            let mut set: rustc_hash::FxHashSet<String> =
                                entries.iter().map(|(k, _)| k.clone()).collect();
                            let duplicate = !set.insert(key.clone());
                            seen = Some(set);
                            duplicate
                        }
                    };
                    if duplicate {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    let value = map.next_value::<V>()?;
                    entries.push((key, value));
                }
                Ok(OrderedMap(entries))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
        }
        deserializer.deserialize_any(OrderedVisitor(std::marker::PhantomData))
    }
}

/// A number as written in the input, kept exact until `ir::build` checks it against its
/// field's documented range (a plain `u32`/`u64` would turn `-1` or 2^64 into a serde error
/// about Rust types, and take 2^64−1 that no engine holds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer (JSON and YAML integers up to 128 bits).
    Int(i128),
    /// Anything written with a fraction or an exponent, or too large for an integer.
    Float(f64),
}

impl Number {
    /// The value when it is a whole number (`3`, `3.0`).
    pub fn whole(self) -> Option<i128> {
        match self {
            Number::Int(i) => Some(i),
            // 2^100 bounds the cast; anything that large is out of every range anyway.
            #[allow(clippy::cast_possible_truncation)]
            Number::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 2f64.powi(100) => Some(f as i128),
            Number::Float(_) => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            // `{:?}` keeps exponents short (`1e300`) where `{}` would print 301 digits.
            Number::Float(x) => write!(f, "{x:?}"),
        }
    }
}

impl From<u32> for Number {
    fn from(n: u32) -> Self {
        Number::Int(i128::from(n))
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Int(i128::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number::Int(i128::from(v)))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Number, E> {
                Ok(Number::Int(v))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Number, E> {
                // Beyond i128 only its size matters: it is out of every range.
                #[allow(clippy::cast_precision_loss)]
                let approx = v as f64;
                Ok(i128::try_from(v).map_or(Number::Float(approx), Number::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Float(v))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// ZenML `ResourceSettings` (`settings["resources"]`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceSettings {
    /// CPUs as a float (`0.5`, `2`).
    #[serde(default)]
    pub cpu_count: Option<f64>,
    /// Number of GPUs.
    #[serde(default)]
    pub gpu_count: Option<Number>,
    /// `512MiB`, `4GB`, `100KB`, ...
    #[serde(default)]
    pub memory: Option<String>,
    #[serde(flatten)]
    pub extra: OrderedMap<Value>,
}

/// ZenML `StepRetryConfig`.
#[derive(Debug, Clone, Deserialize)]
pub struct RetryConfig {
    #[serde(default = "one")]
    pub max_retries: Number,
    /// Seconds before the first retry.
    #[serde(default)]
    pub delay: Option<Number>,
    /// Factor applied to the delay after each retry.
    #[serde(default)]
    pub backoff: Option<Number>,
    #[serde(flatten)]
    pub extra: OrderedMap<Value>,
}

fn one() -> Number {
    Number::Int(1)
}

/// ZenML `KubernetesPodSettings`: Kubernetes objects in camelCase, passed through.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PodSettings {
    #[serde(default)]
    pub node_selectors: Option<OrderedMap<String>>,
    #[serde(default)]
    pub affinity: Option<Value>,
    #[serde(default)]
    pub tolerations: Option<Vec<Value>>,
    #[serde(default)]
    pub resources: Option<OrderedMap<OrderedMap<Value>>>,
    #[serde(default)]
    pub annotations: Option<OrderedMap<String>>,
    #[serde(default)]
    pub volumes: Option<Vec<Value>>,
    #[serde(default)]
    pub volume_mounts: Option<Vec<Value>>,
    #[serde(default)]
    pub host_ipc: Option<bool>,
    #[serde(default)]
    pub scheduler_name: Option<String>,
    #[serde(default)]
    pub image_pull_secrets: Option<Vec<String>>,
    #[serde(default)]
    pub labels: Option<OrderedMap<String>>,
    #[serde(default)]
    pub env: Option<Vec<Value>>,
    #[serde(default)]
    pub env_from: Option<Vec<Value>>,
    #[serde(default)]
    pub container_security_context: Option<Value>,
    /// Keys are Python attribute names of `V1PodSpec` (`priority_class_name`).
    #[serde(default)]
    pub additional_pod_spec_args: Option<OrderedMap<Value>>,
    #[serde(flatten)]
    pub extra: OrderedMap<Value>,
}

/// The orchestrator settings zenc reads (union over the kubernetes, kubeflow, tekton,
/// airflow flavors); `extra` holds the rest.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrchestratorSettings {
    #[serde(default)]
    pub pod_settings: Option<PodSettings>,
    #[serde(default)]
    pub service_account_name: Option<String>,
    #[serde(default)]
    pub step_pod_service_account_name: Option<String>,
    #[serde(default)]
    pub privileged: Option<bool>,
    #[serde(default)]
    pub active_deadline_seconds: Option<Number>,
    #[serde(default)]
    pub ttl_seconds_after_finished: Option<Number>,
    #[serde(default)]
    pub backoff_limit_margin: Option<Number>,
    #[serde(default)]
    pub max_parallelism: Option<Number>,
    #[serde(default)]
    pub kubernetes_namespace: Option<String>,
    #[serde(default)]
    pub pod_stop_grace_period: Option<Number>,
    #[serde(default)]
    pub successful_jobs_history_limit: Option<Number>,
    #[serde(default)]
    pub failed_jobs_history_limit: Option<Number>,
    #[serde(default)]
    pub concurrency_policy: Option<String>,
    #[serde(default)]
    pub starting_deadline_seconds: Option<Number>,
    /// Legacy kubeflow/tekton top-level node selectors.
    #[serde(default)]
    pub node_selectors: Option<OrderedMap<String>>,
    #[serde(flatten)]
    pub extra: OrderedMap<Value>,
}

/// Orchestrator settings that only affect the ZenML client or ZenML's own orchestrator pod;
/// a compiled spec has neither, so they are dropped without a warning.
pub const CLIENT_ONLY_ORCHESTRATOR_SETTINGS: &[&str] = &[
    "synchronous",
    "timeout",
    "client_args",
    "client_username",
    "client_password",
    "user_namespace",
    "job_name_prefix",
    "orchestrator_pod_settings",
    "orchestrator_job_backoff_limit",
    "pass_zenml_token_as_secret",
    "parallel_step_startup_waiting_period",
    "stream_step_logs",
    "skip_local_validations",
    "incluster",
    "kubernetes_context",
    "local",
    "dag_output_dir",
    "prevent_orchestrator_pod_caching",
    "always_build_pipeline_image",
    "pod_startup_timeout",
    "pod_failure_max_retries",
    "pod_failure_retry_delay",
    "pod_failure_backoff",
    "max_orchestrator_pod_restarts",
];

/// ZenML `ResourceSettings` keys that orchestrators ignore (deployers and pools use them).
pub const IGNORED_RESOURCE_SETTINGS: &[&str] = &[
    "gpu_class",
    "resources",
    "reclaim_tolerance",
    "allocation_wait_timeout_seconds",
    "initialization_lease_seconds",
    "min_replicas",
    "max_replicas",
    "autoscaling_metric",
    "autoscaling_target",
    "max_concurrency",
];

#[cfg(test)]
mod tests {
    use super::OrderedMap;

    #[test]
    fn duplicate_keys_are_refused_in_small_and_large_objects() {
        for n in [1, 15, 16, 17, 40] {
            let keys: Vec<String> = (0..n).map(|i| format!("\"k{i}\": {i}")).collect();
            let text = format!("{{{}}}", keys.join(", "));
            let map: OrderedMap<u32> = serde_json::from_str(&text).unwrap();
            assert_eq!(map.0.len(), n, "order and count kept");
            assert_eq!(map.0[n - 1], (format!("k{}", n - 1), u32::try_from(n - 1).unwrap()));
            for dup in [0, n - 1] {
                let text = format!("{{{}, \"k{dup}\": 0}}", keys.join(", "));
                let err = serde_json::from_str::<OrderedMap<u32>>(&text).unwrap_err().to_string();
                assert!(err.contains(&format!("duplicate key `k{dup}`")), "{n}: {err}");
            }
        }
    }
}
