#!/usr/bin/env bash
# Makes TorchSharp 0.107.0's libLibTorchSharp.so load on systems whose libstdc++ predates GCC 13
# (Debian 12 stops at GLIBCXX_3.4.30). The library references exactly one GCC 13 symbol,
# std::ios_base_library_init() @ GLIBCXX_3.4.32. We (1) mark that version requirement weak,
# (2) build a tiny libstdcxx-compat.so that defines the symbol, and (3) add it as a NEEDED
# library of libLibTorchSharp.so with rpath $ORIGIN. Only the copy in a build output folder is
# touched, never the NuGet cache. Systems with a new enough libstdc++ skip all of this.
#
# usage: torchsharp-compat.sh OUTPUT_DIR [OUTPUT_DIR...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [[ -n "$libstdcxx" ]] && grep -q GLIBCXX_3.4.32 "$libstdcxx"; then
  exit 0   # system libstdc++ is new enough
fi

ensure_patchelf() {
  command -v patchelf >/dev/null && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "torchsharp-compat: installing patchelf (apt-get)" >&2
    (apt-get install -y -qq patchelf >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq patchelf; }) >&2
  fi
  command -v patchelf >/dev/null || { echo "torchsharp-compat: patchelf is required: apt-get install patchelf" >&2; exit 1; }
}

for dir in "$@"; do
  while IFS= read -r lib; do
    libdir=$(dirname "$lib")
    if [[ ! -f "$libdir/libstdcxx-compat.so" ]]; then
      g++ -shared -fPIC -O2 -o "$libdir/libstdcxx-compat.so" "$here/stdcxx-compat.cpp"
    fi
    if readelf -d "$lib" | grep -q 'libstdcxx-compat.so'; then
      continue   # already patched
    fi
    ensure_patchelf
    python3 "$here/elf_weak_version.py" "$lib" GLIBCXX_3.4.32
    patchelf --add-needed libstdcxx-compat.so --set-rpath '$ORIGIN' "$lib"
    echo "torchsharp-compat: patched $lib" >&2
  done < <(find "$dir" -name libLibTorchSharp.so 2>/dev/null)
done
