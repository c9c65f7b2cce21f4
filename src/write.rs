//! Writing a fixed file: atomically, with its mode kept, and never through a
//! symbolic link that leads out of the tree being fixed.

use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path} resolves to {target}, outside {root}; not written")]
    OutsideTree {
        path: PathBuf,
        target: PathBuf,
        root: PathBuf,
    },
    #[error("could not write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Replace the contents of `path` (inside `root`) with `contents`: a temporary
/// file in the same folder, fsync, then rename over the real file, so a crash
/// leaves either the old or the new file and never half of one.
pub fn write_atomic(path: &Path, root: &Path, contents: &str) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let target = std::fs::canonicalize(path).map_err(io)?;
    let root_abs = std::fs::canonicalize(root).map_err(io)?;
    if !target.starts_with(&root_abs) {
        return Err(WriteError::OutsideTree {
            path: path.to_path_buf(),
            target,
            root: root_abs,
        });
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let perms = std::fs::metadata(&target).map_err(io)?.permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".hardpin-")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(contents.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    std::fs::set_permissions(tmp.path(), perms).map_err(io)?;
    tmp.persist(&target).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_mode_and_refuses_links_out() {
        use std::os::unix::fs::PermissionsExt;
        let tree = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let f = tree.path().join("a.yml");
        std::fs::write(&f, "old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&f, tree.path(), "new").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o640
        );

        let secret = outside.path().join("b.yml");
        std::fs::write(&secret, "keep").unwrap();
        let link = tree.path().join("b.yml");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        assert!(matches!(
            write_atomic(&link, tree.path(), "x"),
            Err(WriteError::OutsideTree { .. })
        ));
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "keep");
    }
}
