//! Uploaded files: `<data_dir>/files/<agent_id>/<sha256-hex>.<ext>`, content-addressed so the
//! same bytes always get the same name. Pure helpers shared by the server (upload/download)
//! and the office (attachments of a message).

use isomux_protocol::AgentId;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Largest accepted upload.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// Extensions that are served as plain text (still as a download).
const TEXT_EXTS: &[&str] = &[
    "txt", "md", "markdown", "csv", "tsv", "json", "jsonl", "yaml", "yml", "toml", "xml", "log",
    "ini", "cfg", "conf", "rs", "py", "js", "ts", "tsx", "jsx", "go", "java", "c", "h", "cpp",
    "hpp", "cc", "rb", "sh", "sql", "css", "html", "htm", "svg", "diff", "patch",
];

/// The directory holding one agent's uploads.
pub fn agent_dir(data_dir: &Path, agent: &AgentId) -> PathBuf {
    data_dir.join("files").join(agent.as_str())
}

/// Whether `name` is a stored file name: `^[0-9a-f]{64}\.[a-z0-9]{1,8}$` (so never a path).
pub fn valid_name(name: &str) -> bool {
    let Some((hash, ext)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 64
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && (1..=8).contains(&ext.len())
        && ext.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9'))
}

/// The MIME type of a stored file, from its extension.
pub fn mime_for_name(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        e if TEXT_EXTS.contains(&e) => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether a MIME type is one of the images served inline and sent to models as images.
pub fn is_image(mime: &str) -> bool {
    matches!(
        mime,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

/// The extension an upload is stored under: images and PDFs by their magic bytes, text-ish
/// files by their (UTF-8) content and name, anything else `bin`.
pub fn classify(bytes: &[u8], original_name: &str) -> &'static str {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return "png";
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return "jpg";
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return "gif";
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return "webp";
    }
    if bytes.starts_with(b"%PDF-") {
        return "pdf";
    }
    let ext = original_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if std::str::from_utf8(bytes).is_ok() {
        // A text-ish name keeps its extension; anything else (even `fake.png`) is `txt`.
        return TEXT_EXTS
            .iter()
            .find(|e| **e == ext)
            .copied()
            .unwrap_or("txt");
    }
    "bin"
}

/// The stored name of `bytes`: `<sha256-hex>.<ext>`.
pub fn stored_name(bytes: &[u8], ext: &str) -> String {
    format!("{}.{ext}", hex::encode(Sha256::digest(bytes)))
}

/// One stored upload, as the upload route and the desktop's `upload` command answer it
/// (`{"file": {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredFile {
    pub name: String,
    pub original_name: String,
    pub mime: String,
    pub size: usize,
}

/// Why [`store`] refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the file is larger than the upload limit of {} MiB", MAX_FILE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("could not store the file: {0}")]
    Io(#[from] std::io::Error),
}

/// Stores an upload in `dir` (an [`agent_dir`]) under its content-addressed name, sniffing its
/// type from the bytes; the same bytes are written once. Shared by the HTTP upload route and
/// the desktop's IPC upload so both apply the same cap, naming and sniffing.
pub async fn store(
    dir: &Path,
    original_name: &str,
    bytes: &[u8],
) -> Result<StoredFile, StoreError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(StoreError::TooLarge);
    }
    let name = stored_name(bytes, classify(bytes, original_name));
    let path = dir.join(&name);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        tokio::fs::create_dir_all(dir).await?;
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
    }
    let mime = mime_for_name(&name)
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok(StoredFile {
        name,
        original_name: original_name.to_owned(),
        mime,
        size: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_content_addressed() {
        let a = stored_name(b"abc", "txt");
        assert!(valid_name(&a), "{a}");
        assert_eq!(a, stored_name(b"abc", "txt"));
        assert_ne!(a, stored_name(b"abd", "txt"));
    }

    #[test]
    fn classify_trusts_bytes_not_names() {
        assert_eq!(classify(b"\x89PNG\r\n\x1a\nrest", "x.txt"), "png");
        assert_eq!(classify(b"%PDF-1.4", "x"), "pdf");
        assert_eq!(classify(b"hello", "notes.MD"), "md");
        assert_eq!(classify(b"hello", "fake.png"), "txt");
        assert_eq!(classify(b"\xff\xfe\x00", "blob.png"), "bin");
        assert_eq!(mime_for_name("x.md"), "text/plain; charset=utf-8");
        assert_eq!(mime_for_name("x.bin"), "application/octet-stream");
        assert!(is_image(mime_for_name("x.webp")));
    }

    #[tokio::test]
    async fn store_writes_once_and_caps_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let png = b"\x89PNG\r\n\x1a\nrest";
        let a = store(dir.path(), "shot.txt", png).await.unwrap();
        assert_eq!(a.name, stored_name(png, "png"));
        assert_eq!((a.mime.as_str(), a.size), ("image/png", png.len()));
        assert_eq!(std::fs::read(dir.path().join(&a.name)).unwrap(), png);
        let b = store(dir.path(), "again.png", png).await.unwrap();
        assert_eq!((b.name, b.original_name.as_str()), (a.name, "again.png"));
        let big = vec![0u8; MAX_FILE_BYTES + 1];
        assert!(matches!(
            store(dir.path(), "big", &big).await,
            Err(StoreError::TooLarge)
        ));
    }
}
