//! `cargo xtask bench [name] [--smoke]`: builds the release `isomux` and runs the `bench` binary
//! of `isomux-tests` (`tests/src/bin/bench.rs`: relay, restore, full_state; design §9).

use anyhow::Result;

use crate::test::test_env;
use crate::util::Ctx;

/// The cargo arguments that run the bench binary (arguments for it follow a `--`).
pub const BENCH_CMD: &[&str] = &["run", "--release", "-p", "isomux-tests", "--bin", "bench"];

/// Whether `isomux-tests` has a `bench` binary yet.
pub fn bench_exists(ctx: &Ctx) -> bool {
    let tests = ctx.root.join("tests");
    tests.join("src/bin/bench.rs").is_file()
        || tests.join("src/bin/bench/main.rs").is_file()
        || std::fs::read_to_string(tests.join("Cargo.toml"))
            .is_ok_and(|m| m.contains("name = \"bench\""))
}

/// Runs one benchmark (or all), at smoke size with `smoke`.
pub fn bench(ctx: &Ctx, name: Option<&str>, smoke: bool) -> Result<()> {
    if !bench_exists(ctx) {
        println!("==> no benchmarks yet (isomux-tests has no `bench` binary); nothing to run");
        return Ok(());
    }
    // The benches drive the release server (`ISOMUX_BIN`); the UI is not needed for them.
    crate::build::build_server(ctx, false)?;
    ctx.step("bench", |ctx| {
        let mut cmd = test_env(ctx, ctx.cmd("cargo"));
        cmd.args(BENCH_CMD).arg("--");
        cmd.args(name);
        if smoke {
            cmd.arg("--smoke");
        }
        ctx.run(&mut cmd)?;
        Ok(crate::util::Outcome::Done)
    })
}
