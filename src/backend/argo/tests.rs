//! Large pipelines on Argo: shared templates, nested DAGs within Argo 4's limits, the size
//! estimate and its limits.

use serde_json::Value;

use super::{size, Argo};
use crate::backend::{Artifact, Backend, EngineOptions, ObjectKind};
use crate::error::Warning;
use crate::{compile, load_ir, verify, BuildOptions, Engine, Options};

/// zenc's YAML form of `n` steps `step_000000`…, each
/// waiting for `upstream(i)`.
fn pipeline(n: usize, upstream: impl Fn(usize) -> Vec<usize>) -> String {
    let steps: Vec<Value> = (0..n)
        .map(|i| {
            let up: Vec<String> = upstream(i).into_iter().map(|u| format!("step_{u:06}")).collect();
            serde_json::json!({"name": format!("step_{i:06}"), "upstream": up})
        })
        .collect();
    serde_json::json!({
        "name": "big", "snapshot_id": "11111111-2222-3333-4444-555555555555", "flavor": "kubernetes",
        "image": "registry.example.com/app:1", "steps": steps,
    })
    .to_string()
}

fn chain(i: usize) -> Vec<usize> {
    if i == 0 {
        vec![]
    } else {
        vec![i - 1]
    }
}

/// One step, then `n - 2` steps after it, then one after all of them.
fn fan(n: usize) -> impl Fn(usize) -> Vec<usize> {
    move |i| match i {
        0 => vec![],
        i if i < n - 1 => vec![0],
        _ => (1..n - 1).collect(),
    }
}

/// Layers of 10: step j of layer L after steps j and j+3 of layer L-1 and j+7 of layer L-3.
fn layered(i: usize) -> Vec<usize> {
    let (l, j) = (i / 10, i % 10);
    let mut up = Vec::new();
    if l >= 1 {
        up.extend([(l - 1) * 10 + j, (l - 1) * 10 + (j + 3) % 10]);
    }
    if l >= 3 {
        up.push((l - 3) * 10 + (j + 7) % 10);
    }
    up.sort_unstable();
    up
}

/// Compiles for Argo, checks the output against the IR (`verify`), returns the Workflow and
/// the Argo warnings.
fn argo(text: &str) -> crate::error::Result<(Value, Vec<Warning>)> {
    let (p, _) = load_ir(text, "p.yaml", &BuildOptions::default())?;
    let (wf, warnings, artifacts) = argo_unchecked(text)?;
    verify::check(Engine::Argo, &p, &artifacts).unwrap();
    Ok((wf, warnings))
}

fn argo_unchecked(text: &str) -> crate::error::Result<(Value, Vec<Warning>, Vec<Artifact>)> {
    let out = compile(text, "p.yaml", &[Engine::Argo], &Options::default())?;
    let artifacts: Vec<Artifact> = out.files.into_iter().map(|(_, a)| a).collect();
    let docs = verify::yaml_documents(&artifacts[0].content).unwrap();
    let warnings = out.warnings.into_iter().filter(|w| w.code.starts_with("argo-")).collect();
    Ok((docs[0].clone(), warnings, artifacts))
}

fn templates(wf: &Value) -> &Vec<Value> {
    wf["spec"]["templates"].as_array().unwrap()
}

/// Within Argo 4's CRD limits: ≤200 templates, ≤200 tasks in every DAG.
fn assert_fits(wf: &Value) {
    assert!(templates(wf).len() <= 200, "{} templates", templates(wf).len());
    for t in templates(wf) {
        if let Some(tasks) = t["dag"]["tasks"].as_array() {
            assert!(tasks.len() <= 200, "{}: {} tasks", t["name"], tasks.len());
        }
    }
}

#[test]
fn alike_steps_share_one_template() {
    let (wf, warnings) = argo(&pipeline(5, chain)).unwrap();
    let names: Vec<&str> = templates(&wf).iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pipeline", "zenml-step"]);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_thousand_steps_nest_within_argo_limits_and_chains_and_fans_wait_for_nothing_more() {
    for (shape, text) in [("chain", pipeline(1_000, chain)), ("fan", pipeline(1_000, fan(1_000)))] {
        let (wf, warnings) = argo(&text).unwrap();
        assert_fits(&wf);
        assert!(templates(&wf).len() > 2, "{shape}: nested");
        assert!(warnings.is_empty(), "{shape}: {warnings:?}");
    }
    let (wf, warnings) = argo(&pipeline(1_000, layered)).unwrap();
    assert_fits(&wf);
    let [w] = &warnings[..] else { panic!("{warnings:?}") };
    assert_eq!(
        w.message,
        "1000 steps exceed Argo's 200 tasks per DAG: they run as 5 nested DAGs (group-001 … group-005), each starting \
         once the groups it depends on have finished; 240 steps also wait for steps they do not depend on (2960 waits \
         in all), e.g. `step_000200` waits for 28 more (group-002 runs after group-001), `step_000400` waits for 28 \
         more (group-003 runs after group-002), `step_000600` waits for 28 more (group-004 runs after group-003), \
         `step_000800` waits for 28 more (group-005 runs after group-004), …; a failed step also stops every group \
         after its own"
    );
}

#[test]
fn the_size_estimate_is_the_compact_json_of_the_output() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ok");
    let mut texts: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "yaml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    texts.push(("layered.yaml".into(), pipeline(500, layered)));
    let opts = Options { build: BuildOptions { image: Some("i".into()), ..BuildOptions::default() }, ..Options::default() };
    for kind in [ObjectKind::Run, ObjectKind::Template] {
        for (name, text) in &texts {
            let Ok((p, _)) = load_ir(text, name, &opts.build) else { continue };
            let engine = EngineOptions { kind, ..EngineOptions::default() };
            let ctx = Argo::lower(&p, &engine, &mut Vec::new()).unwrap();
            let opts = Options { engine, ..opts.clone() };
            let out = compile(text, name, &[Engine::Argo], &opts).unwrap();
            let wf = &verify::yaml_documents(&out.files[0].1.content).unwrap()[0];
            assert_eq!(size::spec_bytes(&ctx.workflow), wf.to_string().len(), "{name}");
        }
    }
}

#[test]
fn a_workflow_over_the_controller_limit_warns_and_one_over_etcd_is_refused() {
    let (_, warnings, _) = argo_unchecked(&pipeline(4_500, chain)).unwrap();
    let [w] = &warnings[..] else { panic!("{warnings:?}") };
    assert_eq!(w.code, "argo-workflow-size");
    assert_eq!(
        w.message,
        "the Workflow will hold ≈1.12 MiB in etcd once running (spec 0.65 MiB + ≈0.47 MiB of run-time status, ≈110 B \
         per step), over the Argo controller's default limit of 1.00 MiB: set `MAX_WORKFLOW_SIZE=1572864` in the \
         workflow-controller's environment, or offload node status (`persistence.nodeStatusOffLoad: true`)"
    );

    let err = argo_unchecked(&pipeline(6_500, chain)).unwrap_err();
    assert_eq!(crate::diagnostic::error_code(&err.kind).code, "argo-too-large");
    assert_eq!(
        err.to_string(),
        "Argo cannot express this pipeline of 6500 steps in one Workflow: the Workflow will hold ≈1.62 MiB in etcd \
         once running (spec 0.93 MiB + ≈0.68 MiB of run-time status, ≈110 B per step), and etcd stores at most 1.50 \
         MiB per object\n  --> p.yaml\n  = help: split the pipeline (≈6018 steps of this one fit), or compile it for \
         Airflow, whose DAG file has no such limit"
    );
}

#[test]
fn a_step_unlike_the_others_keeps_its_own_template_and_names_never_collide() {
    let text = "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: i:1\n\
                steps: [{name: a}, {name: zenml-step, image: other:2, upstream: [a]}, {name: b, upstream: [a]}]\n";
    let (wf, _) = argo(text).unwrap();
    let names: Vec<&str> = templates(&wf).iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pipeline", "zenml-step-2", "zenml-step"]);
    let tasks = templates(&wf)[0]["dag"]["tasks"].as_array().unwrap();
    let used: Vec<&str> = tasks.iter().map(|t| t["template"].as_str().unwrap()).collect();
    assert_eq!(used, ["zenml-step-2", "zenml-step", "zenml-step-2"]);
    assert!(tasks[1].get("arguments").is_none(), "a template of its own takes no parameters");
}

#[test]
fn more_templates_than_argo_allows_are_refused_with_the_count() {
    let steps: Vec<String> = (0..201).map(|i| format!("{{name: s{i}, image: \"img:{i}\"}}")).collect();
    let text = format!(
        "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: i:1\nsteps: [{}]\n",
        steps.join(", ")
    );
    let err = argo_unchecked(&text).unwrap_err();
    assert_eq!(crate::diagnostic::error_code(&err.kind).code, "argo-too-many-templates");
    assert_eq!(
        err.to_string(),
        "Argo cannot express this pipeline in one Workflow: it needs 204 templates (3 DAGs, 201 for steps with settings \
         of their own), and Argo 4's CRDs allow at most 200\n  --> p.yaml\n  = help: give steps the same image, \
         resources and pod settings where they can share them, or split the pipeline"
    );
}

/// Step templates (not DAGs) of a Workflow, by name.
fn step_templates(wf: &Value) -> Vec<&str> {
    templates(wf).iter().filter(|t| t.get("container").is_some()).map(|t| t["name"].as_str().unwrap()).collect()
}

#[test]
fn names_argo_would_quote_into_invalid_json_keep_templates_of_their_own() {
    // Go's strconv.Quote writes \a, \v, \x7f and \U000e0001: not JSON, so Argo could not fill them in.
    for odd in [r"\a", r"\v", r"\x7f", r"\x01", r"\U000e0001"] {
        let text = format!(
            "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: i:1\n\
             steps: [{{name: \"a{odd}x\"}}, {{name: \"b{odd}x\"}}]\n"
        );
        let (wf, _) = argo(&text).unwrap();
        let own = step_templates(&wf);
        assert_eq!(own.len(), 2, "{odd}: {own:?}");
        assert!(!own.iter().any(|n| n.starts_with("zenml-step")), "{odd}: {own:?}");
    }
    // Quotes, newlines and tabs quote the same in Go and JSON: those names still share.
    let text = r#"{"name": "p", "snapshot_id": "11111111-2222-3333-4444-555555555555", "flavor": "kubernetes",
        "image": "i:1", "steps": [{"name": "a \"q\"\n\tx"}, {"name": "b é 'x'"}]}"#;
    let (wf, _) = argo(text).unwrap();
    assert_eq!(step_templates(&wf), ["zenml-step"]);
}

#[test]
fn a_users_annotation_holding_an_input_reference_is_refused_not_filled() {
    for steps in ["[{name: a, pod: {annotations: {x: '{{inputs.parameters.step-name}}'}}}]",
        "[{name: a, pod: {annotations: {x: '{{inputs.parameters.step-name}}'}}}, \
          {name: b, pod: {annotations: {x: '{{inputs.parameters.step-name}}'}}}]"]
    {
        let text = format!(
            "name: p\nsnapshot_id: 11111111-2222-3333-4444-555555555555\nflavor: kubernetes\nimage: i:1\nsteps: {steps}\n"
        );
        let err = argo_unchecked(&text).unwrap_err().to_string();
        assert!(err.starts_with("Argo cannot express `{{` in `annotations.x` of step `a`"), "{err}");
    }
}
