#!/usr/bin/env python3
"""The peer for `simlens map --method umap`: umap-learn on the same vectors.

    python peer_umap.py VECTORS.npy OUT.npy [--neighbors 15] [--min-dist 0.1] [--seed N]

Reads an N x d float32 NPY, runs umap.UMAP(n_neighbors, min_dist, metric="cosine") to two
dimensions and writes the N x 2 layout as NPY. Without --seed umap-learn runs its
parallel code paths (the fast way people use it); with a seed it runs single-threaded
for reproducibility, as its documentation says.
"""

import argparse

import numpy as np
import umap


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vectors")
    ap.add_argument("out")
    ap.add_argument("--neighbors", type=int, default=15)
    ap.add_argument("--min-dist", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    x = np.load(args.vectors).astype(np.float32, copy=False)
    reducer = umap.UMAP(n_neighbors=args.neighbors, min_dist=args.min_dist, metric="cosine", n_components=2,
                        random_state=args.seed)
    y = reducer.fit_transform(x).astype(np.float32)
    np.save(args.out, y)


if __name__ == "__main__":
    main()
