#!/usr/bin/env bash
# Installs what building and running SslRec needs on a fresh Debian/Ubuntu machine, then restores
# NuGet packages. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v dotnet >/dev/null; then
  echo "bootstrap: the .NET 10 SDK is required (https://dot.net); dotnet was not found on PATH" >&2
  exit 1
fi

need_apt=()
command -v g++ >/dev/null || need_apt+=(g++)
command -v patchelf >/dev/null || need_apt+=(patchelf)   # TorchSharp compatibility step on Debian 12
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing ${need_apt[*]}" >&2
    apt-get install -y -qq "${need_apt[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null; }
  else
    echo "bootstrap: please install: ${need_apt[*]}" >&2
  fi
fi

# Azurite (the Azure Storage emulator) for the local pipeline and its tests, pinned, in .tools/azurite.
azurite_version=3.35.0
if [[ ! -x .tools/azurite/node_modules/.bin/azurite ]] || ! grep -q "\"version\": \"$azurite_version\"" .tools/azurite/node_modules/azurite/package.json 2>/dev/null; then
  command -v npm >/dev/null || { echo "bootstrap: npm (Node.js) is required to install Azurite" >&2; exit 1; }
  echo "bootstrap: installing azurite $azurite_version into .tools/azurite" >&2
  mkdir -p .tools/azurite
  npm install --prefix .tools/azurite --no-audit --no-fund --loglevel=error "azurite@$azurite_version" >/dev/null
fi

dotnet restore SslRec.Functions.sln --nologo -v quiet
