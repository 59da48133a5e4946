//! The one writer for every file simlens writes: outputs, exports, sessions.
//!
//! What happens depends on what the path names, so a write never damages what it replaces:
//!
//! | the path is | what is done |
//! |---|---|
//! | `-` | written to standard output |
//! | nothing yet | a new file, written atomically (temp file, fsync, rename), mode `0666` under the umask |
//! | a regular file | replaced atomically; it keeps its permission bits, and its owner where the process may set it |
//! | a regular file with other hard links | replaced atomically, which gives this name a file of its own: the other names keep the old content, and a warning says so. Writing in place instead would give up atomicity, so a crash could leave every name torn |
//! | a symbolic link | its target is written as above (a link that points nowhere yet gets its target created); the link stays |
//! | one of this process's open descriptors (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`) | written through the descriptor as the shell opened it (`>` or `>>`), whatever file it leads to |
//! | a device, FIFO or socket (`/dev/null`) | opened and written straight into: no temp file, no rename; a FIFO nobody reads within 10 s is an error, not a hang |
//! | a folder | an error |
//!
//! A reader of a regular file sees the old content or the new, never half of one. Every
//! write error, a full device's included, is returned.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The path that means standard output.
pub const STDOUT: &str = "-";

/// Most symbolic links followed before giving up (as the kernel's own limit).
const MAX_LINKS: usize = 40;

/// Writes `path` through `write`, in the way its kind of file needs (see the module docs).
///
/// If `write` fails or the process dies, a regular file keeps its old content and the
/// temporary file is removed (or, after a crash, left with a `.tmp` name).
pub fn atomic_write(path: &Path, write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>) -> Result<()> {
    if path.as_os_str() == STDOUT {
        return to_stdout(write).map_err(|e| Error::io("cannot write", "<stdout>", e));
    }
    if let Some(fd) = open_descriptor(path) {
        return write_descriptor(path, fd, write);
    }
    match target(path).map_err(|e| Error::io("cannot write", path, e))? {
        Target::New(real) => replace(path, &real, None, write),
        Target::Regular(real, meta) => replace(path, &real, Some(meta), write),
        Target::Special => direct(path, write),
    }
}

/// The descriptor a path names when it is one of this process's open files (`/dev/stdout`,
/// `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`, `/proc/<our pid>/fd/N`): written through
/// as the shell set it up (`>` or `>>`), never followed to a file and replaced.
fn open_descriptor(path: &Path) -> Option<u32> {
    let p = path.to_str()?;
    match p {
        "/dev/stdout" => return Some(1),
        "/dev/stderr" => return Some(2),
        _ => {}
    }
    let pid = format!("/proc/{}/fd/", std::process::id());
    ["/dev/fd/", "/proc/self/fd/", pid.as_str()].iter().find_map(|prefix| p.strip_prefix(prefix)?.parse().ok())
}

/// Writes to standard output, buffered (a writer that may move to another thread, as the
/// Parquet writer wants).
pub fn to_stdout(write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
    write(&mut out)?;
    out.flush()
}

/// Writes into an open descriptor: standard output and error as they are; another
/// descriptor reopened at its end (its offset is the writer's, and a `>` file is empty).
fn write_descriptor(
    path: &Path,
    fd: u32,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<()> {
    let result = match fd {
        1 => to_stdout(write),
        2 => {
            let mut err = BufWriter::new(std::io::stderr());
            write(&mut err).and_then(|()| err.flush())
        }
        _ => (|| {
            let regular = std::fs::metadata(path)?.is_file();
            let file = OpenOptions::new().write(true).append(regular).open(path)?;
            let mut w = BufWriter::new(file);
            write(&mut w)?;
            w.flush()
        })(),
    };
    result.map_err(|e| Error::io("cannot write", path, e))
}

/// What a path leads to.
enum Target {
    /// Nothing exists there yet; the file to create (after symbolic links).
    New(PathBuf),
    /// A regular file (after symbolic links), with its metadata.
    Regular(PathBuf, std::fs::Metadata),
    /// A device, FIFO, socket, or a link to one: written in place.
    Special,
}

/// Follows symbolic links from `path` to what is finally there.
fn target(path: &Path) -> std::io::Result<Target> {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&at) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Target::New(at)),
            Err(e) => return Err(e),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            // A link whose target the kernel resolves but the file system does not name
            // (`/proc/self/fd/N` → `pipe:[…]`) is written through the link itself.
            if let Ok(end) = std::fs::metadata(&at)
                && !end.is_file()
                && !end.is_dir()
            {
                return Ok(Target::Special);
            }
            let link = std::fs::read_link(&at)?;
            at = match at.parent() {
                Some(dir) if link.is_relative() => dir.join(link),
                _ => link,
            };
            continue;
        }
        if kind.is_dir() {
            return Err(std::io::Error::new(ErrorKind::IsADirectory, "it is a folder; give a file name"));
        }
        if kind.is_file() {
            return Ok(Target::Regular(at, meta));
        }
        return Ok(Target::Special);
    }
    Err(std::io::Error::new(ErrorKind::InvalidInput, format!("more than {MAX_LINKS} symbolic links")))
}

/// How long a FIFO may go without a reader before the write gives up.
const FIFO_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens `path` for writing. A FIFO is first probed without blocking: with no reader the
/// open would wait forever, so it is retried for [`FIFO_WAIT`], then refused with a message.
fn open_special(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
    let is_fifo = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo());
    if is_fifo {
        /// `O_NONBLOCK` on Linux.
        const O_NONBLOCK: i32 = 0o4000;
        let start = std::time::Instant::now();
        loop {
            match OpenOptions::new().write(true).custom_flags(O_NONBLOCK).open(path) {
                // A reader is there: open again blocking, so writes wait for it, not fail.
                Ok(probe) => {
                    let file = OpenOptions::new().write(true).open(path)?;
                    drop(probe);
                    return Ok(file);
                }
                Err(e) if e.raw_os_error() == Some(6) && start.elapsed() < FIFO_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) if e.raw_os_error() == Some(6) => {
                    return Err(std::io::Error::new(
                        ErrorKind::NotConnected,
                        format!("no program read the FIFO within {} s; start the reader first", FIFO_WAIT.as_secs()),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
    }
    OpenOptions::new().write(true).open(path)
}

/// Writes straight into a device, FIFO or socket.
fn direct(path: &Path, write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>) -> Result<()> {
    let result = (|| -> std::io::Result<()> {
        let file = open_special(path)?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        w.flush()
    })();
    result.map_err(|e| Error::io("cannot write", path, e))
}

/// Writes `real` atomically: a temp file beside it, synced, then renamed over it. `shown`
/// is the path the user gave (for messages); `old` the file being replaced, if any.
fn replace(
    shown: &Path,
    real: &Path,
    old: Option<std::fs::Metadata>,
    write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        let missing = std::io::Error::new(ErrorKind::NotFound, format!("folder {} does not exist", dir.display()));
        return Err(Error::io("cannot write", shown, missing));
    }
    if let Some(m) = old.as_ref().filter(|m| m.nlink() > 1) {
        log::warn!(
            "{} had {} hard links: it now has content of its own, and the other names keep the old content",
            shown.display(),
            m.nlink()
        );
    }
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".to_owned());
    let guard = TempFile::new(dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), unique())));
    let tmp = guard.path.clone();
    let result = (|| -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        if let Some(m) = &old {
            // The owner first: changing it can clear set-id bits, which the mode then restores.
            // Only root may give a file away; anyone else keeps the file as their own.
            match std::os::unix::fs::fchown(&file, Some(m.uid()), Some(m.gid())) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::PermissionDenied => {}
                Err(e) => return Err(e),
            }
            file.set_permissions(std::fs::Permissions::from_mode(m.mode() & 0o7777))?;
        }
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        guard.rename_to(real)?;
        // The rename itself is durable only once the folder is synced.
        if let Ok(d) = File::open(&dir) {
            d.sync_all().ok();
        }
        Ok(())
    })();
    // On an error the guard, dropped here, removes the temporary file (as it does when
    // `write` panics and unwinds through this frame).
    result.map_err(|e| Error::io("cannot write", shown, e))
}

/// Temporary files being written now, so that a SIGINT or SIGTERM can remove them.
static LIVE_TEMP_FILES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A temporary file beside its target: removed when dropped unless renamed into place,
/// so an error or a panic inside the writer leaves nothing behind; listed meanwhile for
/// [`remove_temp_files_on_signal`].
struct TempFile {
    path: PathBuf,
    renamed: std::cell::Cell<bool>,
}

impl TempFile {
    fn new(path: PathBuf) -> Self {
        LIVE_TEMP_FILES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(path.clone());
        Self { path, renamed: std::cell::Cell::new(false) }
    }

    /// Renames it into place. Under the list's lock, so a signal either comes first (and
    /// this waits until the process has ended) or finds the write finished.
    fn rename_to(&self, target: &Path) -> std::io::Result<()> {
        let mut live = LIVE_TEMP_FILES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        std::fs::rename(&self.path, target)?;
        live.retain(|p| p != &self.path);
        self.renamed.set(true);
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.renamed.get() {
            return;
        }
        let mut live = LIVE_TEMP_FILES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        live.retain(|p| p != &self.path);
        std::fs::remove_file(&self.path).ok();
    }
}

/// From now on, SIGINT, SIGTERM and SIGHUP remove the temporary files of writes under way
/// (the targets keep their old content) and end the process with the shell's status for
/// the signal (128 + its number). For the command line; the app handles its own window.
pub fn remove_temp_files_on_signal() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new().name("simlens-signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Held until the process ends: a writer then waits at its rename (or its
            // clean-up) instead of finding its temporary file gone and reporting an error.
            let live = LIVE_TEMP_FILES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for p in live.iter() {
                std::fs::remove_file(p).ok();
            }
            std::process::exit(128 + signal);
        }
    })?;
    Ok(())
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    (nanos << 16) ^ COUNTER.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::print_stderr)]
mod tests {
    use std::io::Read as _;
    use std::os::unix::fs::{FileTypeExt as _, symlink};

    use super::*;

    fn put(p: &Path, text: &str) -> Result<()> {
        atomic_write(p, |w| w.write_all(text.as_bytes()))
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn failed_write_keeps_old_content_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        put(&p, "old").unwrap();
        let err = atomic_write(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_folder_is_a_clear_error() {
        let err = put(Path::new("/nonexistent-simlens-dir/x.csv"), "").unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("private.csv");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        put(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(mode(&p), 0o600);
        // What File::create gives a fresh file under this process's umask.
        let probe = dir.path().join("probe");
        File::create(&probe).unwrap();
        let fresh = dir.path().join("fresh.csv");
        put(&fresh, "x").unwrap();
        assert_eq!(mode(&fresh), mode(&probe));
    }

    #[test]
    fn a_symlink_stays_and_its_target_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.csv");
        symlink("real.csv", &link).unwrap();
        put(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        // A link to nothing yet: the target is created, the link kept.
        let dangling = dir.path().join("dangling.csv");
        symlink(dir.path().join("sub-target.csv"), &dangling).unwrap();
        put(&dangling, "made").unwrap();
        assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(dir.path().join("sub-target.csv")).unwrap(), "made");
    }

    #[test]
    fn a_hard_linked_file_gets_content_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.csv");
        std::fs::write(&a, "old").unwrap();
        std::fs::hard_link(&a, &b).unwrap();
        put(&a, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "old", "the other name keeps the old content");
    }

    #[test]
    fn a_fifo_is_written_into_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut s = String::new();
                File::open(fifo).unwrap().read_to_string(&mut s).unwrap();
                s
            })
        };
        put(&fifo, "through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn a_fifo_without_a_reader_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("nobody");
        if !std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let start = std::time::Instant::now();
        let err = put(&fifo, "x").unwrap_err().to_string();
        assert!(err.contains("no program read the FIFO"), "{err}");
        assert!(start.elapsed() < FIFO_WAIT + std::time::Duration::from_secs(5));
    }

    #[test]
    fn this_process_s_descriptors_are_recognised_and_other_paths_are_not() {
        assert_eq!(open_descriptor(Path::new("/dev/stdout")), Some(1));
        assert_eq!(open_descriptor(Path::new("/proc/self/fd/7")), Some(7));
        assert_eq!(open_descriptor(Path::new(&format!("/proc/{}/fd/3", std::process::id()))), Some(3));
        assert_eq!(open_descriptor(Path::new("/proc/1/fd/3")), None, "another process's descriptor");
        assert_eq!(open_descriptor(Path::new("/tmp/fd/1")), None);
    }

    #[test]
    fn a_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = put(dir.path(), "x").unwrap_err().to_string();
        assert!(err.contains("is a folder"), "{err}");
        assert_eq!(err.matches("folder").count(), 1, "the cause is said once: {err}");
    }

    /// Device nodes made in a temp folder (never the real `/dev`): a copy of /dev/null
    /// stays a device, and a copy of /dev/full reports the full device.
    #[test]
    fn device_nodes_are_written_into_and_a_full_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let null = dir.path().join("null");
        let full = dir.path().join("full");
        let mknod = |p: &Path, minor: &str| {
            std::process::Command::new("mknod")
                .arg(p)
                .args(["c", "1", minor])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !(mknod(&null, "3") && mknod(&full, "7")) {
            eprintln!("skipped: making device nodes needs root (mknod)");
            return;
        }
        put(&null, "gone").unwrap();
        assert!(std::fs::symlink_metadata(&null).unwrap().file_type().is_char_device());
        let err = put(&full, "no room").unwrap_err().to_string();
        assert!(err.contains("No space left"), "{err}");
        assert!(std::fs::symlink_metadata(&full).unwrap().file_type().is_char_device());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temp file beside a device");
    }
}
