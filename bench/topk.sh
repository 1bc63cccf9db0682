#!/usr/bin/env bash
# Benchmark 2: exact full-corpus top-100 for 10k queries over 1M x 64 items, SslRec's evaluator vs faiss
# IndexFlatIP, same thread count. Usage: bash bench/topk.sh [ITEMS]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
items="${1:-1000000}"
need_apt python3-faiss python3-numpy
bench_build
dotnet "$bench_bin" topk --items "$items" --dim 64 --queries 10000 --k 100 --threads "$threads" --json "$results/topk-sslrec.json" >/dev/null
$py "$root/bench/faiss_topk.py" --items "$items" --dim 64 --queries 10000 --k 100 --threads "$threads" --json "$results/topk-faiss.json" >/dev/null
for f in sslrec faiss; do echo "$f: $(json_get "$results/topk-$f.json" queries_per_second) queries/s"; done
echo "sslrec/faiss topk queries_per_second ratio: $(ratio "$(json_get "$results/topk-sslrec.json" queries_per_second)" "$(json_get "$results/topk-faiss.json" queries_per_second)")"
