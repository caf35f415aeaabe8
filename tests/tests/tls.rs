//! HTTPS end to end: `--tls self-signed` generates a certificate on the first start (0600 in
//! the data dir) and reuses it; a client trusting exactly that certificate signs in and gets
//! the `__Host-` cookie with `Secure`; the WebSocket works over TLS with the https Origin; the
//! plain loopback listener for agents exists beside it; and the plain-HTTP cookie's attributes.

use futures_util::StreamExt;
use isomux::app::{ServeOptions, TlsMode};
use isomux_tests::{Client, TestOffice};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;

/// A TLS connection to `url`'s host:port trusting only `cert_pem`, verified for "localhost".
async fn connect(
    url: &str,
    cert_pem: &[u8],
) -> anyhow::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem) {
        roots.add(c?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let addr = url.trim_start_matches("https://");
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    Ok(TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?)
}

/// One HTTP/1.1 request over TLS: status, headers (lowercased names), body.
async fn request(
    url: &str,
    cert_pem: &[u8],
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> anyhow::Result<(u16, Vec<(String, String)>, String)> {
    let mut tls = connect(url, cert_pem).await?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    tls.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status line in {head:?}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, headers, body.to_owned()))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn self_signed_https_with_host_cookies() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let start = || {
        isomux::app::start(ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: Some(home.clone()),
            ui: Some(isomux_server::UiSource::Placeholder),
            tls: Some(TlsMode::SelfSigned),
            ..Default::default()
        })
    };
    let running = start().await?;
    assert!(
        running.url.starts_with("https://127.0.0.1:"),
        "{}",
        running.url
    );
    assert!(
        running.agent_url.starts_with("http://127.0.0.1:") && running.agent_url != running.url,
        "agents get a plain loopback listener: {}",
        running.agent_url
    );
    let cert_path = running.tls_cert.clone().expect("a certificate");
    assert!(cert_path.starts_with(&home));
    let cert = std::fs::read(&cert_path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        for f in std::fs::read_dir(cert_path.parent().unwrap())? {
            let mode = f?.metadata()?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    let (status, _, _) = request(&running.url, &cert, "GET", "/readyz", &[], "").await?;
    assert_eq!(status, 200);
    // The page is served only over TLS on that port: a plain request gets no HTTP answer.
    let plain = reqwest::get(running.url.replacen("https", "http", 1) + "/readyz").await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    // Sign in over HTTPS: the cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/.
    let link = running.owner_link.clone().unwrap();
    let token = link.rsplit('/').next().unwrap();
    assert!(link.starts_with("https://"), "{link}");
    let (status, headers, body) = request(
        &running.url,
        &cert,
        "POST",
        "/auth/accept",
        &[("content-type", "application/json")],
        &format!(r#"{{"token":"{token}","name":"Nil"}}"#),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let set = header(&headers, "set-cookie").expect("a cookie");
    let attrs: Vec<&str> = set.split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("__Host-isomux_session="), "{set}");
    for a in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(&a), "{a} missing in {set}");
    }
    assert!(
        !set.to_ascii_lowercase().contains("domain="),
        "__Host- forbids Domain"
    );
    let cookie = attrs[0].to_owned();

    let (status, _, body) = request(
        &running.url,
        &cert,
        "GET",
        "/api/me",
        &[("cookie", &cookie)],
        "",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"owner\""));
    // The plain name is not accepted over HTTPS.
    let plain_cookie = cookie.replacen("__Host-", "", 1);
    let (status, _, _) = request(
        &running.url,
        &cert,
        "GET",
        "/api/me",
        &[("cookie", &plain_cookie)],
        "",
    )
    .await?;
    assert_eq!(status, 401);
    // A state change needs the https origin.
    let (status, _, _) = request(
        &running.url,
        &cert,
        "POST",
        "/api/rooms",
        &[
            ("cookie", &cookie),
            ("origin", &running.url.replace("127.0.0.1", "evil.example")),
        ],
        "{}",
    )
    .await?;
    assert_eq!(status, 403);
    let (status, _, body) = request(
        &running.url,
        &cert,
        "POST",
        "/api/rooms",
        &[
            ("cookie", &cookie),
            ("origin", &running.url),
            ("content-type", "application/json"),
        ],
        r#"{"name":"Over TLS"}"#,
    )
    .await?;
    assert_eq!(status, 200, "{body}");

    // The WebSocket over TLS with the https Origin.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!(
        "wss://localhost:{}/ws",
        running.url.rsplit(':').next().unwrap()
    )
    .into_client_request()?;
    req.headers_mut().insert("cookie", cookie.parse()?);
    req.headers_mut().insert("origin", running.url.parse()?);
    let stream = connect(&running.url, &cert).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(req, stream).await?;
    let first = ws.next().await.expect("a frame")?;
    assert!(first.to_text()?.contains("\"full_state\""));
    drop(ws);

    // Agents' loopback listener answers plain HTTP (bearer tokens; no cookie needed here).
    let r = reqwest::get(format!("{}/readyz", running.agent_url)).await?;
    assert_eq!(r.status(), 200);
    running.stop().await?;

    // A restart reuses the same certificate.
    let again = start().await?;
    assert_eq!(std::fs::read(again.tls_cert.clone().unwrap())?, cert);
    again.stop().await?;
    Ok(())
}

#[tokio::test]
async fn plain_http_cookie_attributes() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let link = office.running.owner_link.clone().unwrap();
    let token = link.rsplit('/').next().unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/auth/accept", office.url()))
        .json(&serde_json::json!({"token": token}))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    let set = res.headers()["set-cookie"].to_str()?.to_owned();
    let attrs: Vec<&str> = set.split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("isomux_session="), "{set}");
    assert_eq!(
        attrs[0].len(),
        "isomux_session=".len() + 43,
        "a 256-bit token"
    );
    for a in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(&a), "{a} missing in {set}");
    }
    assert!(
        !attrs.contains(&"Secure"),
        "no Secure over plain HTTP: {set}"
    );
    assert_eq!(office.running.agent_url, office.running.url);
    let _ = Client::anonymous(office.url());
    office.running.stop().await?;
    Ok(())
}

/// The real binary: `--tls self-signed` on a non-loopback address is allowed (plain HTTP
/// there would exit 2), serves HTTPS with the certificate kept in the data dir, and a
/// certificate without its key is a usage error.
#[tokio::test]
async fn the_binary_serves_tls_on_a_public_address() -> anyhow::Result<()> {
    use isomux_tests::process::{ServerProcess, isomux_bin};
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let server = ServerProcess::start_with(
        &["--listen", "0.0.0.0:0", "--tls", "self-signed"],
        &home,
        &[],
    )?;
    assert!(server.url.starts_with("https://0.0.0.0:"), "{}", server.url);
    let port = server.url.rsplit(':').next().unwrap();
    let cert = std::fs::read(home.join("tls").join("self-signed-cert.pem"))?;
    let (status, _, body) = request(
        &format!("https://127.0.0.1:{port}"),
        &cert,
        "GET",
        "/readyz",
        &[],
        "",
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert!(
        server
            .owner_link
            .as_deref()
            .unwrap_or("")
            .starts_with("https://")
    );
    drop(server);

    let out = std::process::Command::new(isomux_bin()?)
        .args(["serve", "--tls-cert", "/nonexistent.pem", "--data-dir"])
        .arg(dir.path().join("other"))
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
