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
  own topic (exact, with scipy's cKDTree), averaged over the points.

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
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = tempfile.mkdtemp(prefix="simlens-bench-map-")
    m = bench.machine(args)
    import umap  # noqa: F401  (its version below)
    import importlib.metadata as md
    vers = {p: md.version(p) for p in ("umap-learn", "pynndescent", "numba", "numpy", "scipy")}
    log(f"{m['cpu']}, {m['cores']} cores; {vers}")
    small, small_vec = corpus(args, 2000, tmp)
    log("warming umap-learn's numba cache")
    bench.run([sys.executable, HERE / "peer_umap.py", small_vec, Path(tmp) / "warm.npy"], tmp)
    results = []
    for n in sizes:
        text, vec = corpus(args, n, tmp)
        labels = labels_of(text)
        rows = {"simlens": [], "umap-learn": []}
        for r in range(args.runs):
            out_csv = Path(tmp) / f"simlens_{n}.csv"
            c, mib = timed([args.simlens, "map", text, "--vectors", vec, "--method", "umap", "-o", out_csv], tmp)
            pts = read_csv_points(out_csv)
            assert len(pts) == len(labels), (len(pts), len(labels))
            rows["simlens"].append((c.wall_s, mib, same_group_share(pts, labels)))
            del pts
            log(f"n={n} run {r + 1}: simlens {c.wall_s:.1f} s, {mib:.0f} MiB, share {rows['simlens'][-1][2]:.3f}")
            if n <= args.peer_max:
                out_npy = Path(tmp) / f"peer_{n}.npy"
                c, mib = timed([sys.executable, HERE / "peer_umap.py", vec, out_npy], tmp)
                pts = np.load(out_npy)
                rows["umap-learn"].append((c.wall_s, mib, same_group_share(pts, labels)))
                del pts
                log(f"n={n} run {r + 1}: umap-learn {c.wall_s:.1f} s, {mib:.0f} MiB, share {rows['umap-learn'][-1][2]:.3f}")
        # Counted after the timed runs: this process's memory must not grow before them.
        distinct = len(np.unique(np.load(vec), axis=0))
        med = {k: [statistics.median(x[i] for x in v) for i in range(3)] if v else None for k, v in rows.items()}
        results.append({"n": n, "distinct": distinct, "runs": rows, "median": med})
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
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "versions": vers, "results": results}, indent=1))


if __name__ == "__main__":
    main()
