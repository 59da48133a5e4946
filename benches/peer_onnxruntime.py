"""The Python peer for `benches/throughput.rs`: onnxruntime 1.31 with the same ONNX file,
length-sorted batches of 32, mean pooling and L2 normalisation in numpy, 2 intra-op threads.

Run through `scripts/bench`, which makes the virtual environment. Prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

model_dir, corpus = sys.argv[1], sys.argv[2]
passes = int(sys.argv[3]) if len(sys.argv) > 3 else 3
lines = [l for l in open(corpus, encoding="utf-8").read().split("\n") if l.strip()]

start = time.perf_counter()
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
tok.enable_truncation(256)
tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest of each batch
opts = ort.SessionOptions()
opts.intra_op_num_threads = 2
sess = ort.InferenceSession(f"{model_dir}/model.onnx", opts, providers=["CPUExecutionProvider"])
load_s = time.perf_counter() - start
tokens = sum(len(tok.encode(l).ids) for l in lines)


def embed(texts):
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for b in range(0, len(order), 32):
        idx = order[b : b + 32]
        enc = tok.encode_batch([texts[i] for i in idx])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        hidden = sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        m = mask[..., None].astype(np.float32)
        v = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        out[idx] = v
    return out


embed(lines[:64])
times = []
for _ in range(passes):
    t = time.perf_counter()
    e = embed(lines)
    times.append(time.perf_counter() - t)
times.sort()
median = times[len(times) // 2]
print(json.dumps({
    "pipeline": "python onnxruntime", "sentences": len(lines), "tokens": tokens, "load_s": round(load_s, 3),
    "median_s": round(median, 3), "sentences_per_s": round(len(lines) / median, 1), "tokens_per_s": round(tokens / median),
}))
