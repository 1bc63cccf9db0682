#!/usr/bin/env bash
# README command 1: the main job on a fresh machine. Generates a small synthetic dataset and trains
# the SSL two-tower model on it (CFM, the paper's method), then prints Recall@K for all/head/tail.
# Output lands in .demo/ (ignored by git). Extra arguments go to `sslrec train`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
dotnet build src/SslRec.Cli -c Release --nologo -v quiet
sslrec() { dotnet run --no-build --project src/SslRec.Cli -c Release -- "$@"; }
sslrec generate --out .demo/data --seed 1
sslrec train --data .demo/data --out .demo/run --ssl cfm "$@"
