#!/usr/bin/env python3
"""UMAP benchmark: `simlens map --method umap` next to umap-learn, on the same vectors.

Run through `scripts/bench-map`, which makes the peer's venv. For each size it:

* generates a grouped corpus (`benches/corpus/make_topics.py`, 8 topics) and embeds it
  once with `simlens embed` (kept under .cache/maps; embedding is not what is timed);
* runs, RUNS times and alternating, the whole process of `simlens map TOPICS --vectors
  V.npy --method umap -o OUT.csv` and of `peer_umap.py V.npy OUT.npy` (umap-learn,
  n_neighbors 15, min_dist 0.1, cosine), timing spawn to exit and reading each child's
  peak RSS (from /usr/bin/time, so the bench's own memory is not counted);
* scores each layout: the share of each point's 10 nearest 2-D neighbours that are in its
  own topic (exact, with scipy's cKDTree), averaged over the points; the share of each
  point's 10 nearest high-dimensional neighbours (cosine, exact) among its 10 nearest 2-D
  neighbours ("10-NN preservation"); and the median 2-D nearest-neighbour distance over
  the layout's extent (its bounding box's diagonal): how much room the map gives a point.

With --clusters it lays out planted clusters instead (Gaussian clusters around random
unit centres, unit-normalised, seeded numpy; placeholder sentences "c3 p17"), for each
--min-dists value, and prints per tool the median over clusters of each cluster's median
radius (distance of its points to its 2-D centroid), the median distance from a cluster's
centroid to the nearest other centroid, their ratio, and 10-NN preservation.

umap-learn compiles its numba kernels on first use; one small warm-up run fills numba's
cache first, so the timed runs are what a returning user waits for. Medians are printed.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (process running, machine facts)


def log(msg):
    print(f"[bench-map] {msg}", file=sys.stderr, flush=True)


def labels_of(path):
    """Topic index of each sentence of a grouped text file, in row order."""
    labels, g = [], -1
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                g += 1
            elif line.strip():
                labels.append(g)
    return np.array(labels)


def same_group_share(points, labels, k=10):
    tree = cKDTree(points)
    _, idx = tree.query(points, k=k + 1)
    # Column 0 is the point itself (or a duplicate at distance 0; either way one of k+1).
    same = labels[idx[:, 1:]] == labels[:, None]
    return float(same.mean())


def knn_high(vectors, k=10, block=2048):
    """Each row's k nearest other rows by cosine (exact, blockwise)."""
    x = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    out = np.empty((len(x), k), dtype=np.int64)
    for s in range(0, len(x), block):
        sim = x[s:s + block] @ x.T
        sim[np.arange(len(sim)), np.arange(s, s + len(sim))] = -np.inf
        part = np.argpartition(-sim, k, axis=1)[:, :k]
        out[s:s + block] = part
    return out


def knn_preservation(points, high, k=10):
    """Share of each point's k nearest high-d neighbours among its k nearest 2-D ones."""
    _, idx = cKDTree(points).query(points, k=k + 1)
    low = idx[:, 1:]
    kept = [len(np.intersect1d(h, l, assume_unique=True)) for h, l in zip(high, low)]
    return float(np.mean(kept)) / k


def nn_over_extent(points):
    """Median distance to the nearest 2-D neighbour over the bounding box's diagonal."""
    d, _ = cKDTree(points).query(points, k=2)
    extent = float(np.linalg.norm(points.max(0) - points.min(0)))
    return float(np.median(d[:, 1])) / max(extent, 1e-12)


def cluster_figures(points, labels):
    """(median cluster radius, median nearest-centroid distance) of a 2-D layout."""
    groups = np.unique(labels)
    cents = np.array([points[labels == g].mean(0) for g in groups])
    radius = [np.median(np.linalg.norm(points[labels == g] - cents[i], axis=1)) for i, g in enumerate(groups)]
    dc = np.linalg.norm(cents[:, None] - cents[None], axis=2)
    np.fill_diagonal(dc, np.inf)
    return float(np.median(radius)), float(np.median(dc.min(1)))


def read_csv_points(path):
    xs = []
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        head = next(r)
        ix, iy = head.index("x"), head.index("y")
        for row in r:
            xs.append((float(row[ix]), float(row[iy])))
    return np.array(xs, dtype=np.float32)


def timed(cmd, tmp):
    """Runs cmd and returns (child, its own peak RSS in MiB), the peak as bench.run reads it
    (from /usr/bin/time: os.wait4 would count this process's pages too)."""
    c = bench.run(cmd, tmp)
    return c, c.maxrss_kib / 1024


def corpus(args, n, tmp):
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    stem = f"topics_{n}u" if args.unique else f"topics_{n}"
    text, vec = work / f"{stem}.txt", work / f"{stem}.npy"
    if not text.exists():
        extra = ["--unique"] if args.unique else []
        subprocess.run([sys.executable, HERE / "corpus" / "make_topics.py", str(n), str(text), *extra], check=True)
    if not vec.exists():
        log(f"embedding {n} sentences once (not timed)")
        bench.run([args.simlens, "embed", text, "-o", vec], tmp)
    return text, vec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--simlens", required=True)
    ap.add_argument("--sizes", default="20000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--peer-max", type=int, default=100000, help="largest size the peer runs at")
    ap.add_argument("--work", default=str(ROOT / ".cache" / "maps"))
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--unique", action="store_true",
                    help="every sentence distinct (template text otherwise repeats: simlens lays out identical vectors once)")
    ap.add_argument("--clock-mhz", type=float, default=None)
    ap.add_argument("--clusters", action="store_true", help="planted Gaussian clusters instead of topic corpora")
    ap.add_argument("--cluster-count", type=int, default=20)
    ap.add_argument("--cluster-size", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--noise", type=float, default=0.6, help="norm of each point's offset from its centre")
    ap.add_argument("--min-dists", default="0,0.1,0.5", help="with --clusters: the min_dist values to lay out with")
    ap.add_argument("--seed", type=int, default=0, help="with --clusters: the numpy seed of the vectors")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = tempfile.mkdtemp(prefix="simlens-bench-map-")
    m = bench.machine(args)
    import umap  # noqa: F401  (its version below)
    import importlib.metadata as md
    vers = {p: md.version(p) for p in ("umap-learn", "pynndescent", "numba", "numpy", "scipy")}
    log(f"{m['cpu']}, {m['cores']} cores; {vers}")
    log("warming umap-learn's numba cache")
    warm = Path(tmp) / "warm_in.npy"
    np.save(warm, np.random.default_rng(1).standard_normal((2000, 32)).astype(np.float32))
    bench.run([sys.executable, HERE / "peer_umap.py", warm, Path(tmp) / "warm.npy"], tmp)
    if args.clusters:
        return clusters(args, m, vers, tmp)
    results = []
    for n in sizes:
        text, vec = corpus(args, n, tmp)
        labels = labels_of(text)
        rows = {"simlens": [], "umap-learn": []}
        extra = {"simlens": [], "umap-learn": []}
        for r in range(args.runs):
            out_csv = Path(tmp) / f"simlens_{n}.csv"
            c, mib = timed([args.simlens, "map", text, "--vectors", vec, "--method", "umap", "-o", out_csv], tmp)
            pts = read_csv_points(out_csv)
            assert len(pts) == len(labels), (len(pts), len(labels))
            assert c.rc == 0, c.stderr
            rows["simlens"].append((c.wall_s, mib, same_group_share(pts, labels)))
            if r == 0:
                high = knn_high(np.load(vec))
            extra["simlens"].append((knn_preservation(pts, high), nn_over_extent(pts)))
            del pts
            log(f"n={n} run {r + 1}: simlens {c.wall_s:.1f} s, {mib:.0f} MiB, share {rows['simlens'][-1][2]:.3f}")
            if n <= args.peer_max:
                out_npy = Path(tmp) / f"peer_{n}.npy"
                c, mib = timed([sys.executable, HERE / "peer_umap.py", vec, out_npy], tmp)
                pts = np.load(out_npy)
                rows["umap-learn"].append((c.wall_s, mib, same_group_share(pts, labels)))
                extra["umap-learn"].append((knn_preservation(pts, high), nn_over_extent(pts)))
                del pts
                log(f"n={n} run {r + 1}: umap-learn {c.wall_s:.1f} s, {mib:.0f} MiB, share {rows['umap-learn'][-1][2]:.3f}")
        # Counted after the timed runs: this process's memory must not grow before them.
        distinct = len(np.unique(np.load(vec), axis=0))
        med = {k: [statistics.median(x[i] for x in v) for i in range(3)] if v else None for k, v in rows.items()}
        del high
        emed = {k: [statistics.median(x[i] for x in v) for i in range(2)] if v else None for k, v in extra.items()}
        results.append({"n": n, "distinct": distinct, "runs": rows, "median": med, "extra": extra, "extra_median": emed})
    print(f"\nUMAP to 2-D, n_neighbors 15, min_dist 0.1, cosine; {m['cpu']}, {m['cores']} cores, {m['date']}")
    print(f"peer: umap-learn {vers['umap-learn']} (pynndescent {vers['pynndescent']}, numba {vers['numba']}); medians of {args.runs} runs, whole process\n")
    print("| points (distinct vectors) | simlens s | umap-learn s | time ratio | simlens peak MiB | umap-learn peak MiB | same-topic share of 10 nearest, simlens | umap-learn | difference |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for res in results:
        s, p = res["median"]["simlens"], res["median"]["umap-learn"]
        if p:
            print(f"| {res['n']:,} ({res['distinct']:,}) | {s[0]:.1f} | {p[0]:.1f} | {s[0] / p[0]:.2f} | {s[1]:.0f} | {p[1]:.0f} | {s[2]:.3f} | {p[2]:.3f} | {s[2] - p[2]:+.3f} |")
        else:
            print(f"| {res['n']:,} ({res['distinct']:,}) | {s[0]:.1f} | – | – | {s[1]:.0f} | – | {s[2]:.3f} | – | – |")
    print("\n| points | 10-NN preservation, simlens | umap-learn | difference | median NN distance / extent, simlens | umap-learn |")
    print("|--:|--:|--:|--:|--:|--:|")
    for res in results:
        s, p = res["extra_median"]["simlens"], res["extra_median"]["umap-learn"]
        if p:
            print(f"| {res['n']:,} | {s[0]:.3f} | {p[0]:.3f} | {s[0] - p[0]:+.3f} | {s[1]:.4f} | {p[1]:.4f} |")
        else:
            print(f"| {res['n']:,} | {s[0]:.3f} | – | – | {s[1]:.4f} | – |")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "versions": vers, "results": results}, indent=1))


def clusters(args, m, vers, tmp):
    """The --clusters mode: planted clusters, both tools, each --min-dists value."""
    g, size, d = args.cluster_count, args.cluster_size, args.dim
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((g, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(g), size)
    x = centres[labels] + args.noise * rng.standard_normal((g * size, d)) / np.sqrt(d)
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    vec, text = Path(tmp) / "clusters.npy", Path(tmp) / "clusters.txt"
    np.save(vec, x)
    text.write_text("".join(f"c{c} p{i}\n" for i, c in enumerate(labels)), encoding="utf-8")
    high = knn_high(x)
    rows = []
    for md in [float(v) for v in args.min_dists.split(",")]:
        got = {"simlens": [], "umap-learn": []}
        for r in range(args.runs):
            out_csv = Path(tmp) / "clusters.csv"
            c = bench.run([args.simlens, "map", text, "--vectors", vec, "--method", "umap", "--min-dist", md, "-o", out_csv], tmp)
            assert c.rc == 0, c.stderr
            pts = read_csv_points(out_csv)
            got["simlens"].append((*cluster_figures(pts, labels), knn_preservation(pts, high), c.wall_s))
            out_npy = Path(tmp) / "clusters_peer.npy"
            c = bench.run([sys.executable, HERE / "peer_umap.py", vec, out_npy, "--min-dist", md], tmp)
            assert c.rc == 0, c.stderr
            pts = np.load(out_npy)
            got["umap-learn"].append((*cluster_figures(pts, labels), knn_preservation(pts, high), c.wall_s))
            for k, v in got.items():
                rad, cen, pres, wall = v[-1]
                log(f"min_dist {md} run {r + 1}: {k} radius {rad:.4f}, nearest centroid {cen:.3f}, ratio {rad / cen:.4f}, 10-NN {pres:.3f}, {wall:.1f} s")
        med = {k: [statistics.median(x[i] for x in v) for i in range(4)] for k, v in got.items()}
        ratio = {k: statistics.median(x[0] / x[1] for x in v) for k, v in got.items()}
        rows.append((md, med, ratio))
    print(f"\nUMAP of {g} Gaussian clusters x {size:,} in {d}-d (offset norm {args.noise}, unit-normalised, seed {args.seed}), n_neighbors 15, cosine")
    print(f"{m['cpu']}, {m['cores']} cores, {m['date']}; umap-learn {vers['umap-learn']}; medians of {args.runs} runs\n")
    print("| min_dist | simlens radius | nearest centroid | ratio | umap-learn radius | nearest centroid | ratio | simlens/umap-learn ratio | 10-NN simlens | 10-NN umap-learn |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for md, med, ratio in rows:
        s, p = med["simlens"], med["umap-learn"]
        rs, rp = ratio["simlens"], ratio["umap-learn"]
        print(f"| {md:g} | {s[0]:.4f} | {s[1]:.3f} | {rs:.4f} | {p[0]:.4f} | {p[1]:.3f} | {rp:.4f} | {rs / rp:.2f} | {s[2]:.3f} | {p[2]:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "versions": vers, "clusters": [
            {"min_dist": md, "median": med, "ratio": ratio} for md, med, ratio in rows]}, indent=1))


if __name__ == "__main__":
    main()
