//! The `zenc` binary: run the CLI and exit with its code. Nothing else.

fn main() {
    std::process::exit(zenc::cli::run(std::env::args_os()));
}
