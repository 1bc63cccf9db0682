#!/usr/bin/env bash
# Benchmark 3: shard-map (validate + split + encode) throughput on a ~1 GB generated CSV and its .gz,
# against `cat > /dev/null` and `gzip -dc > /dev/null`, the physical floors of reading those files.
# The CSV is encoded as the pipeline and `sslrec train` do it: 64 MB byte ranges, BENCH_THREADS at a
# time; the single-stream figure (one range, one thread) is printed too. A .gz file is one stream.
# Usage: bash bench/encode.sh [INTERACTIONS]   (default 21,000,000 rows ≈ 1 GB)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rows="${1:-21000000}"
bench_build
data="$work/large-$rows"
if [[ ! -f "$data/interactions.csv" ]]; then
  dotnet "$sslrec_bin" generate --out "$data" --interactions "$rows" --items 50000 --seed 3 >/dev/null
fi
[[ -f "$data/interactions.csv.gz" ]] || gzip -k -1 "$data/interactions.csv"
floor() { local start end; start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N); $py -c "print($end - $start)"; }
bytes=$(stat -c %s "$data/interactions.csv")
cat "$data/interactions.csv" > /dev/null  # warm the page cache like the measured runs
cat_s=$(floor cat "$data/interactions.csv")
gz_s=$(floor gzip -dc "$data/interactions.csv.gz")
mkdir -p "$work/gz" && cp "$data/schema.json" "$work/gz/"
dotnet "$bench_bin" encode --data "$data" --file "$data/interactions.csv" --threads "$threads" --json "$results/encode-csv.json" >/dev/null
dotnet "$bench_bin" encode --data "$data" --file "$data/interactions.csv" --threads 1 --shard-target-mb 0 --json "$results/encode-csv-single.json" >/dev/null
dotnet "$bench_bin" encode --data "$data" --file "$data/interactions.csv.gz" --json "$results/encode-gz.json" >/dev/null
csv_mbs=$(json_get "$results/encode-csv.json" mb_per_second)
gz_mbs=$($py -c "print($bytes / 1e6 / $(json_get "$results/encode-gz.json" seconds))")
cat_mbs=$($py -c "print($bytes / 1e6 / $cat_s)")
gzfloor_mbs=$($py -c "print($bytes / 1e6 / $gz_s)")
echo "csv: $csv_mbs MB/s, $(json_get "$results/encode-csv.json" rows_per_second) rows/s with $threads threads (cat floor $cat_mbs MB/s)"
echo "csv single stream: $(json_get "$results/encode-csv-single.json" mb_per_second) MB/s"
echo "gz:  $gz_mbs MB/s of uncompressed text (gzip -dc floor $gzfloor_mbs MB/s)"
echo "sslrec/cat encode csv throughput ratio: $(ratio "$csv_mbs" "$cat_mbs")"
echo "sslrec/gzip encode gz throughput ratio: $(ratio "$gz_mbs" "$gzfloor_mbs")"
