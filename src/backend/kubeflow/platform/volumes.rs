//! Volume mounts as KFP's four mount kinds: PVC, emptyDir, Secret, ConfigMap.

use serde_json::Value;

use super::{ConfigMapAsVolume, ConstantParameter, EmptyDirMount, ExecutorConfig, PvcMount, SecretAsVolume};
use crate::backend::dropped::Dropped;
use crate::backend::kubeflow::codes;
use crate::ir::Step;

/// Every mount of the step, with the volume it names; volumes without a mount are dropped.
pub fn lower(s: &Step, config: &mut ExecutorConfig, dropped: &mut Dropped) {
    let pod = s.pod();
    for m in pod.volume_mounts() {
        mount(m, pod.volumes(), s.name(), config, dropped);
    }
    for v in pod.volumes() {
        let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
        if !pod.volume_mounts().iter().any(|m| m.get("name").and_then(Value::as_str) == Some(name)) {
            dropped.add(&codes::VOLUME, "KFP declares volumes only with a mount: unmounted volumes dropped", s.name());
        }
    }
}

/// One volume mount and the volume it names, as the matching KFP mount kind.
fn mount(mount: &Value, volumes: &[Value], step: &str, config: &mut ExecutorConfig, dropped: &mut Dropped) {
    let text = |v: &Value, pointer: &str| v.pointer(pointer).and_then(Value::as_str).map(String::from);
    let name = text(mount, "/name").unwrap_or_default();
    let mount_path = text(mount, "/mountPath").unwrap_or_default();
    let Some(volume) = volumes.iter().find(|v| v.get("name").and_then(Value::as_str) == Some(name.as_str())) else {
        dropped.add(&codes::VOLUME, "a volume mount names no volume: dropped", step);
        return;
    };
    let extra = mount
        .as_object()
        .into_iter()
        .flatten()
        .any(|(k, v)| !v.is_null() && !matches!(k.as_str(), "name" | "mountPath" | "subPath"));
    if extra {
        dropped.add(&codes::VOLUME, "KFP volume mounts have no `readOnly`/`mountPropagation`/...: dropped", step);
    }
    let optional = |pointer: &str| volume.pointer(pointer).and_then(Value::as_bool).unwrap_or(false);
    if volume.get("emptyDir").is_some() {
        config.empty_dir_mounts.push(EmptyDirMount {
            volume_name: name,
            mount_path,
            medium: text(volume, "/emptyDir/medium"),
            size_limit: text(volume, "/emptyDir/sizeLimit"),
        });
    } else if let Some(claim) = text(volume, "/persistentVolumeClaim/claimName") {
        config.pvc_mount.push(PvcMount {
            pvc_name_parameter: ConstantParameter::of(&claim),
            constant: claim,
            mount_path,
            sub_path: text(mount, "/subPath"),
        });
    } else if let Some(secret) = text(volume, "/secret/secretName") {
        config.secret_as_volume.push(SecretAsVolume {
            secret_name_parameter: ConstantParameter::of(&secret),
            secret_name: secret,
            mount_path,
            optional: optional("/secret/optional"),
        });
    } else if let Some(map) = text(volume, "/configMap/name") {
        config.config_map_as_volume.push(ConfigMapAsVolume {
            config_map_name_parameter: ConstantParameter::of(&map),
            config_map_name: map,
            mount_path,
            optional: optional("/configMap/optional"),
        });
    } else {
        dropped.add(
            &codes::VOLUME,
            "KFP mounts only PVCs, emptyDirs, Secrets and ConfigMaps: other volume kinds dropped",
            step,
        );
    }
}
