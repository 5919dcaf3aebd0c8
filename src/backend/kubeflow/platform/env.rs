//! Env vars that are not literals: the run id, Secret and ConfigMap keys, downward-API fields.

use serde_json::Value;

use super::{
    ConfigMapAsEnv, ConfigMapKeyToEnv, ConstantParameter, ExecutorConfig, FieldPathAsEnv, SecretAsEnv,
    SecretKeyToEnv,
};
use crate::backend::dropped::Dropped;
use crate::backend::kubeflow::{codes, RUN_ID_FIELD_PATH};
use crate::ir::{EnvValue, Step};

/// The step's run id, `secretKeyRef`, `configMapKeyRef` and `fieldRef` variables.
pub fn lower(s: &Step, config: &mut ExecutorConfig, dropped: &mut Dropped) {
    for e in s.env() {
        let name = e.name().to_string();
        match e.value() {
            EnvValue::RunId => {
                config.field_path_as_env.push(FieldPathAsEnv { name, field_path: RUN_ID_FIELD_PATH.into() });
            }
            EnvValue::Secret { name: secret, key } => config.secret_as_env.push(secret_env(secret, key, name, false)),
            EnvValue::ValueFrom(v) => value_from(s, name, v, config, dropped),
            EnvValue::Literal(_) | EnvValue::Kubernetes(_) => {}
        }
    }
    if !s.env_from().is_empty() {
        dropped.add(&codes::ENV_FROM, "KFP has no `envFrom`: whole Secrets/ConfigMaps as env dropped", s.name());
    }
}

/// A pod-settings `valueFrom`, as the one of the three kinds KFP has.
fn value_from(s: &Step, name: String, v: &Value, config: &mut ExecutorConfig, dropped: &mut Dropped) {
    let text = |pointer: &str| v.pointer(pointer).and_then(Value::as_str);
    let optional = |pointer: &str| v.pointer(pointer).and_then(Value::as_bool).unwrap_or(false);
    if let Some(path) = text("/fieldRef/fieldPath") {
        config.field_path_as_env.push(FieldPathAsEnv { name, field_path: path.into() });
    } else if let (Some(secret), Some(key)) = (text("/secretKeyRef/name"), text("/secretKeyRef/key")) {
        config.secret_as_env.push(secret_env(secret, key, name, optional("/secretKeyRef/optional")));
    } else if let (Some(map), Some(key)) = (text("/configMapKeyRef/name"), text("/configMapKeyRef/key")) {
        config.config_map_as_env.push(ConfigMapAsEnv {
            config_map_name: map.into(),
            config_map_name_parameter: ConstantParameter::of(map),
            key_to_env: vec![ConfigMapKeyToEnv { config_map_key: key.into(), env_var: name }],
            optional: optional("/configMapKeyRef/optional"),
        });
    } else {
        dropped.add(
            &codes::ENV_VALUE_FROM,
            format!("KFP can only set env vars from a field path, a Secret key or a ConfigMap key: `{name}` dropped"),
            s.name(),
        );
    }
}

fn secret_env(secret: &str, key: &str, var: String, optional: bool) -> SecretAsEnv {
    SecretAsEnv {
        secret_name: secret.into(),
        secret_name_parameter: ConstantParameter::of(secret),
        key_to_env: vec![SecretKeyToEnv { secret_key: key.into(), env_var: var }],
        optional,
    }
}
