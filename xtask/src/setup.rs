//! `cargo xtask setup`: installs what a profile needs (apt packages, wasm toolchain, cargo and npm tools).
//!
//! Every step checks first and skips what is already there, so running it again is cheap.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use crate::util::{Ctx, Outcome, has_token, locked_version};

/// trunk 0.22 needs rustc 1.96.1; 0.21.14 is the newest that builds on the pinned 1.95.0.
pub const TRUNK_VERSION: &str = "0.21.14";
/// Drives the Tauri app for the desktop test.
pub const TAURI_DRIVER_VERSION: &str = "2.1.0";
/// The version already present on the reference machine, used only when nextest is missing.
pub const NEXTEST_VERSION: &str = "0.9.143";
/// npm `binaryen` major; Debian's binaryen (wasm-opt 108) breaks wasm-bindgen output.
pub const WASM_OPT_VERSION: &str = "132";
/// The agent CLIs the real-CLI tests drive.
pub const CLAUDE_PKG: (&str, &str) = ("@anthropic-ai/claude-code", "2.1.197");
pub const CODEX_PKG: (&str, &str) = ("@openai/codex", "0.169.0");

/// Which command the setup is for; `run` skips test-only tools.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Profile {
    /// `cargo xtask run`: wasm target, wasm-bindgen, trunk, wasm-opt.
    Run,
    /// `cargo xtask test`: everything.
    Test,
    /// `cargo xtask desktop`: `run` plus the WebKitGTK build packages.
    Desktop,
}

const APT_DESKTOP: &[&str] = &["libwebkit2gtk-4.1-dev", "libayatana-appindicator3-dev"];
// Never `binaryen` (broken wasm-opt) nor `dbus-x11` (leaves a stray dbus-launch per display).
const APT_TEST: &[&str] = &[
    "xvfb",
    "xauth",
    "imagemagick",
    "webkit2gtk-driver",
    "chromium",
    "chromium-driver",
    "gnome-keyring",
    "keyutils",
    "libsecret-tools",
];
/// The Debian fallback for building wasm when rustup cannot provide the target.
const APT_WASM_DEBIAN: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-22"];

/// Runs every setup step of `profile`.
pub fn setup(ctx: &Ctx, profile: Profile) -> Result<()> {
    let apt: Vec<&str> = match profile {
        Profile::Run => Vec::new(),
        Profile::Desktop => APT_DESKTOP.to_vec(),
        Profile::Test => APT_DESKTOP.iter().chain(APT_TEST).copied().collect(),
    };
    if !apt.is_empty() {
        ctx.step("apt packages", |ctx| apt_install(ctx, &apt))?;
    }
    ctx.step("wasm32 target", wasm_target)?;
    if profile == Profile::Test {
        ctx.step("cargo-nextest", nextest)?;
    }
    ctx.step("wasm-bindgen-cli", wasm_bindgen)?;
    ctx.step(&format!("trunk {TRUNK_VERSION}"), |ctx| {
        let have = ctx
            .capture(ctx.cmd("trunk").arg("--version"))
            .unwrap_or_default();
        if has_token(&have, TRUNK_VERSION) {
            return Ok(Outcome::Skipped(format!(
                "already installed: {}",
                have.trim()
            )));
        }
        cargo_install(ctx, &[&format!("trunk@{TRUNK_VERSION}"), "--locked"])
    })?;
    if profile == Profile::Test {
        ctx.step(&format!("tauri-driver {TAURI_DRIVER_VERSION}"), |ctx| {
            if cargo_installed(ctx, "tauri-driver").as_deref() == Some(TAURI_DRIVER_VERSION) {
                return Ok(Outcome::Skipped(format!(
                    "already installed: tauri-driver {TAURI_DRIVER_VERSION}"
                )));
            }
            cargo_install(
                ctx,
                &[&format!("tauri-driver@{TAURI_DRIVER_VERSION}"), "--locked"],
            )
        })?;
    }
    ctx.step(
        &format!("wasm-opt {WASM_OPT_VERSION} (npm binaryen)"),
        binaryen,
    )?;
    if profile == Profile::Test {
        ctx.step("agent CLIs (claude, codex)", agent_clis)?;
    }
    Ok(())
}

/// Installs the missing packages among `pkgs` with apt-get (via sudo when not root).
fn apt_install(ctx: &Ctx, pkgs: &[&str]) -> Result<Outcome> {
    let missing: Vec<&str> = pkgs
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(ctx, p))
        .collect();
    if missing.is_empty() {
        return Ok(Outcome::Skipped(format!(
            "already installed: {}",
            pkgs.join(" ")
        )));
    }
    println!("    missing: {}", missing.join(" "));
    let hint = || {
        format!(
            "install them yourself: apt-get install {}",
            missing.join(" ")
        )
    };
    if ctx.which("apt-get".as_ref()).is_none() {
        bail!("apt-get not found; {}", hint());
    }
    let is_root = ctx
        .capture(ctx.cmd("id").arg("-u"))
        .is_some_and(|s| s.trim() == "0");
    let sudo = !is_root;
    if sudo && ctx.which("sudo".as_ref()).is_none() {
        bail!("not root and no sudo; {}", hint());
    }
    let apt = |args: &[&str]| {
        let mut cmd = if sudo {
            let mut c = ctx.cmd("sudo");
            c.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        } else {
            ctx.cmd("apt-get")
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
            .arg("-q")
            .args(args);
        ctx.run(&mut cmd)
    };
    if !ctx.take_apt_update() {
        apt(&["update"])?;
    }
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args)?;
    Ok(Outcome::Done)
}

fn dpkg_installed(ctx: &Ctx, pkg: &str) -> bool {
    let status = ctx.capture(ctx.cmd("dpkg-query").args(["-W", "-f=${Status}", pkg]));
    status.is_some_and(|s| s.trim_end().ends_with(" installed"))
}

/// The directory where the active toolchain keeps its wasm32 std, if it has one.
pub fn rustup_wasm_std(ctx: &Ctx) -> Option<PathBuf> {
    let sysroot = ctx.capture(ctx.cmd("rustc").args(["--print", "sysroot"]))?;
    let dir = PathBuf::from(sysroot.trim()).join("lib/rustlib/wasm32-unknown-unknown/lib");
    dir.is_dir().then_some(dir)
}

/// rustup's wasm32 target, else the Debian toolchain (rustc-web + std source + lld-22).
fn wasm_target(ctx: &Ctx) -> Result<Outcome> {
    let route_file = ctx.target.join("xtask/wasm-route");
    let record = |route: &str| -> Result<()> {
        fs::create_dir_all(route_file.parent().context("route file has a parent")?)?;
        fs::write(&route_file, format!("{route}\n")).context("writing target/xtask/wasm-route")
    };
    if let Some(dir) = rustup_wasm_std(ctx) {
        record("rustup")?;
        return Ok(Outcome::Skipped(format!(
            "already installed: {}",
            dir.display()
        )));
    }
    let added = ctx.run(
        ctx.cmd("rustup")
            .args(["target", "add", "wasm32-unknown-unknown"]),
    );
    if added.is_ok() && rustup_wasm_std(ctx).is_some() {
        record("rustup")?;
        return Ok(Outcome::Done);
    }
    println!("    rustup could not add wasm32-unknown-unknown; falling back to Debian's rustc-web");
    apt_install(ctx, APT_WASM_DEBIAN)?;
    record("debian")?;
    Ok(Outcome::Done)
}

fn nextest(ctx: &Ctx) -> Result<Outcome> {
    if let Some(v) = ctx.capture(ctx.cmd("cargo").args(["nextest", "--version"])) {
        let first = v.lines().next().unwrap_or_default().to_owned();
        return Ok(Outcome::Skipped(format!("already installed: {first}")));
    }
    cargo_install(
        ctx,
        &[&format!("cargo-nextest@{NEXTEST_VERSION}"), "--locked"],
    )
}

/// wasm-bindgen-cli at exactly the `wasm-bindgen` version in Cargo.lock (trunk insists on it).
fn wasm_bindgen(ctx: &Ctx) -> Result<Outcome> {
    let Some(version) = locked_version(&ctx.root.join("Cargo.lock"), "wasm-bindgen") else {
        return Ok(Outcome::Skipped(
            "Cargo.lock has no wasm-bindgen yet (no UI crate), nothing to match".into(),
        ));
    };
    let have = ctx
        .capture(ctx.cmd("wasm-bindgen").arg("--version"))
        .unwrap_or_default();
    if has_token(&have, &version) {
        return Ok(Outcome::Skipped(format!(
            "already installed: {}",
            have.trim()
        )));
    }
    // No --locked: the CLI's own lockfile pins a webpki-roots the registry no longer serves.
    cargo_install(ctx, &["wasm-bindgen-cli", "--version", &version])
}

/// `npm ci` (or `npm install` without a lockfile) of the root package.json: wasm-opt 132.
fn binaryen(ctx: &Ctx) -> Result<Outcome> {
    let wasm_opt = ctx.root.join("node_modules/.bin/wasm-opt");
    let have = ctx
        .capture(ctx.cmd(&wasm_opt).arg("--version"))
        .unwrap_or_default();
    if has_token(&have, WASM_OPT_VERSION) {
        return Ok(Outcome::Skipped(format!(
            "already installed: {}",
            have.trim()
        )));
    }
    let verb = if ctx.root.join("package-lock.json").is_file() {
        "ci"
    } else {
        "install"
    };
    ctx.run(ctx.cmd("npm").args([verb, "--no-audit", "--no-fund"]))?;
    Ok(Outcome::Done)
}

/// Where `setup` puts the pinned agent CLIs.
pub fn tools_bin(ctx: &Ctx, name: &str) -> PathBuf {
    ctx.root.join(".tools/npm/node_modules/.bin").join(name)
}

fn agent_clis(ctx: &Ctx) -> Result<Outcome> {
    let (claude, codex) = (tools_bin(ctx, "claude"), tools_bin(ctx, "codex"));
    let version_of = |bin: &PathBuf| {
        ctx.capture(
            ctx.cmd(bin)
                .arg("--version")
                .env("DISABLE_AUTOUPDATER", "1"),
        )
        .unwrap_or_default()
    };
    let (have_claude, have_codex) = (version_of(&claude), version_of(&codex));
    let where_ = || {
        format!(
            "claude: {}\n    codex: {}",
            claude.display(),
            codex.display()
        )
    };
    if has_token(&have_claude, CLAUDE_PKG.1) && has_token(&have_codex, CODEX_PKG.1) {
        return Ok(Outcome::Skipped(format!(
            "already installed: {} and {}\n    {}",
            have_claude.trim(),
            have_codex.trim(),
            where_()
        )));
    }
    let prefix = ctx.root.join(".tools/npm");
    fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
    // Exact pins, and claude's postinstall (it copies the native binary into place) approved
    // explicitly: npm 11 warns about unreviewed install scripts and will later block them.
    let manifest = format!(
        "{{\n  \"private\": true,\n  \"description\": \"Agent CLIs for the Isomux tests, \
         installed by cargo xtask setup\",\n  \"dependencies\": {{\n    \"{c}\": \"{cv}\",\n    \
         \"{x}\": \"{xv}\"\n  }},\n  \"allowScripts\": {{\n    \"{c}@{cv}\": true\n  }}\n}}\n",
        c = CLAUDE_PKG.0,
        cv = CLAUDE_PKG.1,
        x = CODEX_PKG.0,
        xv = CODEX_PKG.1,
    );
    fs::write(prefix.join("package.json"), manifest).context("writing .tools/npm/package.json")?;
    let mut cmd = ctx.cmd("npm");
    cmd.arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args(["--no-audit", "--no-fund"]);
    ctx.run(&mut cmd)?;
    for (bin, want) in [(&claude, CLAUDE_PKG.1), (&codex, CODEX_PKG.1)] {
        let got = version_of(bin);
        if !has_token(&got, want) {
            bail!(
                "{} --version printed {:?}, expected {want}",
                bin.display(),
                got.trim()
            );
        }
    }
    println!("    {}", where_());
    Ok(Outcome::Done)
}

/// The version `cargo install --list` reports for `krate`, if it is installed.
fn cargo_installed(ctx: &Ctx, krate: &str) -> Option<String> {
    let list = ctx.capture(ctx.cmd("cargo").args(["install", "--list"]))?;
    list.lines().find_map(|l| {
        let rest = l.strip_prefix(krate)?.strip_prefix(" v")?;
        Some(rest.split([':', ' ']).next()?.to_owned())
    })
}

fn cargo_install(ctx: &Ctx, args: &[&str]) -> Result<Outcome> {
    ctx.run(ctx.cmd("cargo").arg("install").args(args))?;
    Ok(Outcome::Done)
}
