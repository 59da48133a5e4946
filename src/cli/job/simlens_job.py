"""simlens's embedding pipeline, for Ray Data and Spark.

Written by `simlens export-job`. The model files and `pipeline.json` sit beside this module;
the pipeline is the one `simlens embed` runs: the model's `tokenizer.json` (truncated at the
model's maximum length, no padding), batches sorted by length and padded to their longest
row with id 0, ONNX Runtime on the CPU, pooling (mean over the attention mask, the first
token, or the graph's pooled output) and L2 normalisation. Its vectors equal simlens's
within 1e-5; `simlens verify --vectors OUT` checks a sample.

    from simlens_job import SimlensEmbedder
    embedder = SimlensEmbedder()                 # finds its files beside this module
    batch = embedder({"text": np.array(["I like my phone", "How old are you?"])})
    batch["embedding"]                           # float32, one row per sentence

Ray Data (each worker builds one SimlensEmbedder):

    ds = ray.data.read_parquet("sentences.parquet")          # a `text` column
    ds = ds.map_batches(SimlensEmbedder, concurrency=4, batch_size=256)
    ds.write_parquet("embedded/")

Spark:

    df.withColumn("embedding", spark_udf()("text")).write.parquet("embedded/")

Or run this file: `python simlens_job.py ray IN OUT` / `spark-submit simlens_job.py spark IN OUT`
(IN: Parquet with a `text` column, or a text file with one sentence per line).
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


class SimlensEmbedder:
    """Embeds batches of sentences as `simlens embed` does. Callable on a Ray Data batch."""

    def __init__(self, folder=None, threads=None, batch_size=None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder) if folder else HERE
        self.config = json.loads((folder / "pipeline.json").read_text(encoding="utf-8"))
        c = self.config
        tok = Tokenizer.from_file(str(folder / c["tokenizer"]))
        t = c["truncation"]
        tok.enable_truncation(c["max_length"], stride=t["stride"], strategy=t["strategy"], direction=t["direction"])
        tok.no_padding()
        self.tokenizer = tok
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads or os.environ.get("SIMLENS_JOB_THREADS", 0) or 0)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        self.session = ort.InferenceSession(str(folder / c["graph"]), opts, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.batch_size = int(batch_size or c["batch_size"])
        self.max_batch_tokens = int(c["max_batch_tokens"])
        self.pooling = c["pooling"]
        self.output = c["pooled_output"] if self.pooling == "pooled" else c["sequence_output"]
        self.dim = int(c["dim"])

    def embed(self, texts):
        """An (n, dim) float32 array: one L2-normalised row per text, in the input's order."""
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = self.tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encoded]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order):
                rows, longest = end - start + 1, lengths[order[end]]
                if rows > self.batch_size or rows * longest > self.max_batch_tokens:
                    break
                end += 1
            idx = order[start:end]
            width = max(lengths[i] for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                e = encoded[i]
                ids[r, : lengths[i]] = e.ids
                mask[r, : lengths[i]] = e.attention_mask
                types[r, : lengths[i]] = e.type_ids
            feeds = {"input_ids": ids}
            if "attention_mask" in self.inputs:
                feeds["attention_mask"] = mask
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = types
            result = self.session.run([self.output], feeds)[0]
            if self.pooling == "mean":
                m = mask[..., None].astype(np.float32)
                v = (result * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            elif self.pooling == "cls":
                v = result[:, 0, :]
            else:
                v = result
            v = v.astype(np.float32)
            norms = np.linalg.norm(v, axis=1, keepdims=True)
            v = v / np.where(norms > 0, norms, 1.0)
            out[idx] = v
            start = end
        return out

    def __call__(self, batch):
        """A Ray Data batch (a dict of numpy arrays with a `text` column) with an `embedding`
        column added: an (n, dim) float32 array."""
        out = dict(batch)
        out["embedding"] = self.embed(batch["text"])
        return out


def spark_udf(batch_size=256):
    """A pandas UDF for Spark (`pyspark.ml.functions.predict_batch_udf`): column of text in,
    array<float> out. Each executor builds one SimlensEmbedder."""
    from pyspark.ml.functions import predict_batch_udf
    from pyspark.sql.types import ArrayType, FloatType

    def make_predict_fn():
        embedder = SimlensEmbedder()

        def predict(texts):
            return embedder.embed(texts)

        return predict

    return predict_batch_udf(make_predict_fn, return_type=ArrayType(FloatType()), batch_size=batch_size)


def _run_ray(source, target):
    import ray

    ray.init(address=os.environ.get("RAY_ADDRESS") or None, ignore_reinit_error=True)
    if source.endswith(".parquet") or os.path.isdir(source):
        ds = ray.data.read_parquet(source)
    else:
        ds = ray.data.read_text(source).filter(lambda row: row["text"].strip() != "")
    workers = int(os.environ.get("SIMLENS_JOB_WORKERS", "1"))
    ds = ds.map_batches(SimlensEmbedder, concurrency=workers, batch_size=256)
    ds.write_parquet(target)


def _run_spark(source, target):
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("simlens-embed").getOrCreate()
    if source.endswith(".parquet") or os.path.isdir(source):
        df = spark.read.parquet(source)
    else:
        df = spark.read.text(source).withColumnRenamed("value", "text").where("trim(text) != ''")
    df.withColumn("embedding", spark_udf()("text")).write.mode("overwrite").parquet(target)
    spark.stop()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("ray", "spark"):
        sys.exit("usage: python simlens_job.py ray IN OUT | spark-submit simlens_job.py spark IN OUT")
    (_run_ray if sys.argv[1] == "ray" else _run_spark)(sys.argv[2], sys.argv[3])
