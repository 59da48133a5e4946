"""The Python onnxruntime peer of simlens's embedding benchmark (`benches/bench.py`).

The pipeline a careful Python user would write with the same ONNX file: onnxruntime
(1.31) on the CPU with 2 intra-op threads and 1 inter-op thread, the `tokenizers`
library reading the model's `tokenizer.json` (truncation at 256 tokens), batches of 32
sentences sorted by token count and padded to the longest of each batch (pad id 0,
"[PAD]"), then mean pooling over the attention mask and L2 normalisation in numpy.

Modes (run with the interpreter of `.cache/bench-venv`, which `scripts/bench` makes):

    steady MODEL_DIR CORPUS PASSES [GRAPH]
                                     load, warm up on the first 64 lines, time PASSES full
                                     passes; print one JSON line
    once   MODEL_DIR CORPUS OUT.npy [GRAPH]
                                     load, embed every line once, save the N x 384 float32
                                     matrix (the caller times the whole process)
    lengths MODEL_DIR CORPUS         print a JSON list: the token count of each line
                                     (special tokens included, truncated at 256)

GRAPH, when given, is the .onnx file to run instead of MODEL_DIR/model.onnx (a quantized
copy); the tokenizer still comes from MODEL_DIR.

CORPUS has one sentence per line; blank lines are skipped, as simlens does.
"""
import json
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

MAX_LENGTH = 256
BATCH = 32
WARMUP_LINES = 64


def read_lines(path):
    # Same rule as the Rust side: split on '\n', drop a trailing '\r', skip blank lines.
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return [l.removesuffix("\r") for l in text.split("\n") if l.strip()]


def load_tokenizer(model_dir):
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    # The shipped file truncates at 128 and pads to a fixed 128: replace both.
    tok.enable_truncation(MAX_LENGTH)
    tok.no_padding()  # each batch is padded to its own longest row below
    return tok


class Pipeline:
    def __init__(self, model_dir, graph=None):
        self.tok = load_tokenizer(model_dir)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        opts.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(graph or f"{model_dir}/model.onnx", opts, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.sess.get_inputs()}

    def embed(self, texts):
        enc = self.tok.encode_batch(texts)
        lengths = [len(e.ids) for e in enc]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        out = np.empty((len(texts), 384), dtype=np.float32)
        for b in range(0, len(order), BATCH):
            idx = order[b : b + BATCH]
            width = max(lengths[i] for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)  # pad id 0 = [PAD]
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                ids[r, : lengths[i]] = enc[i].ids
                mask[r, : lengths[i]] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.sess.run(["last_hidden_state"], feeds)[0]
            m = mask[..., None].astype(np.float32)
            v = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
            out[idx] = v
        return out


def steady(model_dir, corpus, passes, graph=None):
    lines = read_lines(corpus)
    start = time.perf_counter()
    p = Pipeline(model_dir, graph)
    load_s = time.perf_counter() - start
    tokens = sum(len(e.ids) for e in p.tok.encode_batch(lines))
    p.embed(lines[:WARMUP_LINES])
    times = []
    for _ in range(passes):
        t = time.perf_counter()
        e = p.embed(lines)
        times.append(time.perf_counter() - t)
        assert e.shape == (len(lines), 384)
    median = statistics.median(times)
    print(json.dumps({
        "pipeline": "python onnxruntime",
        "sentences": len(lines),
        "tokens": tokens,
        "load_s": round(load_s, 3),
        "times_s": [round(t, 3) for t in times],
        "median_s": round(median, 3),
        "sentences_per_s": round(len(lines) / median, 1),
        "tokens_per_s": round(tokens / median),
    }))


def once(model_dir, corpus, out, graph=None):
    lines = read_lines(corpus)
    np.save(out, Pipeline(model_dir, graph).embed(lines))


def lengths(model_dir, corpus):
    tok = load_tokenizer(model_dir)
    print(json.dumps([len(e.ids) for e in tok.encode_batch(read_lines(corpus))]))


def main(argv):
    usage = "usage: peer_onnxruntime.py steady MODEL_DIR CORPUS PASSES [GRAPH] | once MODEL_DIR CORPUS OUT.npy [GRAPH] | lengths MODEL_DIR CORPUS"
    if len(argv) < 3:
        sys.exit(usage)
    mode, model_dir, corpus, rest = argv[0], argv[1], argv[2], argv[3:]
    if mode == "steady" and len(rest) in (1, 2):
        steady(model_dir, corpus, int(rest[0]), *rest[1:])
    elif mode == "once" and len(rest) in (1, 2):
        once(model_dir, corpus, rest[0], *rest[1:])
    elif mode == "lengths" and not rest:
        lengths(model_dir, corpus)
    else:
        sys.exit(usage)


if __name__ == "__main__":
    main(sys.argv[1:])
