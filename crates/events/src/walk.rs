//! Walking directories for input files (event files and rule files alike).
//!
//! The walk is iterative and sorted. It follows symbolic links, but enters each directory
//! and reads each file at most once (identified by device and inode), so a link loop is
//! walked once and named, and a file behind two links gives its alerts once. It goes on past entries it cannot read and names them, and it
//! never opens special files (FIFOs, sockets, devices): opening a FIFO would block the run.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// A path the walk did not read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub why: String,
    /// True when the entry could not be read (an I/O error such as a permission denied);
    /// false when it was left out on purpose (a special file, a directory seen before).
    pub unreadable: bool,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files that `accept` took, in sorted order.
    pub files: Vec<PathBuf>,
    /// Regular files that `accept` did not take.
    pub ignored: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// Walks `root` (a directory) and adds what it finds to `walk`.
pub fn walk_dir(root: &Path, accept: &dyn Fn(&Path) -> bool, walk: &mut Walk) {
    let mut seen: HashSet<DirId> = HashSet::new();
    let mut seen_files: HashSet<DirId> = HashSet::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        match dir_id(&dir) {
            Ok(id) if !seen.insert(id) => {
                walk.skipped.push(Skipped {
                    path: dir,
                    why: "a directory already walked (a symbolic link loop or a second link to it); read once".into(),
                    unreadable: false,
                });
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                walk.skipped.push(Skipped { path: dir, why: format!("cannot read: {e}"), unreadable: true });
                continue;
            }
        }
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                walk.skipped.push(Skipped { path: dir, why: format!("cannot read the directory: {e}"), unreadable: true });
                continue;
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(entry.path()),
                Err(e) => walk.skipped.push(Skipped { path: dir.clone(), why: format!("cannot list an entry: {e}"), unreadable: true }),
            }
        }
        paths.sort();
        let mut subdirs = Vec::new();
        for path in paths {
            // `metadata` follows symbolic links: a link is what it points to.
            let meta = match fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) => {
                    let why = if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                        format!("a symbolic link that cannot be followed: {e}")
                    } else {
                        format!("cannot read: {e}")
                    };
                    walk.skipped.push(Skipped { path, why, unreadable: true });
                    continue;
                }
            };
            if meta.is_dir() {
                subdirs.push(path);
            } else if meta.is_file() {
                if !seen_files.insert(file_id(&path, &meta)) {
                    walk.skipped.push(Skipped { path, why: "a file already read through another link; read once".into(), unreadable: false });
                } else if accept(&path) {
                    walk.files.push(path);
                } else {
                    walk.ignored.push(path);
                }
            } else {
                walk.skipped.push(Skipped { path, why: format!("{}, not a regular file: not opened", special_kind(&meta)), unreadable: false });
            }
        }
        // Depth first, in sorted order: push in reverse.
        stack.extend(subdirs.into_iter().rev());
    }
}

fn special_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
}

#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

#[cfg(unix)]
fn dir_id(dir: &Path) -> std::io::Result<DirId> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(dir)?;
    Ok((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn dir_id(dir: &Path) -> std::io::Result<DirId> {
    fs::canonicalize(dir)
}

#[cfg(unix)]
fn file_id(_: &Path, meta: &fs::Metadata) -> DirId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(path: &Path, _: &fs::Metadata) -> DirId {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn loops_are_walked_once_and_special_files_are_not_opened() {
        let root = std::env::temp_dir().join(format!("vigil-walk-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/e.json"), "{}").unwrap();
        fs::write(root.join("a/notes.txt"), "x").unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("a/b/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("missing"), root.join("a/dangling.json")).unwrap();
        std::os::unix::fs::symlink(root.join("a/b/e.json"), root.join("a/link.json")).unwrap();
        let fifo = std::process::Command::new("mkfifo").arg(root.join("a/pipe.json")).status().is_ok_and(|s| s.success());
        let mut walk = Walk::default();
        walk_dir(&root, &|p| p.extension().is_some_and(|e| e == "json"), &mut walk);
        // The first path in walk order (a directory's files before its subdirectories) is read.
        assert_eq!(walk.files, vec![root.join("a/link.json")]);
        assert_eq!(walk.ignored, vec![root.join("a/notes.txt")]);
        let why = |name: &str| walk.skipped.iter().find(|s| s.path.ends_with(name)).map(|s| (s.why.clone(), s.unreadable));
        assert!(why("loop").is_some_and(|(w, u)| w.contains("already walked") && !u), "{:?}", walk.skipped);
        assert!(why("b/e.json").is_some_and(|(w, u)| w.contains("another link") && !u), "{:?}", walk.skipped);
        assert!(why("dangling.json").is_some_and(|(w, u)| w.contains("symbolic link") && u), "{:?}", walk.skipped);
        if fifo {
            assert!(why("pipe.json").is_some_and(|(w, u)| w.contains("FIFO") && !u), "{:?}", walk.skipped);
        }
        let _ = fs::remove_dir_all(&root);
    }
}
