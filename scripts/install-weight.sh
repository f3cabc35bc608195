#!/usr/bin/env bash
# Measures what a memory-only install of the package weighs: `npm pack` of this checkout (build it
# first: `npm run build`), installed from the tarball into a fresh empty project with no optional
# and no peer dependencies (no Redis client, no OpenTelemetry SDK, no demo MCP client), the way the
# README's Install section describes `npm install conduit-mcp`.
#   usage: scripts/install-weight.sh [--keep]   (--keep leaves the temp project and prints its path)
# Prints disk usage (du, 1 KiB blocks), apparent size (bytes of file contents), in MB of 10^6 bytes,
# the number of installed packages, and the ten heaviest packages by disk usage.
# Dependencies come from the local npm cache when it has them (--prefer-offline).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
keep="${1:-}"
test -f "$root/dist/index.js" || { echo "install-weight.sh: dist/ is missing, run npm run build" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/conduit-weight-XXXXXX")"
if [[ "$keep" != "--keep" ]]; then trap 'rm -rf "$work"' EXIT; fi

tarball="$(cd "$root" && npm pack --ignore-scripts --silent --pack-destination "$work" | tail -n 1)"
mkdir -p "$work/app"
cd "$work/app"
printf '{"name":"app","private":true,"type":"module"}\n' >package.json
npm install --omit=optional --omit=peer --omit=dev --prefer-offline --ignore-scripts \
  --no-audit --no-fund --loglevel=error "../$tarball" </dev/null >/dev/null

nm="$work/app/node_modules"
# Every directory holding a package.json with a name directly under a node_modules folder (nested
# copies included), except npm's own .bin and lock bookkeeping.
packages="$(find "$nm" -name package.json -path '*node_modules/*' \
  | grep -E 'node_modules/(@[^/]+/)?[^/@.][^/]*/package\.json$' | wc -l)"
du_kib="$(du -sk "$nm" | cut -f1)"
apparent="$(du -sb "$nm" | cut -f1)"
tar_kib="$(( $(stat -c %s "$work/$tarball") / 1024 ))"
own_du="$(du -sk "$nm/conduit-mcp" | cut -f1)"
own_apparent="$(du -sb "$nm/conduit-mcp" | cut -f1)"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
echo "tarball:        $tarball ($tar_kib KiB)"
echo "memory-only:    $(mb $((du_kib * 1024))) MB du, $(mb "$apparent") MB apparent ($apparent bytes), $packages packages"
echo "conduit-mcp:    $(mb $((own_du * 1024))) MB du, $(mb "$own_apparent") MB apparent"
echo "heaviest (du):"
find "$nm" -mindepth 1 -maxdepth 2 -type d -path "$nm/*" ! -name '.bin' ! -name '.package-lock.json' \
  \( -path "$nm/@*/*" -o ! -path "$nm/@*" \) -print0 \
  | xargs -0 du -sk | sort -rn | head -n 10 \
  | while read -r kib dir; do printf '  %6s KiB  %s\n' "$kib" "${dir#"$nm"/}"; done
if [[ "$keep" == "--keep" ]]; then echo "kept:           $work/app"; fi
