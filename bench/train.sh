#!/usr/bin/env bash
# Benchmark 1: training throughput, SslRec (TorchSharp) vs a PyTorch reference of the same model, losses
# and augmentations (bench/pytorch_train.py), same generated data, batch sizes and thread count.
# Usage: bash bench/train.sh [--ssl cfm|none]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ssl=cfm; [[ "${1:-}" == "--ssl" ]] && ssl="$2"
# OpenBLAS: without it Debian's PyTorch runs on the reference BLAS, an unfair (very slow) peer.
need_apt python3-torch python3-numpy libopenblas0-pthread
bench_build
[[ -f "$work/data/schema.json" ]] || dotnet "$sslrec_bin" generate --out "$work/data" --seed 1 >/dev/null
dotnet "$bench_bin" export --data "$work/data" --out "$work/export" >/dev/null
dotnet "$bench_bin" train --data "$work/data" --ssl "$ssl" --threads "$threads" --json "$results/train-sslrec-$ssl.json" >/dev/null
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $py "$root/bench/pytorch_train.py" "$work/export" --ssl "$ssl" --threads "$threads" --json "$results/train-pytorch-$ssl.json" >/dev/null
$py - "$results/train-sslrec-$ssl.json" "$results/train-pytorch-$ssl.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))
    b = r["breakdown_seconds"]; total = sum(b.values())
    print(f"{r['implementation']:<16} {r['examples_per_second']:>9,.0f} examples/s  " + "  ".join(f"{k} {100 * v / total:4.1f}%" for k, v in b.items()))
PY
echo "sslrec/pytorch train examples_per_second ratio: $(ratio "$(json_get "$results/train-sslrec-$ssl.json" examples_per_second)" "$(json_get "$results/train-pytorch-$ssl.json" examples_per_second)")"
