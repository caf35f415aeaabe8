//! `cargo xtask build`: the Leptos UI (trunk, toolchain.md §3) and the `isomux` binary embedding it.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::setup::rustup_wasm_std;
use crate::util::{Ctx, Outcome, manifest_has_feature};

/// Which compiler builds wasm: rustup's wasm32 target, or Debian's rustc-web with build-std.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Route {
    Rustup,
    Debian,
}

/// Environment scoped to wasm builds (never exported to host builds: build-std would break them).
pub struct WasmEnv {
    pub route: Route,
    vars: Vec<(&'static str, OsString)>,
}

impl WasmEnv {
    /// Picks the route (`UI_FORCE_DEBIAN=1` forces Debian) and prepares its variables.
    pub fn detect(ctx: &Ctx) -> Result<Self> {
        let forced = std::env::var_os("UI_FORCE_DEBIAN").is_some_and(|v| v == "1");
        let route = if !forced && rustup_wasm_std(ctx).is_some() {
            Route::Rustup
        } else if Path::new("/usr/bin/rustc").exists() && Path::new("/usr/lib/rustlib/src").exists()
        {
            Route::Debian
        } else {
            bail!("no wasm32 standard library: run `cargo xtask setup`");
        };
        let mut dirs: Vec<PathBuf> = vec![ctx.root.join("node_modules/.bin")];
        let mut vars = Vec::new();
        if route == Route::Debian {
            let shim = ctx.target.join("xtask/debian-shim");
            fs::create_dir_all(&shim).context("creating the Debian shim dir")?;
            for tool in ["cargo", "rustc"] {
                let link = shim.join(tool);
                if fs::read_link(&link).ok().as_deref()
                    != Some(Path::new("/usr/bin").join(tool).as_path())
                {
                    let _ = fs::remove_file(&link);
                    std::os::unix::fs::symlink(Path::new("/usr/bin").join(tool), &link)
                        .with_context(|| format!("linking {}", link.display()))?;
                }
            }
            dirs.push(shim);
            vars.push(("RUSTC", "/usr/bin/rustc".into()));
            vars.push(("RUSTC_BOOTSTRAP", "1".into()));
            vars.push(("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort".into()));
            // rustc's default wasm linker is `rust-lld` (from rust-web-llvm, a symlink to
            // lld-22); when it is missing or dangles, name a versioned wasm-ld directly.
            let lld = Command::new("/usr/bin/rust-lld")
                .args(["-flavor", "wasm", "--version"])
                .output();
            if !lld.is_ok_and(|o| o.status.success()) {
                let linker = ["wasm-ld-22", "wasm-ld-19", "wasm-ld"]
                    .into_iter()
                    .find(|l| ctx.which(l.as_ref()).is_some())
                    .context("no wasm linker: install lld-22 (`cargo xtask setup`)")?;
                println!("    rust-lld unusable; linking wasm with {linker}");
                vars.push(("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", linker.into()));
            }
        }
        dirs.extend(std::env::split_paths(ctx.path()));
        vars.push(("PATH", std::env::join_paths(dirs).context("joining PATH")?));
        Ok(Self { route, vars })
    }

    /// A command for `program` with this environment applied.
    pub fn cmd(&self, ctx: &Ctx, program: &str) -> Command {
        let mut cmd = ctx.cmd(program);
        if self.route == Route::Debian && (program == "cargo" || program == "rustc") {
            cmd = Command::new(Path::new("/usr/bin").join(program));
            cmd.current_dir(&ctx.root);
        }
        cmd.envs(self.vars.iter().map(|(k, v)| (k, v)));
        cmd
    }
}

/// Whether the workspace has the UI crate yet.
pub fn ui_exists(ctx: &Ctx) -> bool {
    ctx.root.join("ui/Cargo.toml").is_file()
}

/// Builds `ui/dist` with trunk (release unless `debug`); skips when there is no UI crate.
pub fn build_ui(ctx: &Ctx, debug: bool) -> Result<()> {
    if !ui_exists(ctx) {
        return ctx.step("UI (ui/dist)", |_| {
            Ok(Outcome::Skipped(
                "no ui/Cargo.toml yet, nothing to build".into(),
            ))
        });
    }
    let mut detected = None;
    ctx.step("UI: wasm toolchain", |ctx| {
        let env = WasmEnv::detect(ctx)?;
        println!("    route: {:?}", env.route);
        detected = Some(env);
        Ok(Outcome::Done)
    })?;
    let env = detected.context("wasm toolchain step recorded no route")?;
    ctx.step("UI: cargo fetch (wasm32)", |ctx| {
        ctx.run(
            env.cmd(ctx, "cargo")
                .args(["fetch", "--target", "wasm32-unknown-unknown"]),
        )?;
        Ok(Outcome::Done)
    })?;
    ctx.step("UI: trunk build", |ctx| {
        let mut cmd = env.cmd(ctx, "trunk");
        cmd.current_dir(ctx.root.join("ui"))
            .arg("build")
            .arg("--offline");
        if !debug {
            cmd.arg("--release");
        }
        ctx.run(&mut cmd)?;
        let index = ctx.root.join("ui/dist/index.html");
        if !index.is_file() {
            bail!("trunk succeeded but {} is missing", index.display());
        }
        Ok(Outcome::Done)
    })
}

/// Builds the `isomux` binary (with `embed-ui` when the feature and `ui/dist` exist).
pub fn build_server(ctx: &Ctx, debug: bool) -> Result<PathBuf> {
    let profile = if debug { "debug" } else { "release" };
    let bin = ctx.target.join(profile).join("isomux");
    ctx.step(&format!("isomux binary ({profile})"), |ctx| {
        let mut cmd = ctx.cmd("cargo");
        cmd.args(["build", "-p", "isomux"]);
        if !debug {
            cmd.arg("--release");
        }
        let has_feature =
            manifest_has_feature(&ctx.root.join("crates/isomux/Cargo.toml"), "embed-ui");
        let has_dist = ctx.root.join("ui/dist/index.html").is_file();
        match (has_feature, has_dist) {
            (true, true) => {
                cmd.args(["--features", "embed-ui"]);
            }
            (false, _) => println!(
                "    warning: crates/isomux has no `embed-ui` feature yet; building without the UI"
            ),
            (true, false) => {
                println!("    warning: ui/dist is missing; building without `embed-ui`");
            }
        }
        ctx.run(&mut cmd)?;
        if !bin.is_file() {
            bail!("cargo succeeded but {} is missing", bin.display());
        }
        println!("    binary: {}", bin.display());
        Ok(Outcome::Done)
    })?;
    Ok(bin)
}

/// `cargo xtask build [--debug]`: the UI, then the binary.
pub fn build(ctx: &Ctx, debug: bool) -> Result<PathBuf> {
    build_ui(ctx, debug)?;
    build_server(ctx, debug)
}
