//! Scale benchmark: synthetic ZenML snapshots (`synth.rs`: a real fixture's step copied into
//! 10 to 100,000 steps, chain / fan / layered) compiled by the release `zenc` binary, one cold
//! process per compile, for every target. Prints a Markdown table: median wall time of the
//! whole process, output bytes, the largest YAML document, peak memory (resident set, from
//! `/usr/bin/time`) and its ratio to the input.
//!
//! ```sh
//! cargo bench --bench scale                                    # everything (~15 min)
//! cargo bench --bench scale -- --sizes 10,5000 --shapes layered --targets argo,tekton --runs 3
//! cargo bench --bench scale -- --zenc /path/to/other/zenc      # another build, same inputs
//! cargo bench --bench scale -- gen layered 5000 > s.json       # write one snapshot and stop
//! ```
//!
//! A pipeline zenc refuses (too large for the engine: `tekton-too-large`, `argo-too-large`) is a
//! row `refused (<code>)` with the time the refusal took.
//!
//! Without `--bench` (as `cargo test --benches` runs it) it compiles 10 layered steps once
//! per target, to prove it still works.

// Sizes and times are printed as floats.
#![allow(clippy::cast_precision_loss)]

#[path = "synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use synth::Shape;

/// `tekton-pipeline` is `-t tekton --kind pipeline` (the Pipeline and its shared Tasks).
const TARGETS: [&str; 6] = ["argo", "tekton", "tekton-pipeline", "airflow", "kubeflow", "vertex"];
const SIZES: [usize; 5] = [10, 1_000, 5_000, 10_000, 100_000];
/// What a ZenML stack would configure: the server and the Secret with its API key.
/// JSON diagnostics, so that a refusal's code can be read.
const FLAGS: [&str; 7] =
    ["--zenml-url", "https://zenml.example.com", "--zenml-secret", "zenml-api-key", "-q", "--message-format", "json"];

struct Plan {
    sizes: Vec<usize>,
    shapes: Vec<Shape>,
    targets: Vec<String>,
    runs: Option<usize>,
    zenc: PathBuf,
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let full = std::env::args().any(|a| a == "--bench");
    if args.first().map(String::as_str) == Some("gen") {
        return generate(&args[1..]);
    }
    let mut plan = Plan {
        sizes: if full { SIZES.to_vec() } else { vec![10] },
        shapes: if full { Shape::ALL.to_vec() } else { vec![Shape::Layered] },
        targets: TARGETS.iter().map(ToString::to_string).collect(),
        runs: (!full).then_some(1),
        zenc: PathBuf::from(env!("CARGO_BIN_EXE_zenc")),
    };
    while !args.is_empty() {
        let flag = args.remove(0);
        let value = if args.is_empty() { bad(&format!("{flag} needs a value")) } else { args.remove(0) };
        let list = || value.split(',').map(str::trim).filter(|s| !s.is_empty());
        match flag.as_str() {
            "--sizes" => plan.sizes = list().map(|s| s.replace('_', "").parse().unwrap_or_else(|_| bad(s))).collect(),
            "--shapes" => plan.shapes = list().map(|s| Shape::from_name(s).unwrap_or_else(|| bad(s))).collect(),
            "--targets" => plan.targets = list().map(String::from).collect(),
            "--runs" => plan.runs = Some(value.parse().unwrap_or_else(|_| bad(&value))),
            "--zenc" => plan.zenc = PathBuf::from(value),
            _ => bad(&flag),
        }
    }
    run(&plan);
}

fn bad(what: &str) -> ! {
    eprintln!(
        "scale: unexpected `{what}`\nusage: scale [--sizes 10,1000] [--shapes chain,fan,layered] \
         [--targets argo,tekton] [--runs N] [--zenc PATH] | gen SHAPE STEPS"
    );
    std::process::exit(2)
}

/// `gen SHAPE STEPS`: the snapshot on stdout.
fn generate(args: &[String]) {
    let [shape, steps] = args else { bad("gen needs SHAPE STEPS") };
    let shape = Shape::from_name(shape).unwrap_or_else(|| bad(shape));
    let steps = steps.replace('_', "").parse().unwrap_or_else(|_| bad(steps));
    synth::write(shape, steps, &mut std::io::stdout().lock()).expect("writing stdout");
}

fn run(plan: &Plan) {
    let dir = tempfile::tempdir().expect("temp dir");
    let time = Path::new("/usr/bin/time");
    let time = time.is_file().then_some(time);
    println!("zenc: {}", plan.zenc.display());
    println!(
        "| shape | steps | input | target | wall (median) | CPU | output | largest document | peak RSS | RSS / input |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    for &shape in &plan.shapes {
        for &steps in &plan.sizes {
            let input = dir.path().join(format!("synthetic_{}_{steps}.json", shape.name()));
            let file = std::fs::File::create(&input).expect("input file");
            synth::write(shape, steps, &mut std::io::BufWriter::new(file)).expect("writing the input");
            let input_bytes = usize::try_from(std::fs::metadata(&input).expect("input written").len()).expect("fits");
            let runs = plan.runs.unwrap_or(match steps {
                0..=1_000 => 9,
                1_001..=5_000 => 5,
                5_001..=10_000 => 3,
                _ => 1,
            });
            for target in &plan.targets {
                let output = dir.path().join(format!("out.{target}"));
                let mut compile = Command::new(&plan.zenc);
                let engine = match target.as_str() {
                    "tekton-pipeline" => ["tekton", "--kind", "pipeline"],
                    other => [other, "--kind", "run"],
                };
                compile.arg("compile").arg(&input).arg("-t").args(engine).arg("-o").arg(&output).args(FLAGS);
                let samples: Vec<Result<Duration, Refusal>> = (0..runs).map(|_| timed(&mut compile)).collect();
                let refused = samples.iter().find_map(|s| s.as_ref().err()).map(|r| r.code.clone());
                let wall = median(samples.into_iter().map(|s| s.unwrap_or_else(|r| r.wall)).collect());
                let usage = time.map(|time| usage(time, &compile, dir.path()));
                let (output_size, largest) = if let Some(code) = &refused {
                    (format!("refused ({code})"), "–".to_string())
                } else {
                    let text = std::fs::read_to_string(&output).expect("output written");
                    let largest = text.split("\n---\n").map(str::len).max().unwrap_or(0);
                    (mb(text.len()), mib(largest))
                };
                println!(
                    "| {} | {steps} | {} | {target} | {} | {} | {output_size} | {largest} | {} | {} |",
                    shape.name(),
                    mb(input_bytes),
                    ms(wall),
                    // GNU time counts CPU in hundredths of a second.
                    usage.map_or("–".into(), |u| if u.cpu.is_zero() { "<10 ms".into() } else { ms(u.cpu) }),
                    usage.map_or("–".into(), |u| mb(u.peak)),
                    usage.map_or("–".into(), |u| format!("{:.1}x", u.peak as f64 / input_bytes as f64)),
                );
                if refused.is_some() {
                    continue;
                }
                std::fs::remove_file(&output).expect("output removed");
            }
            std::fs::remove_file(&input).expect("input removed");
        }
    }
}

/// zenc said no, with an error code, after `wall`.
struct Refusal {
    code: String,
    wall: Duration,
}

/// Wall time of one compile, or its refusal; a failure without an error code stops the bench.
fn timed(compile: &mut Command) -> Result<Duration, Refusal> {
    let start = Instant::now();
    let out = compile.stdout(Stdio::null()).stderr(Stdio::piped()).output().expect("zenc runs");
    let wall = start.elapsed();
    if out.status.success() {
        return Ok(wall);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|d| d["severity"] == "error")
        .and_then(|d| d["code"].as_str().map(String::from));
    let code = code.unwrap_or_else(|| panic!("{compile:?} failed: {stderr}"));
    Err(Refusal { code, wall })
}

/// What the kernel counted for one process.
#[derive(Clone, Copy)]
struct Usage {
    /// User + system CPU time.
    cpu: Duration,
    /// Peak resident set in bytes (`maxrss`).
    peak: usize,
}

/// One compile under GNU time.
fn usage(time: &Path, compile: &Command, dir: &Path) -> Usage {
    let report = dir.join("time.txt");
    let status = Command::new(time)
        .args(["-f", "%M %U %S", "-o"])
        .arg(&report)
        .arg(compile.get_program())
        .args(compile.get_args())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("time runs");
    // A refusal exits non-zero; GNU time then writes "Command exited with non-zero status 1"
    // before its report.
    assert!(status.success() || status.code() == Some(1), "{compile:?} under {} failed", time.display());
    let report = std::fs::read_to_string(&report).expect("time's report");
    let fields: Vec<&str> = report.lines().last().unwrap_or_default().split_whitespace().collect();
    let [kib, user, system] = fields[..] else { panic!("time reported {report:?}") };
    let seconds = |s: &str| s.parse::<f64>().expect("seconds");
    Usage {
        cpu: Duration::from_secs_f64(seconds(user) + seconds(system)),
        peak: kib.parse::<usize>().expect("KiB") * 1024,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / f64::from(1 << 20))
}

fn mb(bytes: usize) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}
