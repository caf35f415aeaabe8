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
}
