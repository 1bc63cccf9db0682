#!/usr/bin/env bash
# Reliability benchmark: training (and everything around it) under a thread that forces collections back
# to back — the condition in which TorchSharp objects left unreachable are freed mid-call — against the
# same work without it.
#   --gc gen0        (default) gen-0 collections every millisecond; 4 configurations × STEPS training steps
#   --gc compacting  full, blocking, compacting collections with the large-object heap compacted too (what
#                    LargeHeap.Compact does after a map, reduce or remap message in a host that also trains);
#                    4 configurations × STEPS steps, then CYCLES whole cycles of a training worker and the
#                    publish gate (train, evaluate, product-quantize, export, warm start, a query ranked,
#                    a DPQ run and its compact tables read back), each compared with a calm cycle, and
#                    EXPORTS repetitions of the work around training alone (decode, export, warm start,
#                    compact tables: where tensors were once left unowned). First the canary: the same
#                    pressure on a deliberately unowned temporary must crash, or this stress could not see
#                    the failure it looks for.
# Usage: bash bench/gc-stress.sh [--steps 3000] [--gc gen0|compacting] [--cycles 10] [--exports 200]
#   (the CI tests run 600 steps per configuration under gen-0 pressure, and one cycle under compacting pressure)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
steps=3000; gc=gen0; cycles=""; exports=""
while (($#)); do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --gc) gc="$2"; shift 2 ;;
    --cycles) cycles="$2"; shift 2 ;;
    --exports) exports="$2"; shift 2 ;;
    *) echo "usage: bash bench/gc-stress.sh [--steps N] [--gc gen0|compacting] [--cycles N] [--exports N]" >&2; exit 2 ;;
  esac
done
[[ -z "$cycles" ]] && { [[ "$gc" == compacting ]] && cycles=10 || cycles=0; }
[[ -z "$exports" ]] && { [[ "$gc" == compacting ]] && exports=200 || exports=0; }
bench_build
[[ -f "$work/gc-data/schema.json" ]] || dotnet "$sslrec_bin" generate --out "$work/gc-data" --interactions 60000 --items 2000 --seed 1 >/dev/null

if [[ "$gc" == compacting ]]; then
  start=$SECONDS
  # in a subshell with its stderr discarded: bash's own "Segmentation fault" line is expected here
  set +e; (dotnet "$bench_bin" gc-canary --seconds 60 >/dev/null 2>&1; exit $?) 2>/dev/null; canary=$?; set -e
  if ((canary >= 128)); then
    echo "canary: an unowned temporary under compacting collections crashed the process after $((SECONDS - start)) s (signal $((canary - 128))), as it must"
  else
    echo "canary: an unowned temporary survived 60 s of compacting collections (exit $canary): this stress may not see the failures it looks for" >&2
  fi
fi

set +e
dotnet "$bench_bin" gc-stress --data "$work/gc-data" --steps "$steps" --gc "$gc" --cycles "$cycles" --exports "$exports" --threads "$threads" --json "$results/gc-stress-$gc.json"
rc=$?
set -e
if ((rc >= 128)); then
  echo "gc-stress failures (native errors or differing outputs): the process died with signal $((rc - 128))"
fi
exit "$rc"
