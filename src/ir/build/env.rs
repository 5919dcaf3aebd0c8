//! The container environment in ZenML's order, with what zenc sets itself.

use std::sync::Arc;

use serde_json::Value;

use super::credentials::{credential_dropped, credential_in_clear, is_zenml_credential, looks_like_credential, shape};
use super::pod::check_numbers;
use super::step::StepContext;
use crate::diagnostic::codes;
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::{syntax, EnvValue, EnvVar};
use crate::snapshot::{key_path, RawStep};

/// Variables zenc sets itself; a user value for one of them is overridden with a warning.
pub(super) fn is_managed(name: &str, run_id_env: &str) -> bool {
    name == run_id_env
        || name.starts_with("ZENML_STORE_")
        || name == "ZENML_ACTIVE_STACK_ID"
        || name == "ZENML_ACTIVE_PROJECT_ID"
}

/// The step's environment. A step with no variables of its own (nor in its pod settings) gets
/// the list every such step shares, and the warnings building it made, as if built anew.
pub(super) fn environment(ctx: &StepContext, rs: &RawStep, warnings: &mut Vec<Warning>) -> Result<Arc<[EnvVar]>> {
    let pod_env = rs.orchestrator.pod_settings.as_ref().and_then(|p| p.env.as_ref());
    if !rs.environment.is_empty() || pod_env.is_some() {
        return own_environment(ctx, rs, warnings).map(Arc::from);
    }
    if let Some((env, found)) = ctx.shared_env.get() {
        warnings.extend(found.iter().cloned());
        return Ok(env.clone());
    }
    let mut found = Vec::new();
    let built = own_environment(ctx, rs, &mut found);
    warnings.extend(found.iter().cloned());
    let env: Arc<[EnvVar]> = built?.into();
    ctx.shared_env.set((env.clone(), found)).expect("set once");
    Ok(env)
}

/// ZenML's order (zenml.md "What a compiler must reproduce"): store, stack/project, run id,
/// step environment, `ZENML_ENABLE_REPO_INIT_WARNINGS`, pod-settings env. Later names win.
fn own_environment(ctx: &StepContext, rs: &RawStep, warnings: &mut Vec<Warning>) -> Result<Vec<EnvVar>> {
    let pod_env = rs.orchestrator.pod_settings.as_ref().and_then(|p| p.env.as_ref());
    // Sized once: what zenc sets, every input variable and `ZENML_ENABLE_REPO_INIT_WARNINGS`.
    let capacity = 8 + ctx.raw.stack_environment.len() + rs.environment.len() + pod_env.map_or(0, Vec::len);
    let mut env = managed(ctx, capacity);
    let managed = env.len();
    let stack = ctx.raw.stack_environment.iter().map(|(k, v)| (k, v, "resources.stack.metadata.environment"));
    let environment_path = if rs.environment.is_empty() { String::new() } else { rs.environment_path() };
    let step = rs.environment.iter().map(|(k, v)| (k, v, environment_path.as_str()));
    for (name, value, base) in stack.chain(step) {
        let path = key_path(base, name);
        check_env_name(name, &path)?;
        if is_zenml_credential(name, value.as_str()) {
            warnings.push(credential_dropped(name, &path));
            continue;
        }
        let text = env_text(value).ok_or_else(|| {
            Error::new(ErrorKind::InvalidShape {
                what: format!("value of environment variable `{name}`"),
                found: shape(value).into(),
                expected: "a string, number or boolean".into(),
            })
            .at(path.clone())
        })?;
        if looks_like_credential(name) && !text.is_empty() {
            warnings.push(credential_in_clear(name, &path));
        }
        set_env(&mut env, managed, literal(name, &text), ctx.run_id_env, &path, warnings);
    }
    set_env(&mut env, managed, literal("ZENML_ENABLE_REPO_INIT_WARNINGS", "False"), ctx.run_id_env, "", warnings);
    if let Some(pod_env) = pod_env {
        let base = format!("{}.env", rs.pod_path());
        for (i, entry) in pod_env.iter().enumerate() {
            let path = format!("{base}[{i}]");
            if let Some(var) = pod_env_var(entry, &path, warnings)? {
                set_env(&mut env, managed, var, ctx.run_id_env, &path, warnings);
            }
        }
    }
    Ok(env)
}

fn literal(name: &str, value: &str) -> EnvVar {
    EnvVar { name: name.into(), value: EnvValue::Literal(value.into()) }
}

/// What zenc sets itself: server access, stack and project, the run id.
fn managed(ctx: &StepContext, capacity: usize) -> Vec<EnvVar> {
    let mut env = Vec::with_capacity(capacity);
    if let Some(url) = &ctx.opts.zenml_url {
        env.push(literal("ZENML_STORE_URL", url));
        env.push(literal("ZENML_STORE_TYPE", "rest"));
    }
    if let Some(secret) = &ctx.opts.zenml_secret {
        env.push(EnvVar {
            name: "ZENML_STORE_API_KEY".into(),
            value: EnvValue::Secret { name: secret.name.clone(), key: secret.key.clone() },
        });
    }
    if let Some(stack) = &ctx.raw.stack_id {
        env.push(literal("ZENML_ACTIVE_STACK_ID", stack));
    }
    if let Some(project) = &ctx.raw.project_id {
        env.push(literal("ZENML_ACTIVE_PROJECT_ID", project));
    }
    env.push(literal("DISABLE_CREDENTIALS_DISK_CACHING", "true"));
    env.push(EnvVar { name: ctx.run_id_env.into(), value: EnvValue::RunId });
    env
}

/// One pod-settings `EnvVar`; `None` for a store credential (left out, with a warning).
fn pod_env_var(entry: &Value, path: &str, warnings: &mut Vec<Warning>) -> Result<Option<EnvVar>> {
    let name = entry.get("name").and_then(Value::as_str).ok_or_else(|| {
        Error::new(ErrorKind::InvalidShape {
            what: "pod env entry".into(),
            found: format!("{} without a string `name`", shape(entry)),
            expected: "a Kubernetes EnvVar `{name, value}` or `{name, valueFrom}`".into(),
        })
        .at(path)
    })?;
    check_env_name(name, path)?;
    let from = entry.get("valueFrom").or_else(|| entry.get("value_from"));
    // A reference (`valueFrom`) is fine; a literal credential is not.
    if from.is_none_or(Value::is_null) && is_zenml_credential(name, entry.get("value").and_then(Value::as_str)) {
        warnings.push(credential_dropped(name, path));
        return Ok(None);
    }
    let value = match (entry.get("value"), from) {
        (Some(Value::String(v)), None) => EnvValue::Kubernetes(v.clone()),
        (None | Some(Value::Null), Some(from)) if from.is_object() => {
            check_numbers(from, &format!("{path}.valueFrom"))?;
            EnvValue::ValueFrom(from.clone())
        }
        (None | Some(Value::Null), None | Some(Value::Null)) => EnvValue::Kubernetes(String::new()),
        (value, from) => {
            let found = match (value, from) {
                (Some(v), None) => format!("`value` is {}", shape(v)),
                (None | Some(Value::Null), Some(f)) => format!("`valueFrom` is {}", shape(f)),
                _ => "both `value` and `valueFrom`".into(),
            };
            return Err(Error::new(ErrorKind::InvalidShape {
                what: format!("pod env entry `{name}`"),
                found,
                expected: "either a string `value` or a `valueFrom` object".into(),
            })
            .at(path));
        }
    };
    if let EnvValue::Kubernetes(text) = &value {
        if looks_like_credential(name) && !text.is_empty() {
            warnings.push(credential_in_clear(name, path));
        }
    }
    Ok(Some(EnvVar { name: name.into(), value }))
}

pub(super) fn set_env(
    env: &mut Vec<EnvVar>,
    managed: usize,
    var: EnvVar,
    run_id_env: &str,
    path: &str,
    warnings: &mut Vec<Warning>,
) {
    match env.iter().position(|e| e.name == var.name) {
        Some(i) if i < managed && is_managed(&var.name, run_id_env) => {
            warnings.push(
                Warning::new(
                    &codes::ENV_OVERRIDDEN,
                    format!(
                        "`{}` is set by zenc (ZenML server access / run id); the value from the input is ignored",
                        var.name
                    ),
                )
                .at(path),
            );
        }
        Some(i) => env[i] = var,
        None => env.push(var),
    }
}

/// ZenML `str()`s environment values.
pub(super) fn env_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `syntax::env_name`, pointing at `path`.
pub(super) fn check_env_name(name: &str, path: &str) -> Result<()> {
    syntax::env_name(name).map_err(|e| e.at(path))
}
