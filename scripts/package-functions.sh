#!/usr/bin/env bash
# Publishes the Functions app and zips it for deployment:
#   az functionapp deployment source config-zip -g RG -n APP --src out/functions.zip
# (Flex Consumption: `az functionapp deployment source config-zip` uploads to the app's deployment container.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-out}
rm -rf "$out/functions"
dotnet publish src/SslRec.Functions -c Release -o "$out/functions" --nologo -v quiet
for f in host.json functions.metadata worker.config.json extensions.json; do
  [[ -f "$out/functions/$f" ]] || { echo "package-functions: $f missing from the publish output" >&2; exit 1; }
done
[[ -d "$out/functions/.azurefunctions" ]] || { echo "package-functions: .azurefunctions/ missing" >&2; exit 1; }
(cd "$out/functions" && rm -f ../functions.zip && python3 -c "import shutil; shutil.make_archive('../functions', 'zip', '.')")
echo "wrote $out/functions.zip ($(du -h "$out/functions.zip" | cut -f1))"
