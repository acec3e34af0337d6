#!/usr/bin/env bash
# Installs what the integration tests and screenshots need to run the extension inside a
# real VS Code server, offline: Debian's chromium, ripgrep and libkrb5-dev, then
# code-server@4.100.3 (the real VS Code 1.100 server) and playwright-core into .vscode-test/.
# Safe to run again: every step is skipped when its result is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.vscode-test"
CODE_SERVER_VERSION="4.100.3"
RIPGREP_PKG_VERSION="1.15.11"          # @vscode/ripgrep pulled in by code-server 4.100.3
RIPGREP_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
[ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "install-host: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

SERVER_MAIN="$CACHE/node_modules/code-server/lib/vscode/out/server-main.js"
if [ -f "$SERVER_MAIN" ] && [ -d "$CACHE/node_modules/playwright-core" ]; then
  echo "install-host: code-server $CODE_SERVER_VERSION already in $CACHE"
  exit 0
fi

mkdir -p "$CACHE"
# @vscode/ripgrep downloads rg at postinstall, which cannot work offline: pre-seed its
# cache with Debian's rg under the asset name it looks for.
RG_TMP="${TMPDIR:-/tmp}"
RG_CACHE="$RG_TMP/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
mkdir -p "$RG_CACHE"
if [ ! -f "$RG_CACHE/$RIPGREP_ASSET" ]; then
  STAGE="$(mktemp -d)"
  cp "$(command -v rg)" "$STAGE/rg"
  tar -czf "$RG_CACHE/$RIPGREP_ASSET" -C "$STAGE" rg
  rm -rf "$STAGE"
fi

cd "$CACHE"
[ -f package.json ] || echo '{"name":"vscode-test-host","private":true}' > package.json
echo "install-host: npm install code-server@$CODE_SERVER_VERSION playwright-core@1 into $CACHE"
# yes=true: node-pty's build calls `npx node-gyp` and this machine's npm config says yes=false.
# --unsafe-perm: code-server's postinstall insists on it when run as root.
npm_config_yes=true npm install --no-audit --no-fund --unsafe-perm \
  "code-server@$CODE_SERVER_VERSION" "playwright-core@1"
test -f "$SERVER_MAIN" || { echo "install-host: $SERVER_MAIN missing after install" >&2; exit 1; }
echo "install-host: done"
