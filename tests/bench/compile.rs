//! Compile-time benchmark: synthetic ZenML snapshots of 10 to 10,000 steps, and chains of up
//! to 100,000 steps, through every engine. Run with `cargo bench --bench compile` (release
//! build); prints one table row per size with the median of several runs.

// Timings are printed as floats.
#![allow(clippy::cast_precision_loss)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zenc::{compile, load_ir, BuildOptions, Engine, EngineOptions, Options};

/// The shape of a synthetic pipeline: step `i`'s upstream step indices.
#[derive(Clone, Copy)]
enum Shape {
    /// Layers of 10, each step depending on two steps of the previous layer.
    Layers,
    /// One chain: step `i` depends on `i - 1`.
    Chain,
    /// A chain whose steps also depend on the steps 2 and 5 before them (still one order).
    ChainWithSkips,
}

impl Shape {
    fn upstream(self, i: usize) -> Vec<usize> {
        match self {
            Shape::Layers if i < 10 => Vec::new(),
            Shape::Layers => {
                let base = (i / 10 - 1) * 10;
                vec![base + i % 10, base + (i + 3) % 10]
            }
            Shape::Chain => (i > 0).then(|| i - 1).into_iter().collect(),
            Shape::ChainWithSkips => [1, 2, 5].iter().filter(|&&d| d <= i).map(|d| i - d).collect(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Shape::Layers => "layers",
            Shape::Chain => "chain",
            Shape::ChainWithSkips => "chain+skips",
        }
    }
}

/// A snapshot in ZenML's JSON shape, with resources, environment and pod settings on every step.
fn synthetic_snapshot(steps: usize, shape: Shape) -> String {
    let mut configs = serde_json::Map::new();
    for i in 0..steps {
        let upstream: Vec<String> = shape.upstream(i).into_iter().map(|u| format!("step_{u:06}")).collect();
        configs.insert(
            format!("step_{i:06}"),
            json!({
                "spec": {"upstream_steps": upstream, "invocation_id": format!("step_{i:06}")},
                "config": {
                    "environment": {"INDEX": i.to_string(), "TEMPLATE": "{{ not a template }} $(HOME)"},
                    "retry": {"max_retries": 2, "delay": 10, "backoff": 2},
                    "settings": {
                        "resources": {"cpu_count": 0.5, "memory": "512MiB"},
                        "orchestrator:k8s": {"pod_settings": {
                            "node_selectors": {"pool": "cpu"},
                            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}],
                            "labels": {"team": "ml"}
                        }}
                    }
                }
            }),
        );
    }
    let snapshot: Value = json!({
        "id": "0b9bd5a0-4c61-4a8b-9f5b-2d1f6f0c7a11",
        "body": {"project_id": "5f0c3a52-8d1e-4c77-9a3b-0e6d2f4b9c10", "is_dynamic": false},
        "metadata": {
            "pipeline_configuration": {"name": format!("synthetic_{steps}"), "execution_mode": "continue_on_failure"},
            "step_configurations": configs
        },
        "resources": {
            "stack": {"id": "7c1e9b44-2a5d-4f83-b6c0-91d8e3a7f215", "metadata": {"components": {"orchestrator": [
                {"name": "k8s", "body": {"flavor_name": "kubernetes"}}
            ]}}},
            "build": {"metadata": {"images": {"orchestrator": {"image": "registry.example.com/app:1.0"}}}},
            "schedule": null
        }
    });
    serde_json::to_string(&snapshot).expect("serializable")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo test` also builds and runs benches with `--bench`-less flags; keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let cases: Vec<(usize, Shape)> = if quick {
        vec![(10, Shape::Layers), (10, Shape::Chain)]
    } else {
        vec![
            (10, Shape::Layers),
            (100, Shape::Layers),
            (1_000, Shape::Layers),
            (10_000, Shape::Layers),
            // Chains: the failure-mode rule must stay linear (a quadratic pass took 600 s here).
            (10_000, Shape::Chain),
            (100_000, Shape::Chain),
            (100_000, Shape::ChainWithSkips),
        ]
    };
    let opts = Options {
        build: BuildOptions {
            zenml_url: Some("https://zenml.example.com".into()),
            zenml_secret: Some(zenc::ir::SecretRef { name: "zenml-api-key".into(), key: "api-key".into() }),
            ..BuildOptions::default()
        },
        engine: EngineOptions::default(),
        templates: None,
    };
    let mut header = String::from("| steps | shape | input | parse + validate |");
    for engine in Engine::ALL {
        header.push_str(&format!(" {} (total) | {} output |", engine.name(), engine.name()));
    }
    println!("{header}");
    println!("|{}", "---|".repeat(4 + 2 * Engine::ALL.len()));
    // `cargo bench --bench compile -- chain`: only the cases whose "<steps> <shape>" contains an argument.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    for (steps, shape) in cases {
        let label = format!("{steps} {}", shape.name());
        if !filters.is_empty() && !filters.iter().any(|f| label.contains(f.as_str())) {
            continue;
        }
        let text = synthetic_snapshot(steps, shape);
        let runs = match steps {
            100_000.. => 3,
            10_000.. => 5,
            _ => 15,
        };
        let parse = time(runs, || {
            load_ir(&text, "synthetic.json", &opts.build).expect("valid");
        });
        let mut row = format!("| {steps} | {} | {:.1} MB | {} |", shape.name(), text.len() as f64 / 1e6, ms(parse));
        for &engine in Engine::ALL {
            let mut size = 0;
            let total = time(runs, || {
                let out = compile(&text, "synthetic.json", &[engine], &opts).expect("compiles");
                size = out.files.iter().map(|(_, a)| a.content.len()).sum();
                // continue_on_failure: only independent steps make Tekton warn.
                let warned = out.warnings.iter().any(|w| w.code == "tekton-failure-mode");
                assert_eq!(warned, engine == Engine::Tekton && matches!(shape, Shape::Layers), "{label}");
            });
            row.push_str(&format!(" {} | {:.1} MB |", ms(total), size as f64 / 1e6));
        }
        println!("{row}");
    }
}
