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
                let mut many = None;
                while let Some(key) = map.next_key::<String>()? {
                    if repeated(&mut many, entries.iter().map(|(k, _)| k), &key) {
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

/// Whether `key` is one of the keys before it: `earlier` while there are few (compared in place:
/// most objects are small), else `many`, a set made of them once (the steps), which keeps
/// `key` too. The error for a repeated key is the caller's.
fn repeated<'k, K: Eq + std::hash::Hash + Clone + 'k>(
    many: &mut Option<rustc_hash::FxHashSet<K>>,
    mut earlier: impl ExactSizeIterator<Item = &'k K>,
    key: &K,
) -> bool {
    match many {
        Some(set) => !set.insert(key.clone()),
        None if earlier.len() < 16 => earlier.any(|k| k == key),
        None => {
            let mut set: rustc_hash::FxHashSet<K> = earlier.cloned().collect();
            let repeated = !set.insert(key.clone());
            *many = Some(set);
            repeated
        }
    }
}

/// A step's `settings` as zenc reads them: the orchestrator entries and `resources` as JSON,
/// from `docker` what picks the image. The other values are checked as a `Value` would be
/// (nesting depth, numbers in range: the same errors) but not kept; a `Value` per step cost
/// more than the rest of reading it.
#[derive(Debug, Default)]
pub struct StepSettings {
    /// The entries whose key starts with `orchestrator`, in input order.
    pub orchestrator: OrderedMap<Value>,
    pub resources: Option<Value>,
    pub docker: Option<DockerImage>,
}

/// From ZenML `DockerSettings`: `skip_build` and `parent_image`, when they are a boolean and a
/// string (the last one written, as in a JSON object).
#[derive(Debug, Default)]
pub struct DockerImage {
    pub skip_build: Option<bool>,
    pub parent_image: Option<String>,
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Any JSON value, checked as `Value` checks it (every type, nesting depth, numbers in range)
/// and not kept. `IgnoredAny` would skip numbers and depth unchecked: a settings value that a
/// `Value` refuses would then pass.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Key>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

impl<'de> Deserialize<'de> for DockerImage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DockerVisitor;
        impl<'de> Visitor<'de> for DockerVisitor {
            type Value = DockerImage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any valid JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DockerImage, A::Error> {
                let mut docker = DockerImage::default();
                while let Some(Key(key)) = map.next_key()? {
                    match &*key {
                        "skip_build" => docker.skip_build = map.next_value::<Value>()?.as_bool(),
                        "parent_image" => {
                            docker.parent_image = match map.next_value::<Value>()? {
                                Value::String(image) => Some(image),
                                _ => None,
                            };
                        }
                        _ => {
                            map.next_value::<Checked>()?;
                        }
                    }
                }
                Ok(docker)
            }
            // Anything but an object has neither field: it is checked like any value.
            fn visit_bool<E>(self, _: bool) -> Result<DockerImage, E> {
                Ok(DockerImage::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<DockerImage, E> {
                Ok(DockerImage::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<DockerImage, E> {
                Ok(DockerImage::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<DockerImage, E> {
                Ok(DockerImage::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<DockerImage, E> {
                Ok(DockerImage::default())
            }
            fn visit_unit<E>(self) -> Result<DockerImage, E> {
                Ok(DockerImage::default())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<DockerImage, A::Error> {
                CheckedVisitor.visit_seq(seq).map(|_| DockerImage::default())
            }
        }
        deserializer.deserialize_any(DockerVisitor)
    }
}

impl<'de> Deserialize<'de> for StepSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SettingsVisitor;
        impl<'de> Visitor<'de> for SettingsVisitor {
            type Value = StepSettings;
            // As `OrderedMap`'s: the errors stay the same.
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StepSettings, A::Error> {
                let mut settings = StepSettings::default();
                // Every key, not only the kept ones, for `repeated` (until it holds a set).
                let mut seen: Vec<std::borrow::Cow<'de, str>> = Vec::new();
                let mut many = None;
                while let Some(Key(key)) = map.next_key()? {
                    if repeated(&mut many, seen.iter(), &key) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    match &*key {
                        "docker" => settings.docker = Some(map.next_value()?),
                        "resources" => settings.resources = Some(map.next_value()?),
                        k if k.starts_with("orchestrator") => {
                            settings.orchestrator.0.push((k.to_string(), map.next_value()?));
                        }
                        _ => {
                            map.next_value::<Checked>()?;
                        }
                    }
                    if many.is_none() {
                        seen.push(key);
                    }
                }
                Ok(settings)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<StepSettings, E> {
                Ok(StepSettings::default())
            }
        }
        deserializer.deserialize_any(SettingsVisitor)
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
    use super::{OrderedMap, StepSettings};
    use serde_json::Value;

    #[test]
    fn step_settings_refuse_what_a_json_value_map_refuses_with_the_same_error() {
        let deep = format!("{{\"x\": {}1{}}}", "[".repeat(200), "]".repeat(200));
        let deep_docker = format!("{{\"docker\": {{\"a\": {}1{}}}}}", "[".repeat(200), "]".repeat(200));
        let cases = [
            r#"{"docker": {"skip_build": true, "parent_image": "a:1"}, "other": {"n": [1, 2.5, -3, null, "s"]}}"#,
            r#"{"other": 1e400}"#,
            r#"{"docker": {"build": {"n": -1e999}}}"#,
            r#"{"docker": [1e400]}"#,
            r#"{"a": 1, "b": 2, "a": 3}"#,
            r#"{"docker": {"a": 1, "a": 2}}"#,
            r#"{"k\u0041": {}, "kA": 1}"#,
            r#"{"x": "bad \q escape"}"#,
            r#"{"x": 01}"#,
            r#""a string""#,
            "[1]",
            "null",
            &deep,
            &deep_docker,
        ];
        for text in cases {
            let ours = serde_json::from_str::<StepSettings>(text).err().map(|e| e.to_string());
            let value = serde_json::from_str::<OrderedMap<Value>>(text).err().map(|e| e.to_string());
            assert_eq!(ours, value, "{text}");
            // The path a failed parse reports (its second, tracked pass).
            let de = &mut serde_json::Deserializer::from_str(text);
            let ours = serde_path_to_error::deserialize::<_, StepSettings>(de).err().map(|e| e.path().to_string());
            let de = &mut serde_json::Deserializer::from_str(text);
            let value =
                serde_path_to_error::deserialize::<_, OrderedMap<Value>>(de).err().map(|e| e.path().to_string());
            assert_eq!(ours, value, "{text}");
        }
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k3\": 0}}", many.join(", "));
        let err = serde_json::from_str::<StepSettings>(&text).unwrap_err().to_string();
        assert!(err.contains("duplicate key `k3`"), "{err}");
    }

    #[test]
    fn step_settings_keep_docker_image_fields_as_a_json_object_would() {
        let read = |text: &str| {
            let s: StepSettings = serde_json::from_str(text).unwrap();
            s.docker.map(|d| (d.skip_build, d.parent_image))
        };
        assert_eq!(
            read(r#"{"docker": {"skip_build": true, "parent_image": "a:1"}}"#),
            Some((Some(true), Some("a:1".into())))
        );
        // The last value wins, as in a JSON object; a value of another type is none.
        assert_eq!(
            read(r#"{"docker": {"skip_build": true, "skip_build": "yes", "parent_image": 1}}"#),
            Some((None, None))
        );
        assert_eq!(read(r#"{"docker": "x"}"#), Some((None, None)));
        assert_eq!(read(r#"{"orchestrator:k8s": {"a": 1}}"#), None);
        let s: StepSettings = serde_json::from_str(
            r#"{"orchestrator:k8s": {"a": 1}, "x": 1, "orchestrator.kubernetes": null, "resources": {"cpu_count": 2}}"#,
        )
        .unwrap();
        let keys: Vec<&String> = s.orchestrator.keys().collect();
        assert_eq!(keys, ["orchestrator:k8s", "orchestrator.kubernetes"]);
        assert_eq!(s.resources, Some(serde_json::json!({"cpu_count": 2})));
    }

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
