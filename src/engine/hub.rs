//! Models already in the Hugging Face hub cache, offline.
//!
//! The cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`) holds
//! `models--ORG--NAME/` folders: `refs/main` names a commit, `snapshots/COMMIT/` holds the
//! files as symbolic links into `blobs/`. `ORG/NAME[@REVISION]` resolves to a snapshot
//! folder that [`super::ModelFolder`] opens like any other. Nothing here touches the network.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The hub cache folder, from the environment as huggingface_hub reads it.
pub fn cache_root() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("HF_HUB_CACHE")
        .or_else(|| var("HF_HOME").map(|h| h.join("hub")))
        .or_else(|| var("XDG_CACHE_HOME").map(|c| c.join("huggingface").join("hub")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("huggingface").join("hub")))
}

/// Whether `spec` reads as a hub id (`ORG/NAME`, `ORG/NAME@REV`) rather than a folder.
pub fn looks_like_id(spec: &str) -> bool {
    let id = spec.split('@').next().unwrap_or("");
    let parts: Vec<&str> = id.split('/').collect();
    parts.len() == 2
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || "-_.".contains(c)))
        && !spec.starts_with('.')
}

/// The snapshot folder of `ORG/NAME[@REVISION]` in the cache at `root`.
pub fn resolve_in(root: &Path, spec: &str) -> Result<PathBuf> {
    let (id, revision) = match spec.split_once('@') {
        Some((id, rev)) => (id, rev),
        None => (spec, "main"),
    };
    let repo = root.join(format!("models--{}", id.replace('/', "--")));
    if !repo.is_dir() {
        return Err(Error::model(
            &repo,
            format!(
                "{id} is not in the Hugging Face cache at {}; download it there first (simlens never downloads), or give a model folder",
                root.display()
            ),
        ));
    }
    if !is_one_component(revision) {
        return Err(Error::model(
            &repo,
            if revision.is_empty() {
                format!("`{spec}` has nothing after `@`; give a branch, tag or commit ({id}@main), or leave `@` out")
            } else {
                format!(
                    "revision `{revision}` of {id} is not a branch, tag or commit name (it must be one name, without `/` or `..`)"
                )
            },
        ));
    }
    // A branch or tag names a commit in refs/; otherwise the revision is the commit itself.
    let reference = repo.join("refs").join(revision);
    let commit = match std::fs::read_to_string(&reference) {
        Ok(c) => {
            let c = c.trim().to_owned();
            if !is_one_component(&c) {
                return Err(Error::model(
                    &reference,
                    if c.is_empty() {
                        "is empty, so it names no snapshot; the download was interrupted: download the model again"
                            .to_owned()
                    } else {
                        format!(
                            "names `{c}`, which is not a commit (it must be one name, without `/` or `..`); download the model again"
                        )
                    },
                ));
            }
            c
        }
        Err(_) => revision.to_owned(),
    };
    let snapshots = repo.join("snapshots");
    let snapshot = snapshots.join(&commit);
    if !snapshot.is_dir() {
        return Err(Error::model(&snapshot, format!("revision {revision} of {id} is not in the cache")));
    }
    // A snapshot folder that is a link elsewhere would load a model from outside the cache.
    let inside = match (snapshot.canonicalize(), snapshots.canonicalize()) {
        (Ok(s), Ok(root)) => s.starts_with(&root),
        _ => false,
    };
    if !inside {
        return Err(Error::model(
            &snapshot,
            format!("revision {revision} of {id} leads outside the cache's snapshots/"),
        ));
    }
    Ok(snapshot)
}

/// A revision or commit as one path component: not empty, no separator, not `.` or `..`.
fn is_one_component(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// A folder, or a hub id resolved in the cache: a folder that exists always wins.
pub fn resolve(spec: &Path) -> Result<PathBuf> {
    let text = spec.to_string_lossy();
    if spec.exists() || !looks_like_id(&text) {
        return Ok(spec.to_path_buf());
    }
    let root = cache_root().ok_or_else(|| {
        Error::model(spec, "looks like a hub id, but no Hugging Face cache folder is known (set HF_HUB_CACHE)")
    })?;
    resolve_in(&root, &text)
}

/// `ORG/NAME` when `dir` is a snapshot folder of the hub cache.
pub fn id_of(dir: &Path) -> Option<String> {
    let snapshots = dir.parent()?;
    let repo = snapshots.parent()?;
    if snapshots.file_name()? != "snapshots" {
        return None;
    }
    let name = repo.file_name()?.to_str()?.strip_prefix("models--")?;
    let (org, model) = name.split_once("--")?;
    Some(format!("{org}/{}", model.replace("--", "/")))
}

/// A model in the hub cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedModel {
    /// `ORG/NAME`.
    pub id: String,
    /// Its `refs/main` snapshot (or the newest one).
    pub snapshot: PathBuf,
    /// Whether the snapshot has an ONNX graph simlens can load.
    pub has_onnx: bool,
    /// Why it cannot be loaded although it may have a graph: a broken ref, or a graph that
    /// links to a blob the cache lacks (an interrupted download). `None` when nothing is wrong.
    pub problem: Option<String>,
}

impl CachedModel {
    /// The command that exports an ONNX graph for a model without one.
    pub fn export_command(&self) -> String {
        format!("optimum-cli export onnx --model {} {}-onnx", self.snapshot.display(), self.id.replace('/', "-"))
    }
}

/// Every model in the cache at `root`, by id.
pub fn list_in(root: &Path) -> Vec<CachedModel> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut found: Vec<CachedModel> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = name.strip_prefix("models--")?.replacen("--", "/", 1);
            let (snapshot, problem) = match resolve_in(root, &id) {
                Ok(s) => (s, None),
                Err(err) => (newest_snapshot(&e.path())?, Some(err.to_string())),
            };
            let graphs = ["model.onnx", "onnx/model.onnx"].map(|f| snapshot.join(f));
            let has_graph = graphs.iter().any(|g| g.is_file());
            // A link into blobs/ whose blob is missing reads as no file at all.
            let dangling = graphs.iter().find(|g| !g.exists() && g.symlink_metadata().is_ok());
            let problem = problem.or_else(|| {
                dangling.filter(|_| !has_graph).map(|g| {
                    format!("{} links to a blob the cache does not have (an interrupted download); download the model again", g.display())
                })
            });
            Some(CachedModel { id, has_onnx: has_graph && problem.is_none(), snapshot, problem })
        })
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found
}

/// The most recently changed snapshot of a repository folder.
fn newest_snapshot(repo: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(repo.join("snapshots")).ok()?;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, p)| p)
}

/// Every model in the default cache.
pub fn list() -> Vec<CachedModel> {
    cache_root().map(|r| list_in(&r)).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_never_leaves_the_repositorys_snapshots() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("models--org--name");
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::create_dir_all(repo.join("snapshots/abc")).unwrap();
        let other = root.path().join("models--other--repo/snapshots/rev");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::create_dir_all(root.path().join("evil")).unwrap();
        std::fs::write(repo.join("refs/main"), "abc\n").unwrap();
        assert_eq!(resolve_in(root.path(), "org/name").unwrap(), repo.join("snapshots/abc"));

        let refused = |spec: &str| resolve_in(root.path(), spec).unwrap_err().to_string();
        let e = refused("org/name@../../models--other--repo/snapshots/rev");
        assert!(e.contains("not a branch, tag or commit name"), "{e}");
        assert!(refused("org/name@").contains("nothing after `@`"));
        assert!(refused("org/name@..").contains("not a branch, tag or commit name"));
        std::fs::write(repo.join("refs/main"), "../../../../evil").unwrap();
        assert!(refused("org/name").contains("not a commit"));
        std::fs::write(repo.join("refs/main"), "  \n").unwrap();
        assert!(refused("org/name").contains("is empty"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&other, repo.join("snapshots/linked")).unwrap();
            assert!(refused("org/name@linked").contains("outside the cache's snapshots/"));
        }
    }

    #[test]
    fn a_broken_ref_or_a_missing_blob_is_listed_with_its_problem() {
        let root = tempfile::tempdir().unwrap();
        let make = |name: &str, reference: &str| {
            let repo = root.path().join(format!("models--org--{name}"));
            std::fs::create_dir_all(repo.join("refs")).unwrap();
            std::fs::create_dir_all(repo.join("snapshots/abc")).unwrap();
            std::fs::create_dir_all(repo.join("blobs")).unwrap();
            std::fs::write(repo.join("refs/main"), reference).unwrap();
            repo
        };
        let good = make("good", "abc");
        std::fs::write(good.join("snapshots/abc/model.onnx"), b"graph").unwrap();
        let broken = make("broken", "");
        std::fs::write(broken.join("snapshots/abc/model.onnx"), b"graph").unwrap();
        let missing = make("missing", "abc");
        #[cfg(unix)]
        std::os::unix::fs::symlink("../../blobs/deadbeef", missing.join("snapshots/abc/model.onnx")).unwrap();
        let listed = list_in(root.path());
        let by = |id: &str| listed.iter().find(|m| m.id == id).unwrap();
        assert!(by("org/good").has_onnx && by("org/good").problem.is_none());
        assert!(!by("org/broken").has_onnx);
        assert!(by("org/broken").problem.as_deref().unwrap().contains("is empty"));
        #[cfg(unix)]
        {
            assert!(!by("org/missing").has_onnx);
            assert!(by("org/missing").problem.as_deref().unwrap().contains("blob the cache does not have"));
        }
    }

    #[test]
    fn ids_and_folders_are_told_apart() {
        assert!(looks_like_id("sentence-transformers/all-MiniLM-L6-v2"));
        assert!(looks_like_id("org/name@v1.0"));
        assert!(!looks_like_id("models/all-MiniLM-L6-v2/extra"));
        assert!(!looks_like_id("./a/b"));
        assert!(!looks_like_id("just-a-folder"));
        assert_eq!(id_of(Path::new("/c/hub/models--org--name/snapshots/abc")).as_deref(), Some("org/name"));
        assert_eq!(id_of(Path::new("/some/folder")), None);
    }
}
