#!/usr/bin/env bash
# Reliability benchmark: the fault table. Real `sslrec host` / `sslrec train-worker` processes against an
# Azurite keeping its data on disk; each fault (kill -9, re-delivered messages, a repeated _READY, bad
# inputs, Azurite stopped and restarted) with its outcome, time to recover and what was lost.
# Usage: bash bench/faults.sh [--only round2|outages]    (the whole table: 20–40 minutes on 2 cores; round2: the host killed in each stage and a plain-JSON training message; outages: storage down 30 s and 3 min in each stage, ~30 minutes)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_build
[[ -f "$work/faults-data/schema.json" ]] || dotnet "$sslrec_bin" generate --out "$work/faults-data" --interactions 60000 --items 2000 --seed 1 >/dev/null
dotnet "$bench_bin" faults --sslrec "$sslrec_bin" --data "$work/faults-data" --work "$work/faults" --threads "$threads" --json "$results/faults.json" "$@"
