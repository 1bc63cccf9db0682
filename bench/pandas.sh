#!/usr/bin/env bash
# The map stage's encode (validate, split, encode every declared column into local ids with counts) against
# what a Python user would run instead on the same CSV: pandas.read_csv + factorize per column (multi-valued
# columns split and exploded). Both single-threaded, then SslRec with BENCH_THREADS as the pipeline runs it.
# Prints last: `sslrec/pandas encode throughput ratio (1 thread): X.XX`.
# Usage: bash bench/pandas.sh [INTERACTIONS]   (default 5,000,000 rows ≈ 250 MB)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rows="${1:-5000000}"
need_apt python3-pandas
bench_build
data="$work/pandas-$rows"
[[ -f "$data/interactions.csv" ]] || dotnet "$sslrec_bin" generate --out "$data" --interactions "$rows" --items 50000 --seed 3 >/dev/null
csv="$data/interactions.csv"
cat "$csv" > /dev/null  # page cache warm for both
$py "$root/bench/pandas_encode.py" "$data" "$csv" > "$results/pandas-encode.json"
dotnet "$bench_bin" encode --data "$data" --file "$csv" --threads 1 --shard-target-mb 0 --json "$results/pandas-sslrec-single.json" >/dev/null
dotnet "$bench_bin" encode --data "$data" --file "$csv" --threads "$threads" --json "$results/pandas-sslrec-threads.json" >/dev/null
pandas_rps=$(json_get "$results/pandas-encode.json" rows_per_second)
single_rps=$(json_get "$results/pandas-sslrec-single.json" rows_per_second)
echo "pandas read_csv + factorize: $(json_get "$results/pandas-encode.json" seconds) s, $pandas_rps rows/s"
echo "sslrec map encode, 1 thread: $(json_get "$results/pandas-sslrec-single.json" seconds) s, $single_rps rows/s"
echo "sslrec map encode, $threads threads: $(json_get "$results/pandas-sslrec-threads.json" seconds) s, $(json_get "$results/pandas-sslrec-threads.json" rows_per_second) rows/s"
echo "sslrec/pandas encode throughput ratio (1 thread): $(ratio "$single_rps" "$pandas_rps")"
