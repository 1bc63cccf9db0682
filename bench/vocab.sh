#!/usr/bin/env bash
# Training throughput across vocabulary sizes: the same model, batch (1024 + 1024 SSL items, CFM) and
# threads on generated datasets that differ in users and items, for each embedding optimizer (dense Adam
# over whole tables, lazy Adam and row-wise Adagrad over the rows a step touched), with the step's phases
# and the optimizer state per table row. At 1M users it also runs the PyTorch reference with dense tables
# and with EmbeddingBag(sparse=True) + SparseAdam (what a PyTorch user runs for large vocabularies).
# Usage: bash bench/vocab.sh [SIZES] [OPTIMIZERS]
#   SIZES: users:items,… (default 10000:2000,100000:20000,1000000:200000,10000000:1000000)
#   OPTIMIZERS: default dense,lazyadam,rowwiseadagrad
# Each dataset has 2.5 interactions per user (10M users: 25M interactions, ~1.3 GB of CSV, ~6 GB of memory
# while read) and ids are kept from their first occurrence (min_count 1), so the user table holds about
# every user drawn. Check `free -g` before the 10M size. BENCH_DEVICE=cuda runs the SslRec side on a GPU.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sizes="${1:-10000:2000,100000:20000,1000000:200000,10000000:1000000}"
optimizers="${2:-dense,lazyadam,rowwiseadagrad}"
need_apt python3-torch python3-numpy libopenblas0-pthread
bench_build
for size in ${sizes//,/ }; do
  users=${size%%:*}; items=${size##*:}
  interactions=$((users * 5 / 2)); ((interactions < 60000)) && interactions=60000
  dir="$work/vocab-$users-$items"
  if [[ ! -f "$dir/schema.json" ]]; then
    dotnet "$sslrec_bin" generate --out "$dir" --users "$users" --items "$items" --interactions "$interactions" --seed 1 >/dev/null
    # ids seen once keep their own row (default min_count 2 would send most of them to the hashed buckets)
    $py - "$dir/schema.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for f in s["query"] + s["item"]:
    if f["name"] in ("user_id", "item_id"):
        f["min_count"] = 1
json.dump(s, open(sys.argv[1], "w"), indent=2)
PY
  fi
  # 300 timed steps: the first steps on a large table touch its pages and state for the first time, and
  # the example stream fills its next shuffle buffer in the background (measured at 10M users: lazy Adam
  # 30,600 examples/s over 60 steps, 44,100 over 300). Dense updates of large tables take seconds a step.
  dense_steps=300; ((users >= 1000000)) && dense_steps=20; ((users >= 10000000)) && dense_steps=4
  dotnet "$bench_bin" vocab --data "$dir" --embedding-optimizers "$optimizers" --threads "$threads" --steps 300 --warmup 20 --dense-steps "$dense_steps" --device "${BENCH_DEVICE:-cpu}" \
    --json "$results/vocab-$users.json"
  if ((users == 1000000)); then
    dotnet "$bench_bin" export --data "$dir" --out "$work/vocab-export-$users" >/dev/null
    for mode in dense sparse; do
      flag=(); [[ $mode == sparse ]] && flag=(--sparse)
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $py "$root/bench/pytorch_train.py" "$work/vocab-export-$users" --ssl cfm --threads "$threads" \
        --steps 20 --warmup 3 "${flag[@]}" --json "$results/vocab-pytorch-$mode-$users.json" >/dev/null
      echo "  pytorch $mode    $(json_get "$results/vocab-pytorch-$mode-$users.json" examples_per_second | xargs printf '%9.0f') examples/s"
    done
  fi
done
$py - "$results" "$sizes" <<'PY'
import json, os, sys
results, sizes = sys.argv[1], [s.split(":") for s in sys.argv[2].split(",")]
runs = {}
for users, _ in sizes:
    path = os.path.join(results, f"vocab-{users}.json")
    if os.path.exists(path):
        r = json.load(open(path))
        runs[users] = r
        for run in r["runs"]:
            print(f"{int(users):>10,} users {r['user_rows']:>10,} user rows {r['item_rows']:>9,} item rows  {run['embedding_optimizer']:<15}"
                  f" {run['examples_per_second']:>9,.0f} examples/s  optimizer {1000 * run['step_phase_seconds']['optimizer']:7.1f} ms/step")
first, last = sizes[0][0], sizes[-1][0]
if first in runs and last in runs:
    for name in [run["embedding_optimizer"] for run in runs[first]["runs"]]:
        a = next(r for r in runs[first]["runs"] if r["embedding_optimizer"] == name)
        b = next(r for r in runs[last]["runs"] if r["embedding_optimizer"] == name)
        print(f"vocab {int(last):,}/{int(first):,} users examples_per_second ratio ({name}): {b['examples_per_second'] / a['examples_per_second']:.2f}")
sparse = os.path.join(results, "vocab-pytorch-sparse-1000000.json")
if "1000000" in runs and os.path.exists(sparse):
    default = next((r for r in runs["1000000"]["runs"] if r["embedding_optimizer"] == "rowwiseadagrad"), None)  # the default
    if default:
        print(f"sslrec/pytorch-sparse examples/s ratio at 1M users: {default['examples_per_second'] / json.load(open(sparse))['examples_per_second']:.2f}")
PY
