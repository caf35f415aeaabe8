//! A private network namespace for tests that need a peer address that is not loopback
//! without sending a packet to any real address of this machine.
//!
//! [`block_on`] runs a test body on a new thread that first `unshare`s its network namespace
//! (root or `CAP_SYS_ADMIN`; without them it fails with how to run it, never skips), brings
//! `lo` up and gives it one extra address, [`OUTSIDE`] (10.213.0.1/32). Everything the thread
//! creates lives in that namespace: its sockets (a current-thread tokio runtime drives the body
//! there), the model servers it starts, and child processes such as `isomux serve` with the
//! CLIs they spawn. A connection to [`OUTSIDE`] stays on the namespace's own `lo`, yet the
//! server sees the peer 10.213.0.1, which is not loopback. The namespace disappears with the
//! thread and its children; the rest of the test binary never sees it.

use anyhow::{Context, Result, anyhow, bail};
use std::future::Future;
use std::net::Ipv4Addr;
use std::process::Command;

/// The namespace's non-loopback address (on its `lo`, so nothing is ever routed anywhere).
pub const OUTSIDE: Ipv4Addr = Ipv4Addr::new(10, 213, 0, 1);

/// Runs `body` inside a fresh network namespace (see the module doc) and returns its result.
/// A panic in `body` is resumed on the caller's thread.
pub fn block_on<F, Fut, T>(body: F) -> Result<T>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T>>,
    T: Send + 'static,
{
    let thread = std::thread::Builder::new()
        .name("netns".into())
        .spawn(move || -> Result<T> {
            enter_private_netns()?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("a tokio runtime inside the namespace")?;
            rt.block_on(body())
        })
        .context("spawning the namespaced thread")?;
    match thread.join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Moves the calling thread into a new network namespace and sets up `lo` and [`OUTSIDE`].
fn enter_private_netns() -> Result<()> {
    unshare_net().map_err(|e| {
        anyhow!(
            "cannot create a private network namespace (unshare(CLONE_NEWNET): {e}). This test \
             needs root or CAP_SYS_ADMIN: run it as root (e.g. `sudo -E cargo nextest run -p \
             isomux-tests --test agent_token_peer`) or in a container started with \
             `--cap-add SYS_ADMIN`"
        )
    })?;
    ip(&["link", "set", "lo", "up"])?;
    ip(&["addr", "add", &format!("{OUTSIDE}/32"), "dev", "lo"])?;
    let shown = Command::new("ip")
        .args(["-4", "-o", "addr", "show"])
        .output()
        .context("running `ip addr show`")?;
    let shown = String::from_utf8_lossy(&shown.stdout);
    let addrs: Vec<&str> = shown
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    // A fresh namespace has only `lo`: if anything else shows up we are not in one.
    if addrs != ["127.0.0.1/8", &format!("{OUTSIDE}/32")] {
        bail!("unexpected addresses in the private namespace: {addrs:?}");
    }
    Ok(())
}

#[allow(
    unsafe_code,
    reason = "unshare(2) is an FFI call; it only changes this thread's namespace"
)]
fn unshare_net() -> std::io::Result<()> {
    // SAFETY: no pointers are involved; CLONE_NEWNET affects only the calling thread, which
    // is ours alone.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Runs `ip ARGS…` (iproute2) in the calling thread's namespace.
fn ip(args: &[&str]) -> Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .with_context(|| format!("running `ip {}` (install iproute2)", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
