//! Every numeric field of both input forms has a documented range (README "Numeric ranges"):
//! a value outside it — 2^64−1, −1, a fraction — is an error naming the field's path and the
//! range, never a value an engine overflows on.

use serde_json::{json, Value};
use zenc::{load_ir, BuildOptions, ErrorKind};

/// Sets `path` (`a.b[2].c`, keys with dots in `["…"]`) in `v`.
fn set(v: &mut Value, path: &str, new: Value) {
    let mut cur = v;
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.trim_start_matches('.');
        if let Some(r) = rest.strip_prefix("[\"") {
            let end = r.find("\"]").unwrap();
            cur = &mut cur[&r[..end]];
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap();
            cur = &mut cur[r[..end].parse::<usize>().unwrap()];
            rest = &r[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            cur = &mut cur[&rest[..end]];
            rest = &rest[end..];
        }
    }
    *cur = new;
}

/// Each `(path, largest allowed value)`: `path` is also where the error must point.
fn check(form: &str, base: &Value, fields: &[(&str, u64)], prepare: impl Fn(&mut Value, &str)) {
    let name = if form == "yaml" { "p.yaml" } else { "p.json" };
    let text = |v: &Value| if form == "yaml" { serde_yaml::to_string(v).unwrap() } else { v.to_string() };
    let opts = BuildOptions { flavor: Some("kubernetes".into()), ..BuildOptions::default() };
    load_ir(text(base), name, &opts).unwrap_or_else(|e| panic!("base {form} input: {e}"));
    for &(path, max) in fields {
        let mut ok = base.clone();
        prepare(&mut ok, path);
        set(&mut ok, path, json!(max));
        load_ir(text(&ok), name, &opts).unwrap_or_else(|e| panic!("{path} = {max} is allowed: {e}"));
        for bad in [json!(u64::MAX), json!(max + 1), json!(-1), json!(1.5)] {
            let mut input = base.clone();
            prepare(&mut input, path);
            set(&mut input, path, bad.clone());
            let err = load_ir(text(&input), name, &opts).expect_err(&format!("{path} = {bad} must fail"));
            assert!(matches!(*err.kind, ErrorKind::InvalidValue { .. }), "{path} = {bad}: {err}");
            assert_eq!(err.location.path.as_deref(), Some(path), "{path} = {bad}: {err}");
            assert!(err.to_string().contains(&format!("to {max}")), "{path} = {bad}: {err}");
        }
    }
}

#[test]
fn every_number_of_the_yaml_form_is_range_checked() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ok/manual_full.yaml")).unwrap();
    let base: Value = serde_yaml::from_str(&text).unwrap();
    let fields = [
        ("timeout", 2_147_483_647),
        ("parallelism", 2_147_483_647),
        ("retry.max_retries", 10_000),
        ("retry.delay", 2_147_483_647),
        ("retry.backoff", 1000),
        ("resources.gpu_count", 2_147_483_647),
        ("schedule.starting_deadline_seconds", 2_147_483_647),
        ("schedule.successful_history_limit", 2_147_483_647),
        ("schedule.failed_history_limit", 2_147_483_647),
        ("schedule.interval", 2_147_483_647),
        ("steps[1].timeout", 2_147_483_647),
        ("steps[1].resources.gpu_count", 2_147_483_647),
        ("steps[2].retry.max_retries", 10_000),
    ];
    check("yaml", &base, &fields, |v, path| {
        if path == "schedule.interval" {
            v["schedule"].as_object_mut().unwrap().remove("cron");
        }
    });
}

#[test]
fn every_number_of_a_snapshot_is_range_checked() {
    let orchestrator = json!({
        "active_deadline_seconds": 60, "ttl_seconds_after_finished": 60, "backoff_limit_margin": 1,
        "max_parallelism": 2, "pod_stop_grace_period": 30, "successful_jobs_history_limit": 3,
        "failed_jobs_history_limit": 1, "starting_deadline_seconds": 60,
    });
    let step = json!({
        "spec": {"upstream_steps": []},
        "config": {
            "settings": {
                "docker": {"parent_image": "registry.example.com/app:1", "skip_build": true},
                "resources": {"cpu_count": 1, "gpu_count": 1, "memory": "1GB"},
                "orchestrator.kubernetes": orchestrator,
            },
            "retry": {"max_retries": 1, "delay": 5, "backoff": 2},
        },
    });
    let base = json!({
        "id": "0b9bd5a0-4c61-4a8b-9f5b-2d1f6f0c7a11",
        "body": {},
        "metadata": {
            "pipeline_configuration": {"name": "p", "settings": {"orchestrator.kubernetes": orchestrator}},
            "step_configurations": {"train": step},
        },
        "resources": {"schedule": {"name": "s", "body": {"interval_second": 3600}}},
    });
    let pipeline = "metadata.pipeline_configuration.settings[\"orchestrator.kubernetes\"]";
    let step = "metadata.step_configurations.train.config";
    let fields = [
        (format!("{pipeline}.ttl_seconds_after_finished"), 2_147_483_647),
        (format!("{pipeline}.max_parallelism"), 2_147_483_647),
        (format!("{pipeline}.starting_deadline_seconds"), 2_147_483_647),
        (format!("{pipeline}.successful_jobs_history_limit"), 2_147_483_647),
        (format!("{pipeline}.failed_jobs_history_limit"), 2_147_483_647),
        (format!("{step}.settings[\"orchestrator.kubernetes\"].active_deadline_seconds"), 2_147_483_647),
        (format!("{step}.settings[\"orchestrator.kubernetes\"].backoff_limit_margin"), 10_000),
        (format!("{step}.settings[\"orchestrator.kubernetes\"].pod_stop_grace_period"), 2_147_483_647),
        (format!("{step}.settings.resources.gpu_count"), 2_147_483_647),
        (format!("{step}.retry.max_retries"), 10_000),
        (format!("{step}.retry.delay"), 2_147_483_647),
        (format!("{step}.retry.backoff"), 1000),
        ("resources.schedule.body.interval_second".to_string(), 2_147_483_647),
    ];
    let fields: Vec<(&str, u64)> = fields.iter().map(|(p, m)| (p.as_str(), *m)).collect();
    check("json", &base, &fields, |v, path| {
        // The retry limit is max_retries + margin: test each alone.
        if path.ends_with("max_retries") {
            set(v, &format!("{step}.settings[\"orchestrator.kubernetes\"].backoff_limit_margin"), json!(0));
        }
        if path.ends_with("backoff_limit_margin") {
            set(v, &format!("{step}.retry.max_retries"), json!(0));
        }
    });
}
