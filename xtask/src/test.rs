//! `cargo xtask test [--quick]`: lints, wasm checks, UI + release build, every test suite.
//!
//! Lint and test steps keep going after a failure so one run reports everything; a failed build
//! stops the run. The summary names every failed step and the exit code is non-zero.

use std::process::Command;

use anyhow::{Result, bail};

use crate::build::{Route, WasmEnv, build_server, build_ui, ui_exists};
use crate::desktop::{build_desktop, desktop_exists};
use crate::setup::{Profile, setup, tools_bin};
use crate::util::{Ctx, Outcome, fmt_duration};

/// Runs the whole suite (or the fast inner loop with `quick`).
pub fn test(ctx: &Ctx, quick: bool) -> Result<()> {
    if !quick {
        setup(ctx, Profile::Test)?;
    }
    // Checks: a failure is recorded and the run goes on.
    let _ = ctx.step("cargo fmt --check", |ctx| {
        cargo(ctx, &["fmt", "--all", "--", "--check"])
    });
    let _ = ctx.step("clippy (workspace, host)", |ctx| {
        // The UI compiles for the host too (its store and reducer are unit-tested natively);
        // it is linted again for wasm32 below.
        let args = [
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ];
        cargo(ctx, &args)
    });
    let wasm = WasmEnv::detect(ctx);
    let _ = ctx.step("cargo check isomux-protocol (wasm32)", |ctx| {
        let env = wasm.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let mut cmd = env.cmd(ctx, "cargo");
        cmd.args([
            "check",
            "-p",
            "isomux-protocol",
            "--target",
            "wasm32-unknown-unknown",
        ]);
        ctx.run(&mut cmd)?;
        Ok(Outcome::Done)
    });
    if ui_exists(ctx) {
        let _ = ctx.step("clippy isomux-ui (wasm32)", |ctx| {
            let env = wasm.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
            if env.route == Route::Debian {
                return Ok(Outcome::Skipped("Debian wasm route has no clippy".into()));
            }
            let mut cmd = env.cmd(ctx, "cargo");
            cmd.args([
                "clippy",
                "-p",
                "isomux-ui",
                "--target",
                "wasm32-unknown-unknown",
            ]);
            cmd.args(["--", "-D", "warnings"]);
            ctx.run(&mut cmd)?;
            Ok(Outcome::Done)
        });
    }
    if !quick {
        // Builds: later steps need them, so a failure stops here.
        let built = build_ui(ctx, false).and_then(|()| build_server(ctx, false));
        if let Err(e) = built {
            return finish(ctx, Some(e));
        }
    }
    let nextest = ctx
        .capture(ctx.cmd("cargo").args(["nextest", "--version"]))
        .is_some();
    std::fs::create_dir_all(ctx.target.join("test-artifacts"))?;
    if quick {
        note_binary_age(ctx);
    }
    let _ = ctx.step("tests (workspace)", |ctx| {
        let mut cmd = test_env(ctx, ctx.cmd("cargo"));
        if quick {
            // Nothing was built: the suites build and drive the fresh debug `isomux` instead.
            cmd.env_remove("ISOMUX_BIN");
        }
        if nextest {
            cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        } else {
            println!("    cargo-nextest not found; using cargo test");
            cmd.args(["test", "--workspace", "--no-fail-fast"]);
        }
        ctx.run(&mut cmd)?;
        Ok(Outcome::Done)
    });
    if !quick {
        run_bench_smoke(ctx);
        run_desktop_test(ctx, nextest);
    }
    finish(ctx, None)
}

/// The environment every test process gets (paths to the binaries and tools under test).
pub fn test_env(ctx: &Ctx, mut cmd: Command) -> Command {
    let release = ctx.target.join("release");
    cmd.env("ISOMUX_REPO_ROOT", &ctx.root)
        .env("ISOMUX_BIN", release.join("isomux"))
        .env("ISOMUX_DESKTOP_BIN", release.join("isomux-desktop"))
        .env("ISOMUX_UI_DIST", ctx.root.join("ui/dist"))
        .env("ISOMUX_TEST_ARTIFACTS", ctx.target.join("test-artifacts"))
        .env("ISOMUX_CLAUDE_BIN", tools_bin(ctx, "claude"))
        .env("ISOMUX_CODEX_BIN", tools_bin(ctx, "codex"));
    cmd
}

/// `--quick` builds nothing: say which `isomux` binary the tests will drive, and how old it is.
fn note_binary_age(ctx: &Ctx) {
    let bin = ctx.target.join("release/isomux");
    let age = bin
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    match age {
        Some(age) => println!(
            "==> tests drive {} (built {} ago; `cargo xtask build` refreshes it)",
            bin.display(),
            fmt_duration(age)
        ),
        None => println!(
            "==> note: {} is missing, so suites that start the server will fail; \
             run `cargo xtask build` once",
            bin.display()
        ),
    }
}

fn cargo(ctx: &Ctx, args: &[&str]) -> Result<Outcome> {
    ctx.run(ctx.cmd("cargo").args(args))?;
    Ok(Outcome::Done)
}

/// `bench --smoke`: proves every benchmark runs (figures are reported, never asserted).
fn run_bench_smoke(ctx: &Ctx) {
    let _ = ctx.step("benchmarks (smoke)", |ctx| {
        if !crate::bench::bench_exists(ctx) {
            return Ok(Outcome::Skipped("no bench binary yet".into()));
        }
        let mut cmd = test_env(ctx, ctx.cmd("cargo"));
        cmd.args(crate::bench::BENCH_CMD).args(["--", "--smoke"]);
        ctx.run(&mut cmd)?;
        Ok(Outcome::Done)
    });
}

/// The desktop build and its `#[ignore]`d test, run only here under Xvfb and a session bus.
fn run_desktop_test(ctx: &Ctx, nextest: bool) {
    if !desktop_exists(ctx) {
        let _ = ctx.step("desktop test", |_| {
            Ok(Outcome::Skipped("no src-tauri/Cargo.toml yet".into()))
        });
        return;
    }
    if build_desktop(ctx).is_err() {
        return;
    }
    let _ = ctx.step("desktop test (xvfb)", |ctx| {
        if !ctx.root.join("tests/tests/desktop.rs").is_file() {
            return Ok(Outcome::Skipped("no tests/tests/desktop.rs yet".into()));
        }
        crate::desktop::keyring_tools(ctx)?;
        let mut cmd = test_env(ctx, ctx.cmd("xvfb-run"));
        cmd.args([
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            "dbus-run-session",
            "--",
            "cargo",
        ]);
        if nextest {
            cmd.args(["nextest", "run", "-p", "isomux-tests", "--test", "desktop"]);
            cmd.args(["--run-ignored", "only", "--no-fail-fast"]);
        } else {
            cmd.args([
                "test",
                "-p",
                "isomux-tests",
                "--test",
                "desktop",
                "--",
                "--ignored",
            ]);
        }
        ctx.run(&mut cmd)?;
        Ok(Outcome::Done)
    });
}

fn finish(ctx: &Ctx, fatal: Option<anyhow::Error>) -> Result<()> {
    let failed = ctx.failed_steps();
    if !failed.is_empty() {
        let artifacts = ctx.target.join("test-artifacts");
        println!(
            "==> test artifacts (logs, screenshots): {}",
            artifacts.display()
        );
    }
    if let Some(e) = fatal {
        return Err(e.context(format!("failed: {}", failed.join(", "))));
    }
    if !failed.is_empty() {
        bail!("failed step(s): {}", failed.join(", "));
    }
    Ok(())
}
