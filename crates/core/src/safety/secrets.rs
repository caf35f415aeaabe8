//! Which files are secret: env files (`.env`, `.env.*`), private keys and certificates
//! (`*.pem`, `*.key`, `*.p12`, `*.pfx`, `id_rsa`…, not `*.pub`), credential files
//! (`credentials`, `.netrc`, `.pgpass`, `.git-credentials`…), what lies in `~/.ssh` (but public
//! keys, `config`, `known_hosts`), `~/.gnupg` and `~/.aws`, and a few home-level token files.
//! Templates (`*.example`, `*.template`, `*.sample`, `*.dist`) are never secret. Also decides
//! whether a wildcard pattern targets such files explicitly (`*.pem` does, `*` does not).

use super::glob;
use super::paths::{file_name, strictly_within};

const TEMPLATE_SUFFIXES: &[&str] = &[".example", ".template", ".sample", ".dist"];
const KEY_EXTENSIONS: &[&str] = &[".pem", ".key", ".p12", ".pfx", ".jks", ".keystore"];
const KEY_PREFIXES: &[&str] = &["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];
const SECRET_NAMES: &[&str] = &[
    ".netrc",
    "_netrc",
    ".pgpass",
    ".git-credentials",
    ".pypirc",
    ".htpasswd",
];
/// Directories under `~` whose content is secret (see [`secret_in_dir`]).
const SECRET_DIRS: &[&str] = &[".ssh", ".gnupg", ".aws"];
/// Token files that are secret in the home directory (a project's `.npmrc` usually is not).
const HOME_SECRET_FILES: &[&str] = &[
    ".npmrc",
    ".docker/config.json",
    ".kube/config",
    ".config/gh/hosts.yml",
];

/// Names a wildcard is tried against: matching one of these and none of [`ORDINARY`] means the
/// pattern targets secrets explicitly.
const SECRET_SAMPLES: &[&str] = &[
    ".env",
    ".env.local",
    ".env.production",
    ".envrc",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "server.pem",
    "server.key",
    "cert.p12",
    "cert.pfx",
    "release.jks",
    "credentials",
    "credentials.json",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".pypirc",
    ".htpasswd",
];
/// Extra names tried inside secret directories (keys may have any name there).
const DIR_SAMPLES: &[&str] = &["github", "deploy_key", "config", "known_hosts"];
const ORDINARY: &[&str] = &[
    "main.rs",
    "README.md",
    "Cargo.toml",
    "package.json",
    "index.ts",
    ".gitignore",
    ".eslintrc.json",
    ".editorconfig",
    "Makefile",
    "config.yml",
    "a",
];

/// Is a file with this name secret wherever it lives?
pub(crate) fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if TEMPLATE_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        return false;
    }
    if lower.starts_with(".env") {
        return true;
    }
    if lower.ends_with(".pub") {
        return false;
    }
    KEY_EXTENSIONS.iter().any(|e| lower.ends_with(e))
        || KEY_PREFIXES.iter().any(|p| lower.starts_with(p))
        || lower == "credentials"
        || lower.starts_with("credentials.")
        || SECRET_NAMES.contains(&lower.as_str())
}

/// Is this normalized absolute path secret (by name, or by where it lives under `home`)?
/// The secret directories themselves count: reading them recursively reads the keys.
pub(crate) fn is_secret_path(path: &str, home: &str) -> bool {
    if is_secret_name(file_name(path)) {
        return true;
    }
    for d in SECRET_DIRS {
        let dir = join(home, d);
        if path == dir {
            return true;
        }
        if strictly_within(path, &dir) {
            return secret_in_dir(d, file_name(path));
        }
    }
    HOME_SECRET_FILES.iter().any(|f| path == join(home, f))
}

fn secret_in_dir(dir: &str, name: &str) -> bool {
    match dir {
        ".ssh" => {
            !(name.ends_with(".pub")
                || name == "config"
                || name.starts_with("known_hosts")
                || name.starts_with("authorized_keys"))
        }
        ".aws" => name != "config",
        _ => true,
    }
}

fn join(home: &str, rel: &str) -> String {
    if home == "/" {
        format!("/{rel}")
    } else {
        format!("{home}/{rel}")
    }
}

/// Does a wildcard `rest` under the literal directory `dir` target secret files explicitly?
pub(crate) fn glob_targets_secret(dir: &str, rest: &[String], home: &str) -> bool {
    let Some(last) = rest.last() else {
        return is_secret_path(dir, home);
    };
    if !glob::has_glob(last) {
        // The wildcard sits in a directory component; the file name itself is literal.
        return is_secret_name(&glob::unescape(last));
    }
    if rest.len() == 1 && is_secret_path(dir, home) {
        let inside_secret_dir = SECRET_SAMPLES
            .iter()
            .chain(DIR_SAMPLES)
            .any(|n| glob::matches(last, n) && is_secret_path(&join(dir, n), home));
        if inside_secret_dir {
            return true;
        }
    }
    name_pattern_is_secret(last)
}

/// Does a one-component pattern (or literal name) target secret files explicitly?
pub(crate) fn name_pattern_is_secret(pattern: &str) -> bool {
    if !glob::has_glob(pattern) {
        return is_secret_name(&glob::unescape(pattern));
    }
    let pattern = pattern.to_ascii_lowercase();
    SECRET_SAMPLES.iter().any(|n| glob::matches(&pattern, n))
        && !ORDINARY
            .iter()
            .any(|n| glob::matches(&pattern, &n.to_ascii_lowercase()))
}
