#!/usr/bin/env bash
# Install and start Debian's Docker engine, idempotently.
# Why the runtime wrapper: on hosts whose capability bounding set lacks CAP_SYS_RESOURCE,
# `docker run --privileged` (which kind needs) fails with "unable to apply caps".
# The wrapper strips that one capability from every OCI spec before calling runc.
set -euo pipefail
WRAPPER=/usr/local/bin/nph-runc
log() { printf '[engine] %s\n' "$*" >&2; }

need_pkgs=()
for p in docker.io containerd runc jq iptables; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# Capability bit 24 is CAP_SYS_RESOURCE.
capbnd=$(awk '/^CapBnd/{print $2}' /proc/self/status)
lacks_sys_resource=$(( (0x$capbnd >> 24 & 1) == 0 ))

if [ "$lacks_sys_resource" = 1 ]; then
  cat >"$WRAPPER.tmp" <<'WRAP'
#!/bin/sh
# netpol-harness runc wrapper: drop CAP_SYS_RESOURCE, which this host cannot grant.
bundle=""; procfile=""; prev=""
for a in "$@"; do
  case "$prev" in --bundle|-b) bundle=$a ;; --process|-p) procfile=$a ;; esac
  case "$a" in --bundle=*) bundle=${a#--bundle=} ;; --process=*) procfile=${a#--process=} ;; esac
  prev=$a
done
strip() { # $1 file, $2 jq path to the capabilities object
  [ -f "$1" ] || return 0
  jq "if $2 then $2 |= with_entries(.value |= (if type==\"array\" then map(select(. != \"CAP_SYS_RESOURCE\")) else . end)) else . end" "$1" >"$1.nph" && mv "$1.nph" "$1"
}
[ -n "$bundle" ] && strip "$bundle/config.json" '.process.capabilities'
[ -n "$procfile" ] && strip "$procfile" '.capabilities'
exec /usr/bin/runc "$@"
WRAP
  chmod 0755 "$WRAPPER.tmp"; mv "$WRAPPER.tmp" "$WRAPPER"
fi
mkdir -p /etc/docker
# Merge into the existing daemon.json (never replace a user's settings); touch nothing on hosts that
# do not need the wrapper.
if [ "$lacks_sys_resource" = 1 ]; then
  cur=$(cat /etc/docker/daemon.json 2>/dev/null || echo '{}')
  want=$(echo "$cur" | jq --arg w "$WRAPPER" '.runtimes["nph-runc"] = {path: $w} | ."default-runtime" = "nph-runc"')
  if [ "$(echo "$cur" | jq -cS . 2>/dev/null)" != "$(echo "$want" | jq -cS .)" ]; then
    [ -f /etc/docker/daemon.json ] && cp /etc/docker/daemon.json /etc/docker/daemon.json.nph-backup
    echo "$want" >/etc/docker/daemon.json
    if pgrep -x dockerd >/dev/null; then log "daemon.json changed (backup: daemon.json.nph-backup): restarting dockerd"; pkill -x dockerd; sleep 3; fi
  fi
fi

# kind multi-node clusters need more inotify instances than the default 128.
sysctl -qw fs.inotify.max_user_instances=512 fs.inotify.max_user_watches=524288 || true

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: /var/log/nph-dockerd.log)"
  nohup dockerd >/var/log/nph-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi
docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/nph-dockerd.log"; exit 1; }
log "docker engine ready ($(docker version -f '{{.Server.Version}}'), default runtime $(docker info -f '{{.DefaultRuntime}}'))"
