#!/usr/bin/env python3
"""Generates a grouped corpus for the map benchmarks, deterministically.

    python3 benches/corpus/make_topics.py N OUT.txt [--topics K]

writes N sentences of 4 to 30 words in K topic groups (default 8), in the app's text
format: a `# topic` line starts each group. The sentences come from the same templates
and word lists as `make_corpus.py`, each drawn on its own topic, so the groups are the
ground truth a 2-D map should keep together. The same arguments always give the same
bytes. Template text repeats (a million draws give about 550,000 distinct sentences);
`--unique` draws again, and as a last resort numbers the sentence, until every line is
distinct. Pure standard library.
"""

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus as mc  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--topics", type=int, default=8)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--unique", action="store_true", help="every sentence distinct")
    args = ap.parse_args()
    names = mc.TOPIC_NAMES[: args.topics]
    gen = mc.Gen(args.seed)
    picker = random.Random(args.seed + 1)
    groups = {t: [] for t in names}
    seen = set()
    for k in range(args.n):
        t = picker.choice(names)
        s = gen.sentence_of(4, 30, mc.TOPICS[t])
        if args.unique:
            for _ in range(20):
                if s not in seen:
                    break
                s = gen.sentence_of(4, 30, mc.TOPICS[t])
            if s in seen:
                s = f"{s[:-1]}, case {k}{s[-1]}"
            seen.add(s)
        groups[t].append(s)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for t in names:
            f.write(f"# {t}\n")
            for s in groups[t]:
                f.write(s + "\n")
    tmp.replace(args.out)


if __name__ == "__main__":
    main()
