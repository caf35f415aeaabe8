//! `cargo xtask desktop`: builds the Tauri app (`isomux-desktop`, UI embedded) and runs it.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::build::build_ui;
use crate::setup::{Profile, setup};
use crate::util::{Ctx, Outcome};

/// Whether the workspace has the desktop crate yet.
pub fn desktop_exists(ctx: &Ctx) -> bool {
    ctx.root.join("src-tauri/Cargo.toml").is_file()
}

/// `cargo build --release -p isomux-desktop --features custom-protocol` (without the feature the
/// binary would load the dev server URL instead of the embedded UI).
pub fn build_desktop(ctx: &Ctx) -> Result<PathBuf> {
    let bin = ctx.target.join("release/isomux-desktop");
    ctx.step("isomux-desktop binary (release)", |ctx| {
        let mut cmd = ctx.cmd("cargo");
        cmd.args([
            "build",
            "--release",
            "-p",
            "isomux-desktop",
            "--features",
            "custom-protocol",
        ]);
        ctx.run(&mut cmd)?;
        if !bin.is_file() {
            bail!("cargo succeeded but {} is missing", bin.display());
        }
        println!("    binary: {}", bin.display());
        Ok(Outcome::Done)
    })?;
    Ok(bin)
}

/// Sets up, builds the UI and the app, then replaces this process with the app.
pub fn desktop(ctx: &Ctx) -> Result<()> {
    if !desktop_exists(ctx) {
        bail!("src-tauri/Cargo.toml does not exist yet: the desktop app has not been added");
    }
    setup(ctx, Profile::Desktop)?;
    build_ui(ctx, false)?;
    let bin = build_desktop(ctx)?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        println!("warning: neither DISPLAY nor WAYLAND_DISPLAY is set; the window may not open");
    }
    ctx.summary();
    println!("==> running {}", bin.display());
    let err = ctx.cmd(&bin).exec();
    bail!("could not start {}: {err}", bin.display())
}

/// The desktop test starts an unlocked gnome-keyring on its session bus and reads the stored key
/// back with `secret-tool` (the Provider keys panel, design issue 5): fail early with how to
/// install them.
pub fn keyring_tools(ctx: &Ctx) -> Result<()> {
    let missing: Vec<&str> = [
        ("dbus-run-session", "dbus-daemon"),
        ("gnome-keyring-daemon", "gnome-keyring"),
        ("secret-tool", "libsecret-tools"),
    ]
    .into_iter()
    .filter(|(tool, _)| ctx.which(tool.as_ref()).is_none())
    .map(|(_, package)| package)
    .collect();
    if !missing.is_empty() {
        bail!(
            "missing for the desktop test's keyring: run `cargo xtask setup` \
             (or `apt-get install {}`)",
            missing.join(" ")
        );
    }
    Ok(())
}
