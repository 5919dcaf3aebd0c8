//! Texts `--help` and the man page show after the options: examples and exit statuses.
//! Macros, so `concat!` can share them between texts.

/// The exit statuses (`--help`, the man page; README says the same).
macro_rules! exit_status {
    () => {
        "  0  success (warnings may have been printed)
  1  the input is wrong, an engine cannot express it, a warning was denied, or an output
     cannot be written: nothing was written
  2  usage: unknown option, bad option value, bad zenc.toml: nothing was read
  3  compile --check: an output file is out of date, missing, or no longer produced"
    };
}

/// Examples for the whole command: a comment line and a command each.
macro_rules! examples {
    () => {
        "  # Compile a ZenML snapshot for Argo, to stdout
  zenc compile snapshot.json --target argo --zenml-url https://zenml.example.com \\
      --zenml-secret zenml-api-key
  # Every engine, one file each; in CI, fail when the committed files are stale
  zenc compile snapshot.json --target all --out-dir deploy/
  zenc compile snapshot.json --target all --out-dir deploy/ --check
  # Validate for every engine: JSON diagnostics, one warning made an error
  zenc check snapshot.json --message-format json -D argo-catchup
  # Draw the DAG for a pull request
  zenc graph snapshot.json --format mermaid
  # What a warning means, and what to do about it
  zenc explain kubeflow-timeout"
    };
}

pub(crate) use {examples, exit_status};

pub const AFTER_HELP: &str = concat!(
    "Examples:\n",
    examples!(),
    "\n\nExit status:\n",
    exit_status!(),
    "\n\nSettings come from zenc.toml (or [tool.zenc] in pyproject.toml) in the current directory \
     or above;\nflags win. See `zenc config`, `zenc explain`, `zenc man`."
);

pub const COMPILE_AFTER_HELP: &str = concat!(
    "Examples:
  zenc compile snapshot.json -t argo -o deploy/pipeline.yaml
  zenc compile snapshot.json -t all --out-dir deploy/
  zenc compile snapshot.json -t all --out-dir deploy/ --check    # exit 3 and a diff when stale
  zenc compile - -t airflow < snapshot.json > dags/pipeline.py
  zenc compile snapshot.json -t tekton --deny-warnings -A tekton-ttl

Exit status:\n",
    exit_status!()
);

pub const GRAPH_AFTER_HELP: &str = "\
Each step shows its image and resources when they differ from the pipeline's default (the
most common value among the steps, shown in a legend).

Examples:
  zenc graph snapshot.json > pipeline.mmd
  zenc graph snapshot.json --format dot | dot -Tsvg > pipeline.svg";
