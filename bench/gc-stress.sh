#!/usr/bin/env bash
# Reliability benchmark: training under a thread that forces gen-0 GCs every millisecond (the condition
# in which unowned TorchSharp Scalars were freed mid-call), against the same training without it.
# Usage: bash bench/gc-stress.sh [--steps 3000]   (the CI test runs 600 steps per configuration)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
steps=3000; [[ "${1:-}" == "--steps" ]] && steps="$2"
bench_build
[[ -f "$work/gc-data/schema.json" ]] || dotnet "$sslrec_bin" generate --out "$work/gc-data" --interactions 60000 --items 2000 --seed 1 >/dev/null
dotnet "$bench_bin" gc-stress --data "$work/gc-data" --steps "$steps" --threads "$threads" --json "$results/gc-stress.json"
