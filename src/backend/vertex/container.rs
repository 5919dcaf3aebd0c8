//! One step's container: ZenML's command line behind a `/bin/sh` wrapper that exports the run
//! id, the environment Vertex AI can carry, and the pod settings it cannot.

use super::{codes, resources, Lost, DISPLAY, RUN_ID_INPUT};
use crate::backend::k8s::{escape_dollars, EnvEntry};
use crate::backend::kfp::Container;
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::ir::{EnvValue, Pipeline, Step};

/// The wrapper's interpreter: every ZenML image has a POSIX shell.
pub const SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// The wrapper: `sh -c SCRIPT RUN_ID COMMAND…` makes the run id `$0` (quoted: never parsed as
/// code) and `exec "$@"` runs ZenML's command line unchanged, as the container's own process.
/// It holds no `$(`, so nothing that expands `$(VAR)` changes it.
pub fn wrapper_script(var: &str) -> String {
    format!("export {var}=\"$0\"; exec \"$@\"")
}

/// The container of step `s`; what is left out of every step alike goes to `lost`.
pub fn lower(p: &Pipeline, s: &Step, lost: &mut Lost, warnings: &mut Vec<Warning>) -> Result<Container> {
    let var = p.run_id_env();
    if !is_shell_name(var) {
        return Err(Error::new(ErrorKind::Unsupported {
            engine: DISPLAY,
            what: format!("the run-id variable `{var}`"),
            help: "a POSIX shell exports it, which takes names of letters, digits and `_` not starting with a digit: pass --run-id-env with such a name".into(),
        }));
    }
    let env = env(s, &mut lost.secrets, warnings);
    refuse_placeholders(s, &env)?;
    refuse_expansions(s, &env)?;
    let mut command: Vec<String> = SHELL.iter().map(|c| (*c).to_string()).collect();
    command.push(wrapper_script(var));
    command.push(format!("{{{{$.inputs.parameters['{RUN_ID_INPUT}']}}}}"));
    command.extend(s.command().iter().cloned());
    let resources = resources::lower(s, warnings)?;
    pod_settings(s, warnings);
    if s.timeout_seconds().is_some() {
        lost.steps.add(&codes::TIMEOUT, "the KFP IR has no task timeout: the step timeout is not carried", s.name());
    }
    Ok(Container { image: s.image().to_string(), command, args: s.args().to_vec(), env, resources })
}

fn is_shell_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variables a container can hold: literals (`$` doubled: Vertex AI expands `$(VAR)` in env
/// values, with `$$` as the escape), pod-settings values as written. The run id is the
/// wrapper's; Secret references and other `valueFrom`s have no place.
fn env(s: &Step, secrets: &mut std::collections::BTreeSet<String>, warnings: &mut Vec<Warning>) -> Vec<EnvEntry> {
    let mut env = Vec::new();
    let mut value_from = Vec::new();
    for e in s.env() {
        match e.value() {
            EnvValue::Literal(v) => env.push(EnvEntry::literal(e.name(), escape_dollars(v))),
            EnvValue::Kubernetes(v) => env.push(EnvEntry::literal(e.name(), v.clone())),
            EnvValue::RunId => {}
            EnvValue::Secret { .. } => {
                secrets.insert(e.name().to_string());
            }
            EnvValue::ValueFrom(_) => value_from.push(format!("env `{}` (valueFrom)", e.name())),
        }
    }
    if !value_from.is_empty() {
        warnings.push(Warning::new(
            &codes::POD_SETTINGS,
            format!("step `{}`: Vertex AI steps take plain env values only: {} not carried", s.name(), value_from.join(", ")),
        ));
    }
    env
}

/// Vertex AI replaces its `{{$…}}` placeholders inside any string of command, arguments and
/// (as ZenML relies on) env values, with no escape.
fn refuse_placeholders(s: &Step, env: &[EnvEntry]) -> Result<()> {
    let strings = s.command().iter().chain(s.args()).chain(env.iter().filter_map(|e| e.value.as_ref()));
    if strings.into_iter().all(|t| !t.contains("{{$")) {
        return Ok(());
    }
    Err(Error::new(ErrorKind::Unsupported {
        engine: DISPLAY,
        what: format!("`{{{{$` in the command line or environment of step `{}`", s.name()),
        help: "Vertex AI replaces `{{$...}}` placeholders in container command, arguments and environment and has no escape for them; rename the step or the value".into(),
    })
    .at(s.path()))
}

/// Whether Vertex AI expands `$(VAR)` in command and arguments as Kubernetes does is not
/// documented: zenc writes them as they are and refuses what such an expansion would change
/// (`$$`, or `$(NAME)` of a variable the container has), so both readings run the same.
fn refuse_expansions(s: &Step, env: &[EnvEntry]) -> Result<()> {
    let defined = |t: &str| {
        t.match_indices("$(")
            .filter_map(|(i, _)| t[i + 2..].split_once(')').map(|(name, _)| name))
            .any(|name| env.iter().any(|e| e.name == name))
    };
    // Most words hold no `$`: one byte search rules them out.
    let expands = |t: &&String| t.contains('$') && (t.contains("$$") || defined(t));
    let Some(found) = s.command().iter().chain(s.args()).find(expands) else {
        return Ok(());
    };
    Err(Error::new(ErrorKind::Unsupported {
        engine: DISPLAY,
        what: format!("`{}` in the command line of step `{}`", found.escape_debug(), s.name()),
        help: "a `$$` or a `$(VAR)` naming one of the step's variables may be expanded by Vertex AI (undocumented) or not; rename the step or the variable".into(),
    })
    .at(s.path()))
}

/// Kubernetes pod settings Vertex AI has no place for (the GPU type selector is read by
/// `resources`), step by step: they differ between steps.
fn pod_settings(s: &Step, warnings: &mut Vec<Warning>) {
    let pod = s.pod();
    let mut lost: Vec<String> = pod
        .node_selector()
        .keys()
        .filter(|k| *k != resources::ACCELERATOR_LABEL)
        .map(|k| format!("node selector `{k}`"))
        .collect();
    let present = [
        (!pod.tolerations().is_empty(), "tolerations"),
        (pod.affinity().is_some(), "affinity"),
        (!pod.volumes().is_empty() || !pod.volume_mounts().is_empty(), "volumes"),
        (!pod.labels().is_empty(), "labels"),
        (!pod.annotations().is_empty(), "annotations"),
        (pod.security_context().is_some(), "container_security_context"),
        (pod.service_account().is_some(), "service account"),
        (!pod.image_pull_secrets().is_empty(), "image_pull_secrets"),
        (pod.host_ipc(), "host_ipc"),
        (pod.scheduler_name().is_some(), "scheduler_name"),
        (pod.termination_grace_period_seconds().is_some(), "pod_stop_grace_period"),
        (!s.env_from().is_empty(), "env_from"),
    ];
    lost.extend(present.iter().filter(|(on, _)| *on).map(|(_, what)| (*what).to_string()));
    lost.extend(pod.extra_pod_spec().keys().map(|k| format!("additional_pod_spec_args.{k}")));
    if !lost.is_empty() {
        warnings.push(Warning::new(
            &codes::POD_SETTINGS,
            format!("step `{}`: Vertex AI runs steps without Kubernetes pod settings: {} not carried", s.name(), lost.join(", ")),
        ));
    }
}
