#!/usr/bin/env bash
# README command 2: builds and runs the whole test suite (xunit) on a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
log=$(mktemp)
set +e
dotnet test SslRec.Functions.sln -c Release --nologo 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# One plain summary line for CI: "N passed, N failed, N skipped".
awk '/(Passed|Failed)!.*Total:/ { for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
       if ($i == "Passed:") p += $(i+1); if ($i == "Failed:") f += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$rc"
