#!/usr/bin/env bash
# Quality of streaming training: Recall@50 of the shuffle-buffer trainer reading small example parts
# (--shard-target-mb 1, a buffer of a quarter of the data) against training on all examples shuffled at once,
# 3 seeds each, on the demo data and on link-prediction data. Prints a table and, last:
# `streaming - in-memory Recall@50: demo +X.XXXX (seed spread Y.YYYY), links +X.XXXX (seed spread Y.YYYY)`.
# Usage: bash bench/streaming.sh [SEEDS]   (default 1,2,3)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
seeds="${1:-1,2,3}"
bench_build
out="$work/streaming"
mkdir -p "$out"
sslrec() { dotnet "$sslrec_bin" "$@"; }
[[ -f "$out/demo/schema.json" ]] || sslrec generate --out "$out/demo" --seed 1 >/dev/null
[[ -f "$out/links/schema.json" ]] || sslrec generate --out "$out/links" --link-prediction --seed 1 >/dev/null
for data in demo links; do
  train_rows=$(( $(wc -l < "$out/$data/interactions.csv") * 9 / 10 ))
  for seed in ${seeds//,/ }; do
    for mode in memory streaming; do
      dir="$out/$data-$mode-$seed"
      [[ -f "$dir/metrics.json" ]] && continue
      extra=()
      [[ $mode == streaming ]] && extra=(--shard-target-mb 1 --shuffle-buffer $(( train_rows / 4 )))
      echo "streaming: $data $mode seed $seed" >&2
      sslrec train --data "$out/$data" --out "$dir" --seed "$seed" --device cpu "${extra[@]}" > "$dir.log" 2>&1 || { cat "$dir.log" >&2; exit 1; }
    done
  done
done
$py - "$out" "$seeds" "$results/streaming.json" <<'PY'
import json, statistics, sys
out, seeds, path = sys.argv[1], [int(s) for s in sys.argv[2].split(',')], sys.argv[3]
rows, summary = [], []
print("| data | mode | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | spread (max-min) |")
print("|---|---|" + "---|" * len(seeds) + "---|---|")
for data in ["demo", "links"]:
    means = {}
    for mode in ["memory", "streaming"]:
        r = [json.load(open(f"{out}/{data}-{mode}-{s}/metrics.json"))["recall"]["all"]["50"] for s in seeds]
        means[mode] = (statistics.mean(r), max(r) - min(r))
        rows.append({"data": data, "mode": mode, "recall_at_50": r})
        print(f"| {data} | {mode} | " + " | ".join(f"{x:.4f}" for x in r) + f" | {means[mode][0]:.4f} | {means[mode][1]:.4f} |")
    summary.append(f"{data} {means['streaming'][0] - means['memory'][0]:+.4f} (seed spread {max(means['memory'][1], means['streaming'][1]):.4f})")
json.dump(rows, open(path, "w"), indent=2)
print("streaming - in-memory Recall@50: " + ", ".join(summary))
PY
