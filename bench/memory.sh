#!/usr/bin/env bash
# Benchmark 4: peak RSS of the encode (shard-map) and train stages at 1x and 10x the interactions.
# Expected: encode flat (streaming), train growing only by the encoded arrays.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_build
for rows in 200000 2000000; do
  data="$work/mem-$rows"
  [[ -f "$data/schema.json" ]] || dotnet "$sslrec_bin" generate --out "$data" --interactions "$rows" --items 20000 --seed 4 >/dev/null
  enc=$( { /usr/bin/time -f "%M" dotnet "$bench_bin" encode --data "$data" --file "$data/interactions.csv" >/dev/null; } 2>&1 | tail -1)
  trn=$( { /usr/bin/time -f "%M" dotnet "$bench_bin" train --data "$data" --steps 5 --warmup 1 --threads "$threads" >/dev/null; } 2>&1 | tail -1)
  echo "$rows interactions: encode peak RSS $((enc / 1024)) MiB, train peak RSS $((trn / 1024)) MiB"
  echo "{\"interactions\": $rows, \"encode_peak_rss_kib\": $enc, \"train_peak_rss_kib\": $trn}" > "$results/memory-$rows.json"
done
e1=$(json_get "$results/memory-200000.json" encode_peak_rss_kib); e10=$(json_get "$results/memory-2000000.json" encode_peak_rss_kib)
echo "encode peak RSS 10x/1x ratio: $(ratio "$e10" "$e1")"
