#!/usr/bin/env python3
"""The peer of `simlens pairs`/`duplicates`: sentence-transformers'
util.paraphrase_mining_embeddings on the same vectors.

    peer_paraphrase.py VECTORS.npy THRESHOLD OUT.tsv [--top-k 100] [--max-pairs N]

Loads the vectors (float32, one row per sentence), mines with the library's defaults except
max_pairs (raised, so its own cap does not hide pairs), and writes the pairs at or above
THRESHOLD as `i<TAB>j` lines (i < j). Prints one JSON line with the counts.
"""

import argparse
import json

import numpy as np
import torch
from sentence_transformers import util


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vectors")
    ap.add_argument("threshold", type=float)
    ap.add_argument("out")
    ap.add_argument("--top-k", type=int, default=100)
    ap.add_argument("--max-pairs", type=int, default=10_000_000)
    args = ap.parse_args()
    emb = torch.from_numpy(np.load(args.vectors))
    pairs = util.paraphrase_mining_embeddings(emb, top_k=args.top_k, max_pairs=args.max_pairs)
    kept = 0
    with open(args.out, "w") as f:
        for score, i, j in pairs:
            if score >= args.threshold:
                a, b = min(i, j), max(i, j)
                f.write(f"{a}\t{b}\n")
                kept += 1
    print(json.dumps({"pairs": len(pairs), "at_or_above": kept, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
