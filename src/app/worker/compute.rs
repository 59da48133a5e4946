//! The computations of an embed job: vectors from the store, then the matrix and the
//! summaries, whole or as a patch of a few rows.

use std::time::Instant;

use super::{EmbedJob, MAX_APP_MATRIX};
use crate::Result;
use crate::app::result::{Computed, JobCost, JobId, Patch, SentenceTable};
use crate::engine::embed::Progress;
use crate::engine::store::VectorStore;
use crate::engine::{self, Embedder, Embeddings, Pooling};

/// Most changed sentences answered with a patch; more get a full recomputation.
const PATCH_MAX: usize = 64;

/// What the worker last answered, so a small edit can be answered with a [`Patch`].
pub(super) struct Last {
    job: JobId,
    fingerprint: String,
    pooling: Pooling,
    table: SentenceTable,
    embeddings: Embeddings,
    has_matrix: bool,
}

impl Last {
    pub(super) fn of(c: &Computed) -> Self {
        Self {
            job: c.job,
            fingerprint: c.model.fingerprint.clone(),
            pooling: c.pooling,
            table: c.table.clone(),
            embeddings: c.embeddings.clone(),
            has_matrix: c.sim.is_some(),
        }
    }
}

/// Indices where `job` differs from `last`, if the job can be answered with a patch.
pub(super) fn patchable(last: Option<&Last>, job: &EmbedJob, fingerprint: &str) -> Option<Vec<usize>> {
    let last = last?;
    let (old, new) = (&last.table, &job.table);
    if job.patch_base != Some(last.job)
        || job.map
        // A clustered order describes the old vectors: it is made again.
        || job.cluster
        || last.fingerprint != fingerprint
        || last.pooling != job.pooling
        || old.len() != new.len()
        || old.groups != new.groups
        || old.group_names != new.group_names
    {
        return None;
    }
    let changed: Vec<usize> = (0..new.len()).filter(|&i| old.texts[i] != new.texts[i]).collect();
    (changed.len() <= PATCH_MAX).then_some(changed)
}

/// Answers a job that changes a few sentences of the last answer: only their vectors,
/// their rows (= columns) of the matrix, and the O(N) group summaries are computed.
pub(super) fn patch_job(
    e: &mut dyn Embedder,
    store: &mut VectorStore,
    job: &EmbedJob,
    changed: Vec<usize>,
    last: &mut Last,
    progress: Progress<'_>,
) -> Result<Patch> {
    let start = Instant::now();
    let texts: Vec<&str> = changed.iter().map(|&i| job.table.texts[i].as_str()).collect();
    let fresh = store.embed(e, &texts, job.pooling, progress)?;
    let emb = &mut last.embeddings;
    let dim = emb.dim;
    if fresh.embeddings.dim != dim {
        return Err(crate::Error::internal("an edited sentence's vector changed length"));
    }
    for (k, (&i, t)) in changed.iter().zip(&texts).enumerate() {
        emb.data[i * dim..(i + 1) * dim].copy_from_slice(fresh.embeddings.row(k));
        last.table.texts[i] = (*t).to_owned();
    }
    emb.truncated.retain(|i| changed.binary_search(i).is_err());
    emb.truncated.extend(fresh.embeddings.truncated.iter().map(|&k| changed[k]));
    emb.truncated.sort_unstable();
    let n = job.table.len();
    let vectors = fresh.embeddings.data;
    let rows = last.has_matrix.then(|| {
        let mut rows = vec![0.0f32; changed.len() * n];
        engine::similarity::dot_rows(&vectors, &emb.data, changed.len(), n, dim, &mut rows);
        rows
    });
    let groups = &job.table.groups;
    let patch = Patch {
        base: last.job,
        job: job.id,
        texts: texts.iter().map(|t| (*t).to_owned()).collect(),
        changed,
        vectors,
        rows,
        truncated: emb.truncated.clone(),
        group_matrix: engine::group_matrix(emb, groups, job.table.group_names.len()),
        misfits: engine::analysis::misfits(emb, groups, job.table.group_names.len()),
        embedded: fresh.embedded,
        elapsed: start.elapsed(),
    };
    last.job = job.id;
    log::debug!("job {}: patched {} sentence(s) in {:?}", job.id.0, patch.changed.len(), patch.elapsed);
    Ok(patch)
}

/// Answers a job in full: every vector, the matrix (up to the app's limit), the group
/// summaries, and the map and clustering when asked for.
pub(super) fn embed_job(
    e: &mut dyn Embedder,
    store: &mut VectorStore,
    job: &EmbedJob,
    progress: Progress<'_>,
) -> Result<Computed> {
    let start = Instant::now();
    let texts: Vec<&str> = job.table.texts.iter().map(String::as_str).collect();
    let stored = store.embed(e, &texts, job.pooling, progress)?;
    let embeddings = stored.embeddings;
    let t_vectors = start.elapsed();
    // Past the limit the heatmap is not drawn; neighbours and group means come from
    // the vectors, so the rest of the app keeps working.
    let sim = (job.table.len() <= MAX_APP_MATRIX).then(|| engine::similarity_matrix(&embeddings));
    let t_sim = start.elapsed();
    let (groups, n_groups) = (&job.table.groups, job.table.group_names.len());
    let group_matrix = engine::group_matrix(&embeddings, groups, n_groups);
    let misfits = engine::analysis::misfits(&embeddings, groups, n_groups);
    let t_groups = start.elapsed();
    let map = job.map.then(|| engine::project::pca_2d(&embeddings));
    let n = embeddings.len();
    let cluster_order = match (&sim, job.cluster) {
        (Some(sim), true) if n <= engine::project::MAX_CLUSTER => engine::project::cluster(sim).map(|c| c.order),
        // Past average linkage's limit: k-means, clusters in the linkage order of their centroids.
        (_, true) => Some(engine::order::kmeans_order(&embeddings, engine::order::default_clusters(n)).order),
        _ => None,
    };
    log::debug!(
        "job {}: vectors {:?} ({} embedded), matrix {:?}, groups and misfits {:?}, map and order {:?}",
        job.id.0,
        t_vectors,
        stored.embedded,
        t_sim - t_vectors,
        t_groups - t_sim,
        start.elapsed() - t_groups
    );
    Ok(Computed {
        misfits,
        map,
        cluster_order,
        job: job.id,
        model: e.info().clone(),
        pooling: job.pooling,
        table: job.table.clone(),
        embeddings,
        sim,
        group_matrix,
        cost: JobCost { embedded: stored.embedded, elapsed: start.elapsed() },
        auto_range: std::sync::OnceLock::new(),
    })
}
