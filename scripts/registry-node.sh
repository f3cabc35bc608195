#!/usr/bin/env bash
# Prints the path of a Node.js binary of exactly VERSION, installing it first from the npm registry's
# `node` package (which ships the binaries) into a cache directory when it is not there yet.
#   usage: scripts/registry-node.sh 22.22.2
# Cache: $CONDUIT_NODE_CACHE, else ~/.cache/conduit-node. Safe to run concurrently: each install goes
# to a private directory first and is renamed into place.
set -euo pipefail
version="${1:?usage: registry-node.sh VERSION}"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "registry-node.sh: VERSION must be exact (e.g. 22.22.2), got '$version'" >&2
  exit 2
fi
cache="${CONDUIT_NODE_CACHE:-${HOME:-/tmp}/.cache/conduit-node}"
target="$cache/node-$version"
bin="$target/node_modules/node/bin/node"

if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == "v$version" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
staging="$(mktemp -d "$cache/.staging-$version-XXXXXX")"
trap 'rm -rf "$staging"' EXIT
npm install --prefix "$staging" --no-audit --no-fund --no-save --loglevel=error "node@$version" </dev/null >&2
got="$("$staging/node_modules/node/bin/node" --version)"
if [[ "$got" != "v$version" ]]; then
  echo "registry-node.sh: installed node reports $got, expected v$version" >&2
  exit 1
fi
rm -rf "$target.old"
if ! mv -T "$staging" "$target" 2>/dev/null; then
  # Another run installed it first (or a broken copy is in the way): keep a working one.
  if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == "v$version" ]]; then
    echo "$bin"
    exit 0
  fi
  mv -T "$target" "$target.old" && mv -T "$staging" "$target" && rm -rf "$target.old"
fi
trap - EXIT
echo "$bin"
