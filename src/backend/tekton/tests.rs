//! The Tekton output as a whole: which objects each kind and schedule gives, and the launcher
//! script.

use serde_json::Value;

use super::*;
use crate::backend::names;
use crate::error::Warning;





#[test]
fn task_names_leave_room_for_taskrun_names() {
    let long = "a_very_long_step_name_that_clearly_exceeds_thirty_characters";
    let out = names::assign(&[long, "b"], &TASK_RULE, &[], DISPLAY).unwrap();
    assert!(out[0].len() <= 30, "{}", out[0]);
    assert_eq!(out[1], "b");
}
/// The Tekton output for `text` (a zenc YAML pipeline) with `kind` and an optional
/// launcher image, as parsed documents.
fn tekton_docs(text: &str, kind: ObjectKind, launcher: Option<&str>) -> (Vec<Value>, Vec<Warning>) {
    let opts = crate::Options {
        engine: EngineOptions {
            kind,
            tekton_launcher_image: launcher.map(String::from),
            ..EngineOptions::default()
        },
        ..crate::Options::default()
    };
    let out = crate::compile(text, "p.yaml", &[crate::Engine::Tekton], &opts).unwrap();
    (crate::verify::yaml_documents(&out.files[0].1.content).unwrap(), out.warnings)
}

const CHAIN: &str = "name: nightly\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
                     image: registry.example.com/app:1.0\nservice_account: runner\n\
                     steps: [{name: a}, {name: b, upstream: [a]}]\n";

fn scheduled(schedule: &str) -> String {
    format!("{CHAIN}schedule: {schedule}\n")
}

fn kinds(docs: &[Value]) -> Vec<&str> {
    docs.iter().map(|d| d["kind"].as_str().unwrap()).collect()
}

/// The PipelineRun the schedule's ConfigMap holds.
fn scheduled_run(docs: &[Value]) -> Value {
    let cm = docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap();
    crate::verify::yaml_documents(cm["data"][MANIFEST_KEY].as_str().unwrap()).unwrap().remove(0)
}

fn cron_pod(docs: &[Value]) -> &Value {
    &docs.iter().find(|d| d["kind"] == "CronJob").unwrap()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
}

/// `kubectl create -f` of the default output must work any number of times and always run
/// this pipeline: one PipelineRun with `generateName` and the tasks inline, no Pipeline.
#[test]
fn a_run_is_one_self_contained_pipelinerun() {
    let (docs, _) = tekton_docs(CHAIN, ObjectKind::Run, None);
    assert_eq!(kinds(&docs), ["PipelineRun"]);
    let run = &docs[0];
    assert_eq!(run["metadata"]["generateName"], "nightly-");
    assert!(run["metadata"].get("name").is_none());
    assert!(run["spec"].get("pipelineRef").is_none());
    assert_eq!(run["spec"]["pipelineSpec"]["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(run["spec"]["taskRunTemplate"]["serviceAccountName"], "runner");

    // Alike steps run one shared Task, written before the Pipeline that refers to it.
    let (docs, _) = tekton_docs(CHAIN, ObjectKind::Template, None);
    assert_eq!(kinds(&docs), ["Task", "Pipeline"]);
    assert_eq!(docs[1]["metadata"]["name"], "nightly");
    let task = docs[0]["metadata"]["name"].as_str().unwrap();
    for t in docs[1]["spec"]["tasks"].as_array().unwrap() {
        assert_eq!(t["taskRef"]["name"], task);
    }
}

/// Scheduled: the CronJob's PipelineRun is self-contained too; with `--kind pipeline` it
/// names the Pipeline emitted beside it (updated by `kubectl apply`).
#[test]
fn a_scheduled_run_is_self_contained_unless_the_pipeline_kind_is_asked_for() {
    let text = scheduled("{cron: \"0 3 * * *\"}");
    let (docs, warnings) = tekton_docs(&text, ObjectKind::Run, None);
    assert_eq!(kinds(&docs), ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "CronJob"]);
    let run = scheduled_run(&docs);
    assert!(run["spec"].get("pipelineRef").is_none());
    assert_eq!(run["spec"]["pipelineSpec"]["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(run["metadata"]["labels"][SCHEDULE_LABEL], "nightly");
    assert!(warnings.iter().all(|w| !w.code.starts_with("tekton-")), "{warnings:?}");

    // Nothing dropped: neither the schedule nor the run settings (service account).
    let (docs, warnings) = tekton_docs(&text, ObjectKind::Template, None);
    assert!(warnings.iter().all(|w| !w.code.starts_with("tekton-")), "{warnings:?}");
    assert_eq!(kinds(&docs), ["Task", "Pipeline", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "CronJob"]);
    let run = scheduled_run(&docs);
    assert_eq!(run["spec"]["pipelineRef"]["name"], "nightly");
    assert!(run["spec"].get("pipelineSpec").is_none());
    assert_eq!(run["spec"]["taskRunTemplate"]["serviceAccountName"], "runner");
}

/// Pod Security "restricted": pod and container security context of the launcher.
#[test]
fn the_launcher_pod_meets_pod_security_restricted() {
    let (docs, _) = tekton_docs(&scheduled("{cron: \"0 3 * * *\"}"), ObjectKind::Run, None);
    let pod = cron_pod(&docs);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_ne!(pod["securityContext"]["runAsUser"], 0);
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    let [c] = pod["containers"].as_array().unwrap().as_slice() else { panic!("one container") };
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(c["image"], KUBECTL_IMAGE);

    let (docs, warnings) = tekton_docs(&scheduled("{cron: \"0 3 * * *\"}"), ObjectKind::Run, Some("r.example/k:1"));
    assert_eq!(cron_pod(&docs)["containers"][0]["image"], "r.example/k:1");
    assert!(warnings.iter().all(|w| w.code != "option-unused"));
    let (_, warnings) = tekton_docs(CHAIN, ObjectKind::Run, Some("r.example/k:1"));
    assert!(warnings.iter().any(|w| w.code == "option-unused"), "no schedule: the image is unused");
}

/// The Role grants what the launcher script does for these settings, nothing more.
#[test]
fn the_launcher_image_option_takes_an_image_reference() {
    use clap::Parser;
    let parse = |image: &str| {
        crate::cli::Cli::try_parse_from([
            "zenc",
            "compile",
            "p.yaml",
            "-t",
            "tekton",
            "--tekton-launcher-image",
            image,
        ])
    };
    assert!(parse("registry.example.com/tools/kubectl:1.34").is_ok());
    for bad in ["", "kubectl latest", "a\nb"] {
        assert!(parse(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn role_verbs_follow_the_launcher_script() {
    let verbs = |schedule: &str| {
        let (docs, _) = tekton_docs(&scheduled(schedule), ObjectKind::Run, None);
        let role = docs.iter().find(|d| d["kind"] == "Role").unwrap();
        crate::verify::strings(&role["rules"][0]["verbs"])
    };
    assert_eq!(verbs("{cron: \"0 3 * * *\"}"), ["create", "list"]);
    assert_eq!(verbs("{cron: \"0 3 * * *\", concurrency_policy: Forbid}"), ["create", "list"]);
    assert_eq!(verbs("{cron: \"0 3 * * *\", concurrency_policy: Replace}"), ["create", "list", "get", "patch"]);
    assert_eq!(verbs("{cron: \"0 3 * * *\", failed_history_limit: 2}"), ["create", "list", "delete"]);
}

/// A pipeline of `n` steps with a long pipeline-level env value per step.
fn big(n: usize, schedule: &str) -> String {
    let mut text = format!(
        "name: big\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
         image: registry.example.com/app:1.0\n{schedule}steps:\n"
    );
    for i in 0..n {
        text.push_str(&format!("  - name: step_{i}\n    environment: {{PER_STEP: \"{i:0>400}\"}}\n"));
    }
    text
}

/// A PipelineRun that etcd could not keep once Tekton has copied its spec into its status is
/// refused, with its size, the limit, how many steps fit and the ways out; nothing is written.
#[test]
fn a_run_too_large_for_etcd_is_refused() {
    let opts = crate::Options::default();
    assert!(crate::compile(&big(500, ""), "big.yaml", &[crate::Engine::Tekton], &opts).is_ok());
    let Err(err) = crate::compile(&big(2_000, ""), "big.yaml", &[crate::Engine::Tekton], &opts) else {
        panic!("not refused")
    };
    assert_eq!(err.code(), "tekton-too-large");
    let text = err.to_string();
    for part in ["2000 steps", "1.5 MiB per object", "status", "holds about 771 steps", "--kind pipeline", "--target argo"] {
        assert!(text.contains(part), "{part}: {text}");
    }
    let opts = crate::Options {
        engine: EngineOptions { kind: ObjectKind::Template, ..EngineOptions::default() },
        ..crate::Options::default()
    };
    let Err(err) = crate::compile(&big(4_000, ""), "big.yaml", &[crate::Engine::Tekton], &opts) else {
        panic!("a run of the Pipeline is refused too")
    };
    assert!(err.to_string().contains("a PipelineRun of this Pipeline for 4000 steps"), "{err}");
}

/// A scheduled PipelineRun too large is refused too, naming the way out: `--kind pipeline`,
/// whose scheduled run only names the Pipeline. (The ConfigMap's 1 MiB is checked as well, but
/// a run under etcd's limit once its status is counted rarely reaches it.)
#[test]
fn a_schedule_too_large_for_its_configmap_is_refused() {
    let mut text = String::from(
        "name: big\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
         image: registry.example.com/app:1.0\nschedule: {cron: \"0 3 * * *\"}\nsteps:\n",
    );
    for i in 0..1_400 {
        text.push_str(&format!("  - name: step_{i}\n"));
    }
    let opts = crate::Options::default();
    let Err(err) = crate::compile(&text, "big.yaml", &[crate::Engine::Tekton], &opts) else {
        panic!("not refused")
    };
    assert_eq!(err.code(), "tekton-too-large");
    assert!(err.to_string().contains("--kind pipeline"), "{err}");
    let opts = crate::Options {
        engine: EngineOptions { kind: ObjectKind::Template, ..EngineOptions::default() },
        ..crate::Options::default()
    };
    assert!(
        crate::compile(&text, "big.yaml", &[crate::Engine::Tekton], &opts).is_ok(),
        "the Pipeline is its own object"
    );
}

/// Runs the launcher script with a fake `kubectl` that lists `runs` ("name status" lines)
/// and records every other call; returns the calls.
fn launch(policy: &str, keep_succeeded: &str, keep_failed: &str, runs: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls");
    let fake = dir.path().join("kubectl");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$1\" = get ]; then printf '%s' \"$FAKE_RUNS\"; else echo \"$*\" >> '{}'; fi\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script = dir.path().join("launch.sh");
    std::fs::write(&script, LAUNCHER_SCRIPT).unwrap();
    let status = std::process::Command::new("/bin/sh")
        .arg(&script)
        .arg("/m/pipelinerun.yaml")
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .env("ZENC_SCHEDULE", "nightly")
        .env("ZENC_CONCURRENCY_POLICY", policy)
        .env("ZENC_KEEP_SUCCEEDED", keep_succeeded)
        .env("ZENC_KEEP_FAILED", keep_failed)
        .env("FAKE_RUNS", runs)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(&log).unwrap_or_default().lines().map(String::from).collect()
}

#[test]
fn the_launcher_applies_concurrency_and_history_to_pipelineruns() {
    let create = "create -f /m/pipelinerun.yaml";
    // Oldest first: `r1` succeeded, `r2` failed, `r3` succeeded, `r4` running, `r5` not
    // yet reconciled (no status), `r6` failed.
    let runs = "r1 True\nr2 False\nr3 True\nr4 Unknown\nr5 \nr6 False\n";
    assert_eq!(launch("Allow", "", "", runs), [create]);
    assert_eq!(launch("Allow", "", "", ""), [create]);
    assert!(launch("Forbid", "", "", runs).is_empty(), "r4 and r5 still run");
    assert_eq!(launch("Forbid", "", "", "r1 True\nr2 False\n"), [create]);
    assert_eq!(
        launch("Replace", "", "", runs),
        [
            r#"patch pipelinerun r4 --type merge -p {"spec":{"status":"Cancelled"}}"#,
            r#"patch pipelinerun r5 --type merge -p {"spec":{"status":"Cancelled"}}"#,
            create
        ]
    );
    assert_eq!(
        launch("Allow", "1", "0", runs),
        ["delete pipelineruns r1 --wait=false", "delete pipelineruns r2 r6 --wait=false", create]
    );
    assert_eq!(launch("Allow", "2", "5", runs), [create], "within the limits");
}

/// A self-contained run writes once what every step shares: pipeline labels on the PipelineRun,
/// env in `taskRunTemplate.podTemplate.env`. Env that another value refers to as `$(NAME)`,
/// env whose value refers to one, env that differs per step, the `$`-carrier and the run id
/// stay in each step; read back, every container still gets exactly its input values.
#[test]
fn a_run_writes_shared_env_and_labels_once() {
    let text = "name: shared\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
                image: registry.example.com/app:1.0\n\
                environment: {SAME: one, BASE: /data, PRICE: \"$(x) costs $5\"}\n\
                pod:\n  labels: {team: ml}\n  env:\n    - {name: REF, value: \"$(BASE)/sub\"}\n\
                steps:\n  - name: a\n  - name: b\n    upstream: [a]\n    environment: {ONLY_B: b}\n";
    let (docs, _) = tekton_docs(text, ObjectKind::Run, None);
    let run = &docs[0];
    let labels = &run["metadata"]["labels"];
    assert_eq!(labels["zenml.io/pipeline"], "shared");
    assert_eq!(labels["team"], "ml");
    let names = |env: &Value| -> Vec<String> {
        env.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
    };
    let shared = names(&run["spec"]["taskRunTemplate"]["podTemplate"]["env"]);
    assert!(shared.contains(&"SAME".to_string()), "{shared:?}");
    for kept in ["BASE", "REF", "PRICE", "ONLY_B", "ZENML_KUBERNETES_RUN_ID", DOLLAR.var] {
        assert!(!shared.contains(&kept.to_string()), "{kept} must stay in the step: {shared:?}");
    }
    let tasks = run["spec"]["pipelineSpec"]["tasks"].as_array().unwrap();
    for t in tasks {
        assert_eq!(t["taskSpec"]["metadata"]["labels"].as_object().unwrap().len(), 1, "only the step label");
        let own = names(&t["taskSpec"]["steps"][0]["env"]);
        assert!(own.contains(&"BASE".to_string()) && own.contains(&"ZENML_KUBERNETES_RUN_ID".to_string()));
        assert!(!own.contains(&"SAME".to_string()));
    }

    let opts = crate::Options::default();
    let pipeline = crate::load_ir(text, "p.yaml", &opts.build).unwrap().0;
    let out = crate::compile(text, "p.yaml", &[crate::Engine::Tekton], &opts).unwrap();
    crate::verify::check(crate::Engine::Tekton, &pipeline, &[out.files[0].1.clone()]).unwrap();
}

/// Steps differing only in name run one Task that gets the name as a param; a step alone in
/// its content (another image) or with a name a param would not carry verbatim keeps its
/// inline taskSpec, exactly as `--kind run` writes it.
#[test]
fn alike_steps_share_one_task_and_the_others_stay_inline() {
    let text = "name: shared\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
                image: registry.example.com/app:1.0\n\
                steps: [{name: load}, {name: train_model, upstream: [load]}, {name: \"a b\"}, \
                {name: \"x$(HOME)\"}, {name: gpu, image: registry.example.com/gpu:1.0}]\n";
    let (docs, _) = tekton_docs(text, ObjectKind::Template, None);
    assert_eq!(kinds(&docs), ["Task", "Pipeline"]);
    let (task, tasks) = (&docs[0], docs[1]["spec"]["tasks"].as_array().unwrap());
    let name = task["metadata"]["name"].as_str().unwrap();
    assert!(name.len() == 16 && name.starts_with("zenml-"), "{name}");
    assert!(name[6..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()), "{name}");
    for (t, step) in tasks[..2].iter().zip(["load", "train_model"]) {
        assert_eq!(t["taskRef"], serde_json::json!({"name": name, "kind": "Task"}));
        assert_eq!(t["params"], serde_json::json!([{"name": STEP_PARAM, "value": step}]));
        assert!(t.get("taskSpec").is_none());
    }
    for t in &tasks[2..] {
        assert!(t.get("taskRef").is_none() && t.get("params").is_none(), "{t}");
        let env = &t["taskSpec"]["steps"][0]["env"];
        assert!(env.as_array().unwrap().iter().any(|e| e["value"] == RUN_ID), "{env}");
    }
    assert_eq!(task["spec"]["params"], serde_json::json!([{"name": STEP_PARAM, "type": "string"}]));
    let step = &task["spec"]["steps"][0];
    let args = crate::verify::strings(&step["args"]);
    assert_eq!(args[args.len() - 2..], ["--step_name", "$(params.step)"]);
    let run_id = step["env"].as_array().unwrap().iter().find(|e| e["name"] == "ZENML_KUBERNETES_RUN_ID").unwrap();
    assert_eq!(run_id["valueFrom"]["fieldRef"]["fieldPath"], "metadata.labels['tekton.dev/pipelineRunUID']");
    assert!(!task.to_string().contains("$(context."), "a referenced Task sees no pipeline context");
    // No per-step metadata on what every step shares; the pipeline's labels are there.
    assert!(task["metadata"]["labels"].get("zenml.io/step").is_none());
    assert!(task["metadata"]["annotations"].get("zenml.io/step-name").is_none());
    assert_eq!(task["metadata"]["labels"]["zenml.io/pipeline"], "shared");
}

/// A Task's name follows its content: the same input gives the same name, any change to what
/// the Task holds gives another, so re-applying never changes the Task of a running run.
#[test]
fn shared_task_names_follow_their_content() {
    let task_name = |text: &str| {
        let (docs, _) = tekton_docs(text, ObjectKind::Template, None);
        docs[0]["metadata"]["name"].as_str().unwrap().to_string()
    };
    let first = task_name(CHAIN);
    assert_eq!(task_name(CHAIN), first);
    // The steps' order and dependencies are the Pipeline's, not the Task's.
    assert_eq!(task_name(&CHAIN.replace("{name: b, upstream: [a]}", "{name: b}")), first);
    for changed in [
        CHAIN.replace("app:1.0", "app:1.1"),
        CHAIN.replace("11111111-2222", "11111111-2223"),
        format!("{CHAIN}environment: {{A: b}}\n"),
    ] {
        assert_ne!(task_name(&changed), first, "{changed}");
    }
}

/// Names that are not valid label values (what Tekton's param would carry into args, where
/// the kubelet expands `$(VAR)` and `$$`) are never shared, not even with each other.
#[test]
fn names_a_param_would_not_carry_verbatim_are_not_shared() {
    for name in ["x$(HOME)", "a$$b", "a b", "ü", "_lead", "t".repeat(64).as_str()] {
        let text = format!(
            "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
             image: registry.example.com/app:1.0\nsteps: [{{name: {n1}}}, {{name: {n2}}}]\n",
            n1 = serde_json::to_string(name).unwrap(),
            n2 = serde_json::to_string(&format!("{name}2")).unwrap(),
        );
        let (docs, _) = tekton_docs(&text, ObjectKind::Template, None);
        assert_eq!(kinds(&docs), ["Pipeline"], "{name}");
    }
}

/// The size check counts `spec.tasks` byte for byte as the API server stores it (compact
/// JSON), for inline and shared tasks.
#[test]
fn the_task_bytes_are_the_compact_json_of_the_output() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok");
    let build = crate::BuildOptions { image: Some("i".into()), ..crate::BuildOptions::default() };
    let mut checked = 0;
    for path in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
        if !path.extension().is_some_and(|e| e == "json" || e == "yaml") {
            continue;
        }
        let (name, text) = (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path).unwrap());
        let Ok((p, _)) = crate::load_ir(&text, &name, &build) else { continue };
        for kind in [ObjectKind::Run, ObjectKind::Template] {
            let engine = EngineOptions { kind, ..EngineOptions::default() };
            let Ok(ctx) = Tekton::lower(&p, &engine, &mut Vec::new()) else { continue };
            let tasks = match &ctx {
                TektonContext::Run(run) | TektonContext::Scheduled { pipeline: None, run, .. } => &run.tasks,
                TektonContext::Pipeline(p) | TektonContext::Scheduled { pipeline: Some(p), .. } => &p.tasks,
            };
            let opts = crate::Options { engine, build: build.clone(), ..crate::Options::default() };
            let out = crate::compile(&text, &name, &[crate::Engine::Tekton], &opts).unwrap();
            let mut docs = crate::verify::yaml_documents(&out.files[0].1.content).unwrap();
            if matches!(ctx, TektonContext::Scheduled { pipeline: None, .. }) {
                docs = vec![scheduled_run(&docs)];
            }
            let rendered = docs
                .iter()
                .find_map(|d| match d["kind"].as_str() {
                    Some("Pipeline") => Some(&d["spec"]["tasks"]),
                    Some("PipelineRun") => Some(&d["spec"]["pipelineSpec"]["tasks"]),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{name}: no tasks"));
            assert_eq!(size::tasks_bytes(tasks), rendered.to_string().len(), "{name} {kind:?}");
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked}");
}

/// `--kind run`'s refusal says how many steps `--kind pipeline` holds, and that is true: that
/// many alike steps compile as a Pipeline, a few percent more are refused.
#[test]
fn the_kind_pipeline_estimate_in_a_refusal_is_true() {
    let chain = |n: usize| {
        let mut text = String::from(
            "name: many\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\n\
             image: registry.example.com/app:1.0\nsteps:\n  - name: s_00000\n",
        );
        for i in 1..n {
            text.push_str(&format!("  - name: s_{i:05}\n    upstream: [s_{:05}]\n", i - 1));
        }
        text
    };
    let compile = |n: usize, kind: ObjectKind| {
        let opts = crate::Options {
            engine: EngineOptions { kind, ..EngineOptions::default() },
            ..crate::Options::default()
        };
        crate::compile(&chain(n), "many.yaml", &[crate::Engine::Tekton], &opts)
    };
    let Err(err) = compile(3_000, ObjectKind::Run) else { panic!("not refused") };
    let text = err.to_string();
    let (_, after) = text.split_once(", about ").unwrap_or_else(|| panic!("{text}"));
    let fits: usize = after.split(' ').next().unwrap().parse().unwrap();
    if let Err(e) = compile(fits, ObjectKind::Template) {
        panic!("{fits} steps refused as a Pipeline: {e}");
    }
    let Err(err) = compile(fits * 103 / 100, ObjectKind::Template) else { panic!("{fits} + 3% fit too") };
    assert_eq!(err.code(), "tekton-too-large");
}

/// A copy of an alike step's taskSpec with the name put in is the step's own taskSpec.
#[test]
fn a_renamed_spec_is_the_steps_own() {
    let mut copies = 0;
    for (name, p) in crate::backend::alike::tests::pipelines() {
        let first = crate::backend::alike::first_alike(&p);
        for (i, s) in p.steps().iter().enumerate() {
            let Ok(own) = task::spec(&p, s) else { continue };
            if first[i] != i {
                let copy = run::renamed(&task::spec(&p, &p.steps()[first[i]]).unwrap(), s);
                assert_eq!(copy, own, "{name} {}", s.name());
                copies += 1;
            }
        }
    }
    assert!(copies > 20, "{copies}");
}

/// The size check counts a run's tasks before `run::fill` copies the alike ones exactly as
/// they are after.
#[test]
fn the_size_of_tasks_not_filled_yet_is_their_size_once_filled() {
    let mut counted = 0;
    for (name, p) in crate::backend::alike::tests::pipelines() {
        let Ok((mut ctx, first)) = lower_kind(&p, &EngineOptions::default(), &mut Vec::new()) else { continue };
        let (TektonContext::Run(run) | TektonContext::Scheduled { pipeline: None, run, .. }) = &mut ctx else {
            panic!("{name}: not a run")
        };
        let before = size::filled_tasks_bytes(&run.tasks, &p, &first);
        let unfilled = run.tasks.iter().filter(|t| t.spec.is_none()).count();
        run::fill(&p, &mut run.tasks, &first).unwrap();
        assert_eq!(before, size::tasks_bytes(&run.tasks), "{name}");
        counted += unfilled;
    }
    assert!(counted > 20, "{counted}");
}
