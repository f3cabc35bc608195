#!/usr/bin/env bash
# Prints the path of the MCP Inspector's launcher (`@modelcontextprotocol/inspector`, pinned below),
# installing it first from the npm registry into a cache directory when it is not there yet. The
# Inspector needs Node.js >= 22.19 to run: start the printed script with scripts/registry-node.sh 22.
# Cache: $CONDUIT_NODE_CACHE, else ~/.cache/conduit-node. Safe to run concurrently.
set -euo pipefail
version="2.12.0"
cache="${CONDUIT_NODE_CACHE:-${HOME:-/tmp}/.cache/conduit-node}"
target="$cache/inspector-$version"
bin="$target/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
if [[ -f "$bin" ]]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
staging="$(mktemp -d "$cache/.staging-inspector-XXXXXX")"
trap 'rm -rf "$staging"' EXIT
npm install --prefix "$staging" --no-audit --no-fund --no-save --loglevel=error \
  "@modelcontextprotocol/inspector@$version" </dev/null >&2
test -f "$staging/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
if ! mv -T "$staging" "$target" 2>/dev/null; then
  test -f "$bin" || { echo "inspector.sh: could not install into $target" >&2; exit 1; }
fi
trap - EXIT
echo "$bin"
