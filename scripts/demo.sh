#!/usr/bin/env bash
# README command 1: the main job on a fresh machine. `sslrec demo` starts Azurite on 127.0.0.1 (unless
# one is running), generates a synthetic dataset, drops it into blob storage, runs every stage under the
# WebJobs queue-trigger host until the embeddings are published, and prints the evaluation table and
# the manifest. Extra arguments go to `sslrec demo` (see --help).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
dotnet build src/SslRec.Cli -c Release --nologo -v quiet
dotnet run --no-build --project src/SslRec.Cli -c Release -- demo "$@"
