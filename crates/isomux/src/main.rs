//! The `isomux` command: `serve` (the office, headless), `invite` (a fresh invite link, also
//! while the server runs), `doctor` (what is installed). Errors exit 1; bad flags exit 2.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use isomux::app::{self, ServeOptions};
use isomux_core::auth::AuthStore;
use isomux_core::datadir;
use isomux_protocol::Role;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "isomux", version, about = "An office of AI coding agents")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the office: REST + WebSocket + the web UI.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:4000")]
        listen: SocketAddr,
        /// Data directory (default: $ISOMUX_HOME or ~/.isomux).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The URL people use to reach this server (used in invite links and Origin checks).
        #[arg(long)]
        public_url: Option<String>,
        /// Allow plain HTTP on a non-loopback address.
        #[arg(long)]
        allow_plain_http: bool,
        /// A PEM certificate (chain) to serve HTTPS with (needs --tls-key).
        #[arg(long, requires = "tls_key", conflicts_with = "tls")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// `self-signed`: generate a certificate on the first start (kept in the data dir).
        #[arg(long, value_parser = ["self-signed"])]
        tls: Option<String>,
    },
    /// Print a fresh invite link.
    Invite {
        /// An owner link (recovery).
        #[arg(long, conflicts_with = "role")]
        owner: bool,
        /// The role of the invited person.
        #[arg(long, value_parser = ["owner", "member"])]
        role: Option<String>,
        /// Lifetime in seconds.
        #[arg(long)]
        ttl: Option<i64>,
        /// Data directory (default: $ISOMUX_HOME or ~/.isomux).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Show which agent CLIs are installed, their versions and whether they look logged in.
    /// Always exits 0: it is a report.
    Doctor {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ISOMUX_LOG")
                .unwrap_or_else(|_| "warn,isomux=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve {
            listen,
            data_dir,
            public_url,
            allow_plain_http,
            tls_cert,
            tls_key,
            tls,
        } => serve(ServeOptions {
            listen,
            data_dir,
            public_url,
            allow_plain_http,
            ui: None,
            backends: None,
            max_live_sessions: None,
            tls: match (tls_cert, tls_key, tls) {
                (Some(cert), Some(key), _) => Some(app::TlsMode::Files { cert, key }),
                (_, _, Some(_)) => Some(app::TlsMode::SelfSigned),
                _ => None,
            },
            // Headless: provider keys come from the process environment, which agents inherit.
            spawn_env: Default::default(),
        }),
        Command::Invite {
            owner,
            role,
            ttl,
            data_dir,
        } => invite(owner || role.as_deref() == Some("owner"), ttl, data_dir),
        Command::Doctor { json } => {
            doctor(json);
            Ok(())
        }
    };
    if let Err(e) = result {
        eprintln!("isomux: {e:#}");
        let code = if e.to_string().contains("refusing to serve plain HTTP") {
            2
        } else {
            1
        };
        std::process::exit(code);
    }
}

fn serve(opts: ServeOptions) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let mut running = app::start(opts).await?;
        println!("Listening on {}", running.url);
        if running.agent_url != running.url {
            println!("Agents use {}", running.agent_url);
        }
        if let Some(cert) = &running.tls_cert {
            println!("TLS certificate: {}", cert.display());
        }
        if let Some(link) = &running.owner_link {
            println!("Owner link: {link}");
        }
        println!("Data dir: {}", running.data_dir.display());
        let stop = running.take_stop();
        tokio::select! {
            r = running.wait() => return r,
            () = shutdown_signal() => {}
        }
        eprintln!("isomux: shutting down");
        if let Some(s) = stop {
            let _ = s.send(());
        }
        running.office.shutdown().await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), running.wait()).await;
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

fn invite(owner: bool, ttl: Option<i64>, data_dir: Option<PathBuf>) -> Result<()> {
    let dir = datadir::resolve(data_dir);
    let db = datadir::db_path(&dir);
    if !db.exists() {
        anyhow::bail!(
            "no office at {} yet: start it once with `isomux serve`",
            dir.display()
        );
    }
    let auth = AuthStore::open(&db).context("opening the office database")?;
    let store = isomux_core::store::Store::open(&db)?;
    let public_url = store
        .meta_get(app::PUBLIC_URL_KEY)?
        .unwrap_or_else(|| "http://127.0.0.1:4000".into());
    if owner {
        println!("Owner link: {}", app::mint_owner_link(&auth, &public_url)?);
    } else {
        let (token, _) = auth.mint_invite(Role::Member, ttl)?;
        println!("Invite link: {public_url}/i/{token}");
    }
    Ok(())
}

fn doctor(json: bool) {
    let report = isomux::doctor::report();
    if json {
        let v: Vec<_> = report.iter().map(isomux::doctor::Check::to_json).collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        for check in &report {
            print!("{}", check.to_text());
        }
    }
}
