#!/usr/bin/python3
"""PyTorch reference of SslRec's training step, for the side-by-side throughput benchmark.

Same model (per-feature EmbeddingBag mean pooling via per-sample weights, MLP 256 -> 64, L2 norm), same
losses (batch softmax with logQ correction and accidental-hit masking, InfoNCE), same augmentations
(correlated feature masking from the exported mutual information, feature dropout 0.2 on multi-valued
features), same batch sizes, optimiser (Adam 3e-3) and thread count, on the arrays `SslRec.Bench export`
wrote. Prints a JSON result with examples/s and the per-phase breakdown.
With --sparse, the tables are what a PyTorch user runs for large vocabularies: EmbeddingBag(sparse=True)
with torch.optim.SparseAdam, and Adam for the tower layers.
usage: pytorch_train.py EXPORT_DIR --steps 60 --warmup 10 --threads 2 [--ssl cfm|none] [--sparse] [--json OUT]
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("export")
p.add_argument("--steps", type=int, default=60)
p.add_argument("--warmup", type=int, default=10)
p.add_argument("--threads", type=int, default=os.cpu_count())
p.add_argument("--ssl", default="cfm")
p.add_argument("--sparse", action="store_true", help="sparse table gradients + SparseAdam (tower layers: Adam)")
p.add_argument("--json")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)
rng = np.random.default_rng(1)

meta = json.load(open(os.path.join(args.export, "meta.json")))
o = meta["options"]
dim, hidden, out_dim = o["EmbeddingDim"], o["Hidden"], o["OutputDim"]
batch, ssl_batch = o["BatchSize"], o["SslBatchSize"]
tau, ssl_tau, alpha, drop = o["Tau"], o["SslTau"], o["Alpha"], o["DropoutRate"]


def load(name, dtype=np.int32):
    return np.fromfile(os.path.join(args.export, name), dtype=dtype)


class Column:
    def __init__(self, prefix, f):
        self.multi = f["multi"]
        self.vocab = f["vocab"]
        base = f"{prefix}_{f['index']}"
        if self.multi:
            self.offsets = load(base + "_offsets.i32").astype(np.int64)
            self.values = load(base + "_values.i32").astype(np.int64)
        else:
            self.ids = load(base + "_ids.i32").astype(np.int64)

    def bags(self, rows, drop_rate=0.0):
        """(ids, offsets, weights) of the rows' bags; empty or fully dropped bags hold the missing id 0."""
        if not self.multi:
            return torch.from_numpy(self.ids[rows]), torch.arange(len(rows)), None
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        seg = np.repeat(np.arange(len(rows)), lengths)
        pos = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        vals = self.values[np.repeat(starts, lengths) + pos]
        if drop_rate > 0:
            keep = rng.random(total) >= drop_rate
            vals, seg = vals[keep], seg[keep]
        counts = np.bincount(seg, minlength=len(rows))
        empty = np.nonzero(counts == 0)[0]
        if len(empty):
            vals = np.concatenate([vals, np.zeros(len(empty), dtype=np.int64)])
            seg = np.concatenate([seg, empty])
            order = np.argsort(seg, kind="stable")
            vals, seg = vals[order], seg[order]
            counts = np.bincount(seg, minlength=len(rows))
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        weights = (1.0 / counts[seg]).astype(np.float32)
        return torch.from_numpy(vals), torch.from_numpy(offsets), torch.from_numpy(weights)


features = meta["features"]
query_cols = [Column("query", f) for f in features if f["table"] == "query"]
item_cols = [Column("item", f) for f in features if f["table"] == "item"]
train_item = load("train_item.i32").astype(np.int64)
counts = load("item_counts.i64", np.int64)
log_q = torch.from_numpy(np.log(np.maximum(counts, 1) / counts.sum()).astype(np.float32))
n_train, n_items = meta["train"], meta["items"]


class Tower(torch.nn.Module):
    def __init__(self, cols):
        super().__init__()
        self.bags = torch.nn.ModuleList()
        for c in cols:
            bag = torch.nn.EmbeddingBag(c.vocab, dim, mode="sum", sparse=args.sparse)
            torch.nn.init.normal_(bag.weight, 0, 1 / dim ** 0.5)
            self.bags.append(bag)
        layers, width = [], len(cols) * dim
        for h in hidden:
            layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
            width = h
        layers.append(torch.nn.Linear(width, out_dim))
        self.mlp = torch.nn.Sequential(*layers)

    def forward(self, inputs, masked=None):
        pooled = []
        for f, bag in enumerate(self.bags):
            if masked is not None and masked[f] and args.sparse:
                # the missing row through the bag itself, so that its gradient stays sparse
                zero = torch.zeros(1, dtype=torch.long)
                pooled.append(bag(zero, zero).expand(inputs[0], -1))
            elif masked is not None and masked[f]:
                pooled.append(bag.weight[0].unsqueeze(0).expand(inputs[0], -1))
            else:
                ids, offsets, weights = inputs[1][f]
                pooled.append(bag(ids, offsets, per_sample_weights=weights))
        return F.normalize(self.mlp(torch.cat(pooled, 1)), p=2, dim=1)


def batch_inputs(cols, rows, masked=None, drop_rate=0.0):
    return len(rows), [None if masked is not None and masked[f] else c.bags(rows, drop_rate if c.multi else 0.0) for f, c in enumerate(cols)]


def accidental(logits, ids):
    same = ids.unsqueeze(1).eq(ids.unsqueeze(0)) & ~torch.eye(len(ids), dtype=torch.bool)
    return logits.masked_fill(same, float("-inf"))


mi = np.array(meta["mutual_information"])
k = len(item_cols)
by_mi = [[j for j in sorted(range(k), key=lambda j: (-mi[s][j], j)) if j != s] for s in range(k)]


def cfm_masks():
    seed = int(rng.integers(k))
    v1 = np.zeros(k, dtype=bool)
    v1[[seed] + by_mi[seed][: k // 2 - 1]] = True
    return v1, ~v1


query_tower, item_tower = Tower(query_cols), Tower(item_cols)
params = list(query_tower.parameters()) + list(item_tower.parameters())
if args.sparse:
    tables = [b.weight for t in (query_tower, item_tower) for b in t.bags]
    optimizers = [torch.optim.SparseAdam(tables, lr=o["LearningRate"]),
                  torch.optim.Adam([q for q in params if all(q is not t for t in tables)], lr=o["LearningRate"])]
else:
    optimizers = [torch.optim.Adam(params, lr=o["LearningRate"])]
phases = {"data": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0}
order = rng.permutation(n_train)


def step(s, timed):
    t0 = time.perf_counter()
    start = (s * batch) % max(1, n_train - batch)
    rows = order[start:start + batch]
    items = train_item[rows]
    q_in = batch_inputs(query_cols, rows)
    x_in = batch_inputs(item_cols, items)
    ids = torch.from_numpy(items)
    if args.ssl != "none":
        ssl_items = rng.integers(0, n_items, ssl_batch)
        m1, m2 = cfm_masks()
        v1 = batch_inputs(item_cols, ssl_items, m1, drop)
        v2 = batch_inputs(item_cols, ssl_items, m2, drop)
        ssl_ids = torch.from_numpy(ssl_items)
    t1 = time.perf_counter()
    q, x = query_tower(q_in), item_tower(x_in)
    logits = accidental(q @ x.T / tau - log_q[ids].unsqueeze(0), ids)
    loss = F.cross_entropy(logits, torch.arange(len(rows)))
    if args.ssl != "none":
        z1, z2 = item_tower(v1, m1), item_tower(v2, m2)
        loss = loss + alpha * F.cross_entropy(accidental(z1 @ z2.T / ssl_tau, ssl_ids), torch.arange(ssl_batch))
    t2 = time.perf_counter()
    for opt in optimizers:
        opt.zero_grad()
    loss.backward()
    t3 = time.perf_counter()
    for opt in optimizers:
        opt.step()
    loss.item()
    t4 = time.perf_counter()
    if timed:
        for name, d in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            phases[name] += d
    return len(rows)


for s in range(args.warmup):
    step(s, False)
start = time.perf_counter()
examples = sum(step(args.warmup + s, True) for s in range(args.steps))
seconds = time.perf_counter() - start
result = {
    "implementation": f"pytorch {torch.__version__}" + (" sparse" if args.sparse else ""), "ssl": args.ssl, "threads": args.threads, "steps": args.steps,
    "batch_size": batch, "ssl_batch_size": ssl_batch, "examples_per_second": examples / seconds, "seconds": seconds,
    "breakdown_seconds": phases,
}
print(json.dumps(result, indent=2))
if args.json:
    json.dump(result, open(args.json, "w"), indent=2)
