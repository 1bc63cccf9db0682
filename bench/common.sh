# Shared by the bench/*.sh drivers: installs prerequisites, builds the bench driver, and helpers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${BENCH_WORK:-/tmp/sslrec-bench}"
results="$root/bench/results"
mkdir -p "$work" "$results"
threads="${BENCH_THREADS:-$(nproc)}"
# Debian's interpreter: python3-torch, python3-faiss and python3-numpy are installed for it, not for other pythons on PATH.
py=/usr/bin/python3

need_apt() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if ((${#missing[@]})); then
    echo "bench: installing ${missing[*]} (apt)" >&2
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
  fi
}

bench_build() {
  bash "$root/scripts/bootstrap.sh" >/dev/null
  dotnet build "$root/bench/SslRec.Bench" -c Release --nologo -v quiet >/dev/null
  bench_bin="$root/bench/SslRec.Bench/bin/Release/net10.0/SslRec.Bench.dll"
  sslrec_bin="$root/src/SslRec.Cli/bin/Release/net10.0/sslrec.dll"
  dotnet build "$root/src/SslRec.Cli" -c Release --nologo -v quiet >/dev/null
}

# json_get FILE KEY: a top-level number from a result file.
json_get() { $py -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
ratio() { $py -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
