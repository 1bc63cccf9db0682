#!/usr/bin/python3
"""faiss IndexFlatIP exact top-k search, for the side-by-side evaluation benchmark.
usage: faiss_topk.py --items 1000000 --dim 64 --queries 10000 --k 100 --threads 2 [--json OUT]"""
import argparse
import json
import time

import faiss
import numpy as np

p = argparse.ArgumentParser()
for name, default in (("items", 1_000_000), ("dim", 64), ("queries", 10_000), ("k", 100), ("threads", 2)):
    p.add_argument("--" + name, type=int, default=default)
p.add_argument("--json")
a = p.parse_args()
faiss.omp_set_num_threads(a.threads)
rng = np.random.default_rng(1)
items = rng.standard_normal((a.items, a.dim), dtype=np.float32)
queries = rng.standard_normal((a.queries, a.dim), dtype=np.float32)
index = faiss.IndexFlatIP(a.dim)
index.add(items)
index.search(queries[:256], a.k)  # warm-up
start = time.perf_counter()
scores, ids = index.search(queries, a.k)
seconds = time.perf_counter() - start
result = {"implementation": f"faiss {faiss.__version__} IndexFlatIP", "items": a.items, "dim": a.dim, "queries": a.queries,
          "k": a.k, "threads": a.threads, "seconds": seconds, "queries_per_second": a.queries / seconds}
print(json.dumps(result, indent=2))
if a.json:
    json.dump(result, open(a.json, "w"), indent=2)
