#!/usr/bin/env bash
# Installs the tools some unit tests need, so that no test skips for a tool we could have installed:
# Chromium (the HTML report's page-script tests) and shellcheck (the action's scripts) from Debian,
# actionlint (the workflows) from the Go module proxy. Cached for later sessions: apt skips what is
# installed, and actionlint lands in $NPH_CACHE/tools/bin, where the tests look too (NPH_ACTIONLINT
# overrides). Without root or apt/go it says what it could not install and exits 1; .ci/run goes on.
set -euo pipefail
: "${NPH_CACHE:=/var/cache/netpol-harness}"
ACTIONLINT_V=v1.7.12
BIN="$NPH_CACHE/tools/bin"
mkdir -p "$BIN"
rc=0

have() { command -v "$1" >/dev/null 2>&1; }
missing=()
have chromium || have chromium-browser || missing+=(chromium)
have shellcheck || missing+=(shellcheck)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "installing from Debian: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may be stale on a fresh machine: update once, only when the install fails.
    apt-get install -y --no-install-recommends "${missing[@]}" >"$NPH_CACHE/tools/apt.log" 2>&1 \
      || { apt-get update >>"$NPH_CACHE/tools/apt.log" 2>&1 && apt-get install -y --no-install-recommends "${missing[@]}" >>"$NPH_CACHE/tools/apt.log" 2>&1; } \
      || { echo "apt-get could not install ${missing[*]} (see $NPH_CACHE/tools/apt.log)"; rc=1; }
  else
    echo "cannot install ${missing[*]}: needs root and apt-get (Debian: apt-get install -y ${missing[*]})"
    rc=1
  fi
fi

stamp="$BIN/.actionlint-$ACTIONLINT_V"
if [ ! -x "$BIN/actionlint" ] || [ ! -e "$stamp" ]; then
  if have go; then
    echo "installing actionlint $ACTIONLINT_V from the Go module proxy into $BIN"
    if GOBIN="$BIN" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_V" >"$NPH_CACHE/tools/actionlint.log" 2>&1; then
      rm -f "$BIN"/.actionlint-*
      touch "$stamp"
    else
      echo "go install actionlint failed (see $NPH_CACHE/tools/actionlint.log)"
      rc=1
    fi
  else
    echo "cannot install actionlint: no go on PATH (go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_V)"
    rc=1
  fi
fi
exit "$rc"
