//! `cargo xtask setup|build|run|test|desktop|bench`: the only build, run and test entry points.
//!
//! Every step prints `==> what it does`, skips what is already there and prints its time; a
//! summary table of all steps ends every command.

mod bench;
mod build;
mod desktop;
mod setup;
mod test;
mod util;

use std::os::unix::process::CommandExt as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

use crate::setup::Profile;
use crate::util::Ctx;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Build, run and test Isomux."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install what a profile needs: apt packages, wasm toolchain, cargo tools, npm tools.
    Setup {
        /// `run` needs only the UI toolchain; `test` adds browsers, Xvfb, drivers and agent CLIs.
        #[arg(long, value_enum, default_value_t = Profile::Test)]
        profile: Profile,
    },
    /// Build the UI (ui/dist) and the `isomux` binary with the UI embedded.
    Build {
        /// Debug build (target/debug/isomux) instead of release.
        #[arg(long)]
        debug: bool,
    },
    /// Set up, build, then run `target/release/isomux serve [ARGS...]`.
    Run {
        /// Extra arguments for `isomux serve` (after `--`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Lints, wasm checks, release build and every test suite.
    Test {
        /// Only fmt, clippy, the wasm checks and the workspace tests: no setup, builds or desktop.
        #[arg(long)]
        quick: bool,
    },
    /// Set up, build and run the desktop app (src-tauri).
    Desktop,
    /// Run the benchmarks (all, or the one named).
    Bench {
        /// One benchmark's name.
        name: Option<String>,
        /// Small sizes, to prove each benchmark runs.
        #[arg(long)]
        smoke: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = match Ctx::new() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.cmd {
        Cmd::Setup { profile } => setup::setup(&ctx, profile),
        Cmd::Build { debug } => build::build(&ctx, debug).map(drop),
        Cmd::Run { args } => run(&ctx, &args),
        Cmd::Test { quick } => test::test(&ctx, quick),
        Cmd::Desktop => desktop::desktop(&ctx),
        Cmd::Bench { name, smoke } => bench::bench(&ctx, name.as_deref(), smoke),
    };
    ctx.summary();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sets up what running needs, builds, then replaces this process with `isomux serve`, so
/// Ctrl-C and the exit code belong to the server.
fn run(ctx: &Ctx, args: &[String]) -> Result<()> {
    setup::setup(ctx, Profile::Run)?;
    let bin = build::build(ctx, false)?;
    ctx.summary();
    println!("==> {} serve {}", bin.display(), args.join(" "));
    let err = ctx.cmd(&bin).arg("serve").args(args).exec();
    bail!("could not start {}: {err}", bin.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(argv: &[&str]) -> Vec<String> {
        match Cli::try_parse_from(argv).unwrap().cmd {
            Cmd::Run { args } => args,
            _ => panic!("not a run command"),
        }
    }

    #[test]
    fn run_forwards_serve_arguments() {
        let want = ["--listen", "127.0.0.1:0"];
        assert_eq!(
            run_args(&["xtask", "run", "--", "--listen", "127.0.0.1:0"]),
            want
        );
        assert_eq!(run_args(&["xtask", "run", "--listen", "127.0.0.1:0"]), want);
        assert!(run_args(&["xtask", "run"]).is_empty());
    }
}
