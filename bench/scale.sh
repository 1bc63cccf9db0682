#!/usr/bin/env bash
# Scale benchmark: peak memory and time of each pipeline stage at two dataset sizes (1M users, 200k items;
# default 5M and 25M interactions), through `sslrec host --no-train` + `sslrec train-worker --max-steps 300`.
# Prints last: `scale 25M/5M peak RSS ratio (worst stage): X.XX`.
# Usage: bash bench/scale.sh [SIZES] [csv|parquet] [STEPS]   e.g. bash bench/scale.sh 1000000,5000000 parquet 30
#   (parquet: the same rows converted with `sslrec convert parquet`; 25M takes about 40 minutes on 2 cores)
# Vocabulary axis: bash bench/scale.sh vocabulary [csv|parquet] [STEPS] — 2M users / 200k items at 5M interactions
#   and 10M users / 1M items at 25M; prints last `vocabulary 10M/2M users peak RSS ratio (worst stage): X.XX`.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sizes="${1:-5000000,25000000}"
format="${2:-csv}"
steps="${3:-300}"
bench_build
if [[ "$sizes" == vocabulary ]]; then
  dotnet "$bench_bin" scale --axis vocabulary --sslrec "$sslrec_bin" --work "$work/scale" --format "$format" --steps "$steps" --threads "$threads" --json "$results/scale-vocabulary-$format.json"
  exit
fi
dotnet "$bench_bin" scale --sslrec "$sslrec_bin" --work "$work/scale" --sizes "$sizes" --format "$format" --steps "$steps" --threads "$threads" --json "$results/scale-$format.json"
