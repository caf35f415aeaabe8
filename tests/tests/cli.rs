//! The `isomux` command line: `invite --owner` works while the server runs (auth state is read
//! from SQLite), a non-loopback plain-HTTP listener is refused with exit code 2, `--version`.

use isomux_tests::Client;
use isomux_tests::process::{ServerProcess, isomux_bin};
use std::process::Command;

#[tokio::test]
async fn invite_owner_while_the_server_runs() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let server = ServerProcess::start(&home, &[])?;
    let first = server.owner_link.clone().unwrap();
    let out = Command::new(isomux_bin()?)
        .args(["invite", "--owner", "--data-dir"])
        .arg(&home)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout)?;
    let link = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Owner link: "))
        .expect("prints an owner link")
        .trim()
        .to_owned();
    assert!(link.starts_with(&format!("{}/i/", server.url)), "{link}");
    let token = link.rsplit('/').next().unwrap();
    assert_eq!(token.len(), 43, "256-bit base64url token");
    // The fresh link replaces the unclaimed one printed at start.
    assert!(Client::accept(&server.url, &first, "Old").await.is_err());
    let c = Client::accept(&server.url, &link, "Nil").await?;
    assert_eq!(c.get("/api/me").await?.ok()?["me"]["role"], "owner");
    // Nothing in the database holds the token itself.
    let db = std::fs::read(home.join("isomux.db"))?;
    let wal = std::fs::read(home.join("isomux.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the raw token must never be stored"
        );
    }
    Ok(())
}

#[test]
fn plain_http_on_a_public_address_exits_2() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = Command::new(isomux_bin()?)
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path().join("home"))
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-plain-http"));
    let out = Command::new(isomux_bin()?).arg("--version").output()?;
    assert!(String::from_utf8(out.stdout)?.starts_with("isomux "));
    Ok(())
}

#[test]
fn doctor_reports_versions_and_login() -> anyhow::Result<()> {
    use isomux_tests::process::cli_bin;
    let home = tempfile::tempdir()?;
    let codex_home = tempfile::tempdir()?;
    let doctor = |claude: &std::path::Path| -> anyhow::Result<Vec<serde_json::Value>> {
        let mut cmd = Command::new(isomux_bin()?);
        cmd.args(["doctor", "--json"])
            .env("ISOMUX_CLAUDE_BIN", claude)
            .env("ISOMUX_CODEX_BIN", cli_bin("codex")?)
            .env("HOME", home.path())
            .env("CODEX_HOME", codex_home.path())
            .env("ANTHROPIC_API_KEY", "sk-test");
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if (k.starts_with("ANTHROPIC_") && k != "ANTHROPIC_API_KEY")
                || k.starts_with("OPENAI_")
                || k == "CLAUDE_CONFIG_DIR"
            {
                cmd.env_remove(&key);
            }
        }
        let out = cmd.output()?;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let find = |report: &[serde_json::Value], name: &str| {
        report
            .iter()
            .find(|b| b["backend"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {report:?}"))
    };

    let report = doctor(&cli_bin("claude")?)?;
    let claude = find(&report, "claude");
    assert_eq!(claude["found"], true, "{claude}");
    assert!(claude["path"].is_string(), "{claude}");
    assert!(
        claude["version"].as_str().unwrap_or("").contains("2.1.197"),
        "{claude}"
    );
    assert_eq!(claude["logged_in"], true, "{claude}");
    assert_eq!(claude["usable"], true, "{claude}");
    let codex = find(&report, "codex");
    assert_eq!(codex["found"], true, "{codex}");
    assert!(
        codex["version"].as_str().unwrap_or("").contains("0.169.0"),
        "{codex}"
    );
    assert_eq!(codex["logged_in"], false, "{codex}");
    let demo = find(&report, "demo");
    assert_eq!(demo["usable"], true, "{demo}");

    let report = doctor(std::path::Path::new("/nonexistent/claude"))?;
    let claude = find(&report, "claude");
    assert_eq!(claude["found"], false, "{claude}");
    assert_eq!(claude["usable"], false, "{claude}");
    assert!(claude["path"].is_null(), "{claude}");
    assert!(
        claude["detail"]
            .as_str()
            .unwrap_or("")
            .contains("npm install -g @anthropic-ai/claude-code@2.1.197"),
        "{claude}"
    );
    Ok(())
}
