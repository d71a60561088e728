# Shared helpers for the air-gapped image build. Sourced, not run.
# Why: every step must be idempotent and cached so a warm rebuild takes seconds,
# and every step logs to its own file so a failure points at one log.
set -euo pipefail

: "${NPH_CACHE:=/var/cache/netpol-harness}"       # survives between sessions on the same machine
export NPH_CACHE
export W="$NPH_CACHE/build"
export LOGS="$NPH_CACHE/logs"
export STAMPS="$NPH_CACHE/stamps"
mkdir -p "$W/bin" "$W/out" "$W/rootfs" "$W/img" "$W/src" "$LOGS" "$STAMPS"

# Pinned versions. The image tags below are the public names the real world uses,
# so manifests and kind configs need no edits.
export KIND_V=v0.32.0
export K8S_V=v1.34.4
export ETCD_V=v3.6.5
export CRICTL_V=v1.34.0
export KUBE_ROUTER_V=v2.10.0
# kube-router v2.10.0 pins a netlink pseudo-version the module proxy here does not serve; v1.3.1 builds and runs.
export KUBE_ROUTER_REPLACE="github.com/vishvananda/netlink=github.com/vishvananda/netlink@v1.3.1"
export CAL_V=v3.32.1
export GOTOOLCHAIN=auto
export GOFLAGS=-buildvcs=false

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# run_step NAME KEY FUNC: runs FUNC once per KEY (a string of the step's inputs),
# logging to $LOGS/NAME.log; a stamp records success so a re-run skips it.
# FUNC runs in a subshell with `set -e` in force: any failing command fails the step. (Run as an
# `if` condition or in a `||` list, bash ignores `set -e` inside it, even when set again there, so
# the subshell runs as a plain command with errexit lifted in this shell only while it runs.)
run_step() {
  local name=$1 key=$2 fn=$3
  local stamp="$STAMPS/$name.$(printf %s "$key" | sha256sum | cut -c1-16)"
  if [ -e "$stamp" ]; then log "skip $name (cached)"; return 0; fi
  log "step $name ... (log: $LOGS/$name.log)"
  local t0=$SECONDS rc had_e=0
  case $- in *e*) had_e=1 ;; esac
  set +e
  ( set -eo pipefail; "$fn" ) >"$LOGS/$name.log" 2>&1
  rc=$?
  if [ "$had_e" = 1 ]; then set -e; fi
  if [ "$rc" = 0 ]; then
    echo "$((SECONDS - t0))s" >"$stamp"
    log "done $name in $((SECONDS - t0))s"
  else
    log "FAILED $name (exit $rc) after $((SECONDS - t0))s; last lines of $LOGS/$name.log:"
    tail -n 25 "$LOGS/$name.log" >&2
    return 1
  fi
}

# Some module versions are served by the proxy but unknown to the checksum database (404 on lookup).
# Retry such a command once without the checksum database, and say so in the log.
go_sumdb_fallback() {
  "$@" && return 0
  echo "[go] retrying without the checksum database: $*" >&2
  GOSUMDB=off "$@"
}

# Build a package from a module at an exact version inside a throw-away wrapper module.
# Why not `go install pkg@version`: it also reads the module's version list (for deprecation
# notices), which some proxies refuse; `go get` of an exact version does not need it.
go_build_pkg() { # module version package output [ldflags] [replacements: "mod=mod@ver ..."]
  local mod=$1 ver=$2 pkg=$3 out=$4 ld=${5:--s -w} repl=${6:-} r
  local src; src="$W/src/wrap-$(echo "$mod" | tr '/' '_')-$ver"
  rm -rf "$src"; mkdir -p "$src"
  ( cd "$src" && go mod init local/wrap >/dev/null 2>&1 &&
    go_sumdb_fallback go get "$mod@$ver" &&
    for r in $repl; do go mod edit -replace="$r"; done &&
    CGO_ENABLED=0 go_sumdb_fallback go build -mod=mod -trimpath -ldflags "$ld" -o "$out" "$pkg" )
}

# A stamp only counts while the image it produced is still in the engine (its storage can be wiped).
require_image() { # step image...
  local step=$1 img; shift
  for img in "$@"; do
    docker image inspect "$img" >/dev/null 2>&1 || { rm -f "$STAMPS/$step".*; return 0; }
  done
}

moddir() { (cd /tmp && go mod download -json "$1" | jq -r .Dir); }
