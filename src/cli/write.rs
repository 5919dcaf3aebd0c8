//! Writing output files. A regular file is replaced atomically (a temp file beside it, then a
//! rename); a symlink is followed to the file it names, which is replaced the same way (as `cp`
//! and editors do); character devices and FIFOs are written through; `/dev/stdout` and
//! `/dev/stderr` are our own streams. Temp files never outlive a SIGINT, SIGTERM or SIGHUP.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use anyhow::{bail, Context};

/// Where one output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Our standard output (`-`, `/dev/stdout`).
    Stdout,
    /// Our standard error (`/dev/stderr`).
    Stderr,
    /// A character device or FIFO (`/dev/null`, a named pipe), written in place.
    Through(PathBuf),
    /// A regular file, existing or new, replaced atomically. Symlinks are already resolved:
    /// this is the file they name.
    File(PathBuf),
}

impl Destination {
    /// True for a regular file: one that can hold a whole output and be compared later.
    pub fn is_file(&self) -> bool {
        matches!(self, Destination::File(_))
    }
}

/// Decide how to write to `path` (given by the user or derived from `--out-dir`).
pub fn destination(path: &Path) -> anyhow::Result<Destination> {
    // Our own streams: reopening them through /proc would truncate a file stdout appends to,
    // and fails for sockets.
    match path.to_str() {
        Some("-" | "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1") => return Ok(Destination::Stdout),
        Some("/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2") => return Ok(Destination::Stderr),
        _ => {}
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(Destination::File(resolve_links(path)?)),
        Ok(meta) if meta.is_dir() => bail!("cannot write {}: it is a directory", path.display()),
        Ok(meta) => special(path, &meta),
        // A new file; or a dangling symlink, whose target is created.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Destination::File(resolve_links(path)?)),
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

#[cfg(unix)]
fn special(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<Destination> {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_char_device() || kind.is_fifo() {
        return Ok(Destination::Through(path.to_path_buf()));
    }
    let what = if kind.is_block_device() { "a block device" } else { "a socket" };
    bail!(
        "cannot write {}: it is {what}; -o takes a regular file, a character device such as /dev/null, or a FIFO",
        path.display()
    )
}

#[cfg(not(unix))]
fn special(path: &Path, _: &std::fs::Metadata) -> anyhow::Result<Destination> {
    Ok(Destination::Through(path.to_path_buf()))
}

/// Follow `path` while it is a symlink (relative targets are read from the link's directory),
/// so the rename replaces the file, not the link.
fn resolve_links(path: &Path) -> anyhow::Result<PathBuf> {
    // Linux's own limit (MAXSYMLINKS).
    const MAX_LINKS: usize = 40;
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)
                    .with_context(|| format!("cannot read the symlink {}", current.display()))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    bail!("cannot write {}: too many levels of symbolic links", path.display())
}

/// Write every output, all or nothing as far as files go: each regular file is first written
/// to a temp file beside it, then devices and FIFOs are written, then the temp files are
/// renamed into place. A failure before the renames (a full disk, a closed FIFO) leaves every
/// existing file as it was.
pub fn write_all(outputs: &[(Destination, &str)]) -> anyhow::Result<()> {
    let files: Vec<(&Path, &str)> = outputs
        .iter()
        .filter_map(|(d, content)| match d {
            Destination::File(path) => Some((path.as_path(), *content)),
            _ => None,
        })
        .collect();
    if !files.is_empty() {
        remove_temp_files_on_signal();
    }
    let mut temps = Temps(Vec::with_capacity(files.len()));
    for (path, content) in &files {
        temps.0.push(stage(path, content)?);
    }
    for (dest, content) in outputs {
        match dest {
            Destination::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(content.as_bytes())?;
                out.flush()?;
            }
            Destination::Stderr => std::io::stderr().lock().write_all(content.as_bytes())?,
            Destination::Through(path) => {
                // Unlike stdout, a FIFO whose reader left early is a failed write (exit 1), not
                // the reader's choice: the files staged with it are not renamed into place.
                let write = || std::fs::OpenOptions::new().write(true).open(path)?.write_all(content.as_bytes());
                write().map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            }
            Destination::File(_) => {}
        }
    }
    // Renames are quick: a signal handler waits for all of them (it needs the lock), so a
    // signal cannot leave some files renamed and the others as temp files.
    let mut staged = staged();
    let temps = std::mem::take(&mut temps.0);
    let temp_paths: Vec<PathBuf> = temps.iter().map(|t| t.path().to_path_buf()).collect();
    let renamed = files.iter().zip(temps).try_for_each(|((path, _), tmp)| {
        tmp.persist(path).map(drop).map_err(|e| e.error).with_context(|| format!("cannot write {}", path.display()))
    });
    staged.retain(|p| !temp_paths.contains(p));
    renamed
}

/// Temp files of one `write_all`; unregistered (and, by `NamedTempFile`, deleted) on drop.
struct Temps(Vec<tempfile::NamedTempFile>);

impl Drop for Temps {
    fn drop(&mut self) {
        let mut staged = staged();
        for tmp in &self.0 {
            staged.retain(|p| p != tmp.path());
        }
    }
}

/// Temp files not yet renamed into place, for the signal handler to remove.
static STAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn staged() -> MutexGuard<'static, Vec<PathBuf>> {
    STAGED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Write `content` to a temporary file next to `path` (creating the directory), ready to be
/// renamed over it: readers never see half a file.
fn stage(path: &Path, content: &str) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
    let mut tmp = {
        // Created and registered under the lock: a signal in between cannot miss the file.
        let mut staged = staged();
        let tmp = tempfile::Builder::new()
            .prefix(".zenc-")
            .tempfile_in(dir)
            .map_err(|e| anyhow::anyhow!("cannot write into {}: {}", dir.display(), e.kind()))?;
        staged.push(tmp.path().to_path_buf());
        tmp
    };
    tmp.write_all(content.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    set_mode(tmp.path(), path);
    Ok(tmp)
}

/// On SIGINT, SIGTERM or SIGHUP: remove the staged temp files, then die of the same signal
/// (so a calling shell sees an interrupted command). Installed once, on the first write.
#[cfg(unix)]
fn remove_temp_files_on_signal() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let staged = staged();
                for path in staged.iter() {
                    let _ = std::fs::remove_file(path);
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
    });
}

#[cfg(not(unix))]
fn remove_temp_files_on_signal() {}

/// A temp file is created 0600; give the result the target's mode, or the usual 0644.
#[cfg(unix)]
fn set_mode(tmp: &Path, target: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(target).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    let _ = std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_and_links_are_recognised() {
        assert_eq!(destination(Path::new("/dev/stdout")).unwrap(), Destination::Stdout);
        assert_eq!(destination(Path::new("/dev/stderr")).unwrap(), Destination::Stderr);
        assert_eq!(destination(Path::new("/dev/null")).unwrap(), Destination::Through("/dev/null".into()));
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("sub/real.yaml");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        #[cfg(unix)]
        {
            let link = dir.path().join("link.yaml");
            std::os::unix::fs::symlink("sub/real.yaml", &link).unwrap();
            // Dangling: the file it names is what gets created.
            assert_eq!(destination(&link).unwrap(), Destination::File(dir.path().join("sub/real.yaml")));
            std::fs::write(&real, "x").unwrap();
            assert_eq!(destination(&link).unwrap(), Destination::File(dir.path().join("sub/real.yaml")));
            let lo = dir.path().join("loop");
            std::os::unix::fs::symlink("loop", &lo).unwrap();
            assert!(destination(&lo).is_err());
        }
        assert!(destination(dir.path()).unwrap_err().to_string().contains("is a directory"));
    }
}
