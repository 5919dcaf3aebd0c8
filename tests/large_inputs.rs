//! Generated inputs far larger than any fixture: nothing recurses once per step, and error
//! messages about them stay short.

use zenc::{load_ir, BuildOptions, ErrorKind};

/// A ZenML snapshot of `n` steps named `s0`…; `upstream(i)` lists step `i`'s upstream names.
fn snapshot(n: usize, upstream: impl Fn(usize) -> Vec<String>) -> String {
    let steps: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| {
            let step = serde_json::json!({"spec": {"upstream_steps": upstream(i)}, "config": {}});
            (format!("s{i}"), step)
        })
        .collect();
    serde_json::json!({
        "id": "0b9bd5a0-4c61-4a8b-9f5b-2d1f6f0c7a11",
        "body": {},
        "metadata": {"pipeline_configuration": {"name": "big"}, "step_configurations": steps},
    })
    .to_string()
}

fn options(image: bool) -> BuildOptions {
    BuildOptions {
        flavor: Some("kubernetes".into()),
        image: image.then(|| "registry.example.com/app:1".into()),
        ..BuildOptions::default()
    }
}

/// Runs `f` on a thread with the default 2 MiB stack of a spawned thread: a recursion once
/// per step would overflow it and abort the test binary.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap()
}

#[test]
fn a_100k_step_cycle_is_a_short_error() {
    const N: usize = 100_000;
    let text = snapshot(N, |i| vec![format!("s{}", (i + N - 1) % N)]);
    let err = on_small_stack(move || load_ir(&text, "big.json", &options(true)).unwrap_err());
    let ErrorKind::Cycle { chain } = &*err.kind else { panic!("{err}") };
    assert_eq!(chain.len(), N + 1);
    let shown = err.to_string();
    assert!(shown.starts_with("steps form a cycle: `s0` -> `s1` -> "), "{shown}");
    assert!(shown.contains("(100000 steps)"), "{shown}");
    assert!(shown.len() < 1000, "{} bytes", shown.len());
}

#[test]
fn an_unknown_upstream_among_20k_steps_is_a_short_error() {
    let text = snapshot(20_000, |i| if i == 19_999 { vec!["nope".into()] } else { vec![] });
    let err = load_ir(&text, "big.json", &options(true)).unwrap_err();
    assert!(matches!(*err.kind, ErrorKind::UnknownUpstream { .. }), "{err}");
    let shown = err.to_string();
    assert!(shown.contains("… and 19990 more (20000 in all)"), "{shown}");
    assert!(shown.len() < 1000, "{} bytes", shown.len());
}

#[test]
fn twenty_thousand_steps_without_images_is_a_short_error() {
    let text = snapshot(20_000, |_| vec![]);
    let err = load_ir(&text, "big.json", &options(false)).unwrap_err();
    assert!(matches!(*err.kind, ErrorKind::MissingImage { .. }), "{err}");
    let shown = err.to_string();
    assert!(shown.len() < 1000, "{} bytes", shown.len());
}
