//! README examples stay true: the hand-written YAML example is `fixtures/ok/manual_full.yaml`
//! (which `tests/compile.rs` compiles for every engine), and it schedules.

use serde_json::Value;
use zenc::{load_ir, BuildOptions};

fn readme_example() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("(this is `fixtures/ok/manual_full.yaml`)").expect("README names the fixture");
    let block = &readme[start..];
    let body = &block[block.find("```yaml\n").expect("a YAML block follows") + 8..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn the_readme_yaml_example_is_the_fixture() {
    let fixture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ok/manual_full.yaml")).unwrap();
    let parse = |t: &str| serde_yaml::from_str::<Value>(t).unwrap();
    assert_eq!(parse(&readme_example()), parse(&fixture));
}

#[test]
fn the_example_gpu_step_selects_a_gpu_node_pool() {
    let opts = BuildOptions { image: None, ..BuildOptions::default() };
    let (p, _) = load_ir(readme_example(), "manual_full.yaml", &opts).unwrap();
    let pool = "cloud.google.com/gke-nodepool";
    let cpu_pools: Vec<&str> = p
        .steps()
        .iter()
        .filter(|s| s.resources().gpus().is_none())
        .filter_map(|s| s.pod().node_selector().get(pool))
        .map(String::as_str)
        .collect();
    for s in p.steps().iter().filter(|s| s.resources().gpus().is_some()) {
        // The pipeline-wide pod settings merge into every step: a GPU step that kept the CPU
        // pool's selector would never be scheduled.
        let selected = s.pod().node_selector().get(pool).map(String::as_str);
        assert!(!cpu_pools.contains(&selected.unwrap_or_default()), "GPU step `{}` selects {selected:?}", s.name());
        assert!(s.pod().node_selector().contains_key("cloud.google.com/gke-accelerator"), "{}", s.name());
    }
}
