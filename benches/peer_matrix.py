"""The numpy peer for `benches/matrix.rs`: `E @ E.T` for N unit vectors of 384 floats
(float32, OpenBLAS, 2 threads). Prints one JSON line."""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
passes = int(sys.argv[2]) if len(sys.argv) > 2 else 3
rng = np.random.default_rng(0)
e = rng.uniform(-1, 1, (n, 384)).astype(np.float32)
e /= np.linalg.norm(e, axis=1, keepdims=True)
_ = e[:512] @ e[:512].T
times = []
m = None
for _ in range(passes):
    m = None  # free the previous result first, as the Rust side does
    t = time.perf_counter()
    m = e @ e.T
    times.append(time.perf_counter() - t)
times.sort()
cfg = np.show_config(mode="dicts") if "mode" in np.show_config.__code__.co_varnames else {}
blas = cfg.get("Build Dependencies", {}).get("blas", {}).get("name", "?") if cfg else "?"
print(json.dumps({"pipeline": f"numpy {np.__version__} ({blas})", "n": n, "times_s": [round(t, 4) for t in times], "median_s": round(times[len(times) // 2], 4)}))
