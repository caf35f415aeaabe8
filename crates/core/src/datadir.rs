//! The office's data directory (`--data-dir` > `$ISOMUX_HOME` > `~/.isomux`): created 0700,
//! locked against a second server, holding the SQLite file and the files agents read.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Resolves the data dir from the flag, the environment and the home dir.
pub fn resolve(flag: Option<PathBuf>) -> PathBuf {
    if let Some(p) = flag {
        return p;
    }
    if let Some(p) = std::env::var_os("ISOMUX_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    std::env::home_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".isomux")
}

/// Creates the directory with mode 0700 if needed and returns its canonical path.
pub fn ensure(dir: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let meta = std::fs::metadata(dir)?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    dir.canonicalize()
}

/// Path of the SQLite database.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("isomux.db")
}

/// An exclusive lock on the data dir, held while the server runs.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Takes the lock or says which process holds it.
pub fn lock(dir: &Path) -> std::io::Result<DirLock> {
    let path = dir.join("isomux.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {
            use std::io::Write;
            let mut f = &file;
            f.set_len(0)?;
            writeln!(f, "{}", std::process::id())?;
            Ok(DirLock { _file: file })
        }
        Err(_) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            Err(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!(
                    "{} is in use by another isomux server (pid {}); stop it or use --data-dir",
                    dir.display(),
                    holder.trim()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn second_lock_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let dir = super::ensure(&d.path().join("home")).unwrap();
        let _a = super::lock(&dir).unwrap();
        let err = super::lock(&dir).unwrap_err();
        assert!(err.to_string().contains("in use"), "{err}");
    }

    #[test]
    fn created_private() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let dir = super::ensure(&d.path().join("x/y")).unwrap();
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
