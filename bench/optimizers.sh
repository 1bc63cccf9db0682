#!/usr/bin/env bash
# Quality of the embedding optimizers: Recall@50 (all, head, tail) of dense Adam over whole tables vs
# lazy Adam and row-wise Adagrad over the rows a step touched (tower layers: Adam in all), everything else
# at the defaults, 3 seeds each, on the demo data and on link-prediction data. Prints a table (mean and
# seed spread, max - min) and, last, each row-wise optimizer's difference to dense Adam:
# `embedding optimizers - dense Recall@50 (all): demo lazyadam +X.XXXX (seed spread Y.YYYY), …`.
# Usage: bash bench/optimizers.sh [SEEDS] [CONFIGS]
#   SEEDS default 1,2,3; CONFIGS default dense,lazyadam,rowwiseadagrad,rowwiseadagrad@0.003,rowwiseadagrad@0.03
#   (NAME@LR sets --embedding-lr; without it lazy Adam uses --lr, 0.003, and row-wise Adagrad 0.01)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
seeds="${1:-1,2,3}"
configs="${2:-dense,lazyadam,rowwiseadagrad,rowwiseadagrad@0.003,rowwiseadagrad@0.03}"
bench_build
out="$work/optimizers"
mkdir -p "$out"
sslrec() { dotnet "$sslrec_bin" "$@"; }
[[ -f "$out/demo/schema.json" ]] || sslrec generate --out "$out/demo" --seed 1 >/dev/null
[[ -f "$out/links/schema.json" ]] || sslrec generate --out "$out/links" --link-prediction --seed 1 >/dev/null
for data in demo links; do
  for seed in ${seeds//,/ }; do
    for config in ${configs//,/ }; do
      dir="$out/$data-$config-$seed"
      [[ -f "$dir/metrics.json" ]] && continue
      extra=(--embedding-optimizer "${config%%@*}")
      [[ $config == *@* ]] && extra+=(--embedding-lr "${config##*@}")
      echo "optimizers: $data $config seed $seed" >&2
      sslrec train --data "$out/$data" --out "$dir" --seed "$seed" --device cpu "${extra[@]}" > "$dir.log" 2>&1 || { cat "$dir.log" >&2; exit 1; }
    done
  done
done
$py - "$out" "$seeds" "$configs" "$results/optimizers.json" <<'PY'
import json, statistics, sys
out, seeds, configs, path = sys.argv[1], [int(s) for s in sys.argv[2].split(',')], sys.argv[3].split(','), sys.argv[4]
rows, summary = [], []
print("| data | embedding optimizer | R@50 all (seeds) | mean | spread | R@50 head mean (spread) | R@50 tail mean (spread) | examples/s |")
print("|---|---|---|---|---|---|---|---|")
for data in ["demo", "links"]:
    means = {}
    for config in configs:
        m = [json.load(open(f"{out}/{data}-{config}-{s}/metrics.json")) for s in seeds]
        r = {sl: [x["recall"][sl]["50"] for x in m] for sl in ["all", "head", "tail"]}
        speed = statistics.mean(x["examples_per_second"] for x in m)
        means[config] = (statistics.mean(r["all"]), max(r["all"]) - min(r["all"]))
        rows.append({"data": data, "config": config, "recall_at_50": r, "examples_per_second": speed})
        cell = lambda v: f"{statistics.mean(v):.4f} ({max(v) - min(v):.4f})"
        print(f"| {data} | {config} | " + " / ".join(f"{x:.4f}" for x in r["all"]) +
              f" | {means[config][0]:.4f} | {means[config][1]:.4f} | {cell(r['head'])} | {cell(r['tail'])} | {speed:,.0f} |")
    for config in configs:
        if config != "dense" and "dense" in means:
            spread = max(means["dense"][1], means[config][1])
            summary.append(f"{data} {config} {means[config][0] - means['dense'][0]:+.4f} (seed spread {spread:.4f})")
json.dump(rows, open(path, "w"), indent=2)
print("embedding optimizers - dense Recall@50 (all): " + ", ".join(summary))
PY
