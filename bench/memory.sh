#!/usr/bin/env bash
# Benchmark 4: peak RSS of the shard-map and train stages at 1x and 10x the interactions (2.1M and 21M
# rows, the latter the 1 GB file of encode.sh). The map stage runs one byte range (64 MB) per task, so
# its peak should stay flat; encoding a whole file in one process (as `sslrec train` does before
# training) and training grow with the encoded arrays.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_build
peak() { { /usr/bin/time -f "%M" "$@" >/dev/null; } 2>&1 | tail -1; }
for rows in 2100000 21000000; do
  data="$work/large-$rows"
  [[ -f "$data/schema.json" ]] || dotnet "$sslrec_bin" generate --out "$data" --interactions "$rows" --items 50000 --seed 3 >/dev/null
  map=$(peak dotnet "$bench_bin" encode --data "$data" --file "$data/interactions.csv" --threads 1 --shard-index 0)
  enc=$(peak dotnet "$bench_bin" encode --data "$data" --file "$data/interactions.csv" --threads "$threads")
  trn=$(peak dotnet "$bench_bin" train --data "$data" --steps 5 --warmup 1 --threads "$threads")
  echo "$rows interactions: map task peak RSS $((map / 1024)) MiB, whole-file encode $((enc / 1024)) MiB, train $((trn / 1024)) MiB"
  echo "{\"interactions\": $rows, \"map_task_peak_rss_kib\": $map, \"encode_peak_rss_kib\": $enc, \"train_peak_rss_kib\": $trn}" > "$results/memory-$rows.json"
done
m1=$(json_get "$results/memory-2100000.json" map_task_peak_rss_kib); m10=$(json_get "$results/memory-21000000.json" map_task_peak_rss_kib)
t1=$(json_get "$results/memory-2100000.json" train_peak_rss_kib); t10=$(json_get "$results/memory-21000000.json" train_peak_rss_kib)
echo "train peak RSS 10x/1x ratio: $(ratio "$t10" "$t1")"
echo "map task peak RSS 10x/1x ratio: $(ratio "$m10" "$m1")"
