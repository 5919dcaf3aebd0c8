//! The Kubernetes PlatformSpec (kfp-kubernetes `kubernetes_executor_config.proto`): per
//! executor, the pod settings the KFP IR itself has no fields for, as typed structs that
//! serialize to the proto's JSON.

mod env;
mod pod;
mod volumes;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::backend::dropped::Dropped;
use crate::backend::kfp::{self, by_name, Named};
use crate::backend::k8s;
use crate::ir::{Pipeline, Step};

/// The PlatformSpec document: input of `platform-spec.yaml.j2`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformSpec {
    /// `platforms.kubernetes.deploymentSpec.executors`, in pipeline order.
    pub executors: Vec<Named<ExecutorConfig>>,
    /// `platforms.kubernetes.pipelineConfig`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_config: Option<PipelineConfig>,
}

/// `pipelineConfig`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineConfig {
    /// Seconds a finished run's resources are kept.
    pub resource_ttl_on_completion: u64,
}

/// The document's JSON.
#[derive(Debug, Serialize)]
pub struct PlatformSpecJson<'a> {
    platforms: Platforms<'a>,
}

#[derive(Debug, Serialize)]
struct Platforms<'a> {
    kubernetes: KubernetesPlatform<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct KubernetesPlatform<'a> {
    deployment_spec: DeploymentSpec<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pipeline_config: Option<&'a PipelineConfig>,
}

#[derive(Debug, Serialize)]
struct DeploymentSpec<'a> {
    executors: BTreeMap<&'a str, &'a ExecutorConfig>,
}

impl PlatformSpec {
    pub fn json(&self) -> PlatformSpecJson<'_> {
        PlatformSpecJson {
            platforms: Platforms {
                kubernetes: KubernetesPlatform {
                    deployment_spec: DeploymentSpec { executors: by_name(&self.executors) },
                    pipeline_config: self.pipeline_config.as_ref(),
                },
            },
        }
    }
}

/// `KubernetesExecutorConfig`: absent fields are left out (the template tests `is defined`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorConfig {
    /// The run id (label `pipeline/runid`) and pod-settings `fieldRef`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub field_path_as_env: Vec<FieldPathAsEnv>,
    /// The ZenML API key and pod-settings `secretKeyRef`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_as_env: Vec<SecretAsEnv>,
    /// Pod-settings `configMapKeyRef`s.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_map_as_env: Vec<ConfigMapAsEnv>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<NodeSelector>,
    /// Kubernetes tolerations, with only the fields KFP has.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Value>,
    /// Node selector terms, the preferred ones with a `weight`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_affinity: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_metadata: Option<PodMetadata>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secret: Vec<NamedSecret>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pvc_mount: Vec<PvcMount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub empty_dir_mounts: Vec<EmptyDirMount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_as_volume: Vec<SecretAsVolume>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_map_as_volume: Vec<ConfigMapAsVolume>,
    /// `runAsUser`, `runAsGroup`, `runAsNonRoot`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<BTreeMap<String, Value>>,
    /// Pod deadline in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<u64>,
}

/// `{name, fieldPath}`: a downward-API field as an env var.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldPathAsEnv {
    pub name: String,
    pub field_path: String,
}

/// A name given as a constant and as the matching runtime parameter, as kfp-kubernetes writes it.
#[derive(Debug, Serialize)]
pub struct ConstantParameter {
    #[serde(rename = "runtimeValue")]
    pub runtime_value: crate::backend::kfp::RuntimeValue,
}

impl ConstantParameter {
    pub fn of(name: &str) -> ConstantParameter {
        ConstantParameter { runtime_value: crate::backend::kfp::RuntimeValue { constant: name.to_string().into() } }
    }
}

/// Keys of a Secret as env vars.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretAsEnv {
    pub secret_name: String,
    pub secret_name_parameter: ConstantParameter,
    pub key_to_env: Vec<SecretKeyToEnv>,
    pub optional: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyToEnv {
    pub secret_key: String,
    pub env_var: String,
}

/// Keys of a ConfigMap as env vars.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapAsEnv {
    pub config_map_name: String,
    pub config_map_name_parameter: ConstantParameter,
    pub key_to_env: Vec<ConfigMapKeyToEnv>,
    pub optional: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapKeyToEnv {
    pub config_map_key: String,
    pub env_var: String,
}

#[derive(Debug, Serialize)]
pub struct NodeSelector {
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub struct PodMetadata {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// An image pull secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedSecret {
    pub secret_name: String,
    pub secret_name_parameter: ConstantParameter,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PvcMount {
    pub constant: String,
    pub pvc_name_parameter: ConstantParameter,
    pub mount_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyDirMount {
    pub volume_name: String,
    pub mount_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretAsVolume {
    pub secret_name: String,
    pub secret_name_parameter: ConstantParameter,
    pub mount_path: String,
    pub optional: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapAsVolume {
    pub config_map_name: String,
    pub config_map_name_parameter: ConstantParameter,
    pub mount_path: String,
    pub optional: bool,
}

/// The PlatformSpec entry of step `s`; what it cannot carry goes to `dropped`.
pub fn executor_config(p: &Pipeline, s: &Step, dropped: &mut Dropped) -> ExecutorConfig {
    let mut config = ExecutorConfig::default();
    env::lower(s, &mut config, dropped);
    let pod = s.pod();
    config.node_selector =
        (!pod.node_selector().is_empty()).then(|| NodeSelector { labels: pod.node_selector().clone() });
    config.tolerations = pod.tolerations().iter().map(|t| pod::toleration(t, s.name(), dropped)).collect();
    config.node_affinity = pod::node_affinity(pod.affinity(), s.name(), dropped);
    let mut annotations = pod.annotations().clone();
    annotations.insert(k8s::STEP_NAME_ANNOTATION.into(), s.name().to_string());
    config.pod_metadata = Some(PodMetadata { labels: k8s::pod_labels(p, s), annotations });
    config.image_pull_secret = pod
        .image_pull_secrets()
        .iter()
        .map(|n| NamedSecret { secret_name: n.clone(), secret_name_parameter: ConstantParameter::of(n) })
        .collect();
    volumes::lower(s, &mut config, dropped);
    config.security_context = pod::security_context(s, dropped);
    pod::dropped_fields(s, dropped);
    config.active_deadline_seconds = s.timeout_seconds();
    config
}

/// `config` without the step's own pod label and annotation, as JSON: what must be equal for
/// steps to share an executor. `None` when pod settings set those keys themselves. The two
/// entries are taken out while `config` is written and put back: no copy of it per step.
pub fn without_step(config: &mut ExecutorConfig, s: &Step) -> Option<String> {
    let step_label = crate::ir::POD_SELECTOR_LABELS[2];
    let pod = s.pod();
    if pod.labels().contains_key(step_label) || pod.annotations().contains_key(k8s::STEP_NAME_ANNOTATION) {
        return None;
    }
    let taken = config.pod_metadata.as_mut().map(|m| {
        (m.labels.remove_entry(step_label), m.annotations.remove_entry(k8s::STEP_NAME_ANNOTATION))
    });
    let key = serde_json::to_string(config).expect("contexts are plain data");
    if let (Some(m), Some((label, annotation))) = (config.pod_metadata.as_mut(), taken) {
        m.labels.extend(label);
        m.annotations.extend(annotation);
    }
    Some(key)
}

/// The executors after `kfp::share`: a shared executor's config is its first step's, under the
/// shared label, without the step's pod label and annotation (one PlatformSpec entry serves
/// every step of the group); the other steps' entries go.
pub fn share(executors: Vec<Named<ExecutorConfig>>, shared: &kfp::Shared) -> Vec<Named<ExecutorConfig>> {
    let step_label = crate::ir::POD_SELECTOR_LABELS[2];
    let mut seen = vec![false; shared.groups()];
    let mut out = Vec::with_capacity(executors.len());
    for (i, mut e) in executors.into_iter().enumerate() {
        match shared.label(i) {
            None => out.push(e),
            Some((g, label)) if !seen[g] => {
                seen[g] = true;
                if let Some(m) = &mut e.item.pod_metadata {
                    m.labels.remove(step_label);
                    m.annotations.remove(k8s::STEP_NAME_ANNOTATION);
                }
                label.clone_into(&mut e.name);
                out.push(e);
            }
            Some(_) => {}
        }
    }
    out
}
