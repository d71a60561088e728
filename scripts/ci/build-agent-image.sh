#!/usr/bin/env bash
# Build the harness's probe/workload image (netpol-harness/agent) on a CI runner or a workstation
# that has Go and a Docker engine, and print its tag on stdout.
#
# The image is not published to any registry: every run builds it locally, and `netpol-harness run`
# then loads it into the kind nodes itself (`kind load docker-image`). This is the light-weight
# counterpart of scripts/airgap/build-images.sh, which builds everything a cluster needs for hosts
# without registry access; this script builds only the agent image.
#
# Image contents (what images/agent/README.md asks for): /bin/nph-agent (static, CGO_ENABLED=0) as the
# entrypoint with `serve` as the default command, /tmp, a minimal /etc/passwd and /etc/group, and, when
# a statically linked busybox is found on the host (Debian/Ubuntu package busybox-static), busybox with
# a few applet links for poking around in a pod by hand. The harness itself only ever runs
# /bin/nph-agent, so the image is complete without busybox.
#
# Idempotent: the image carries a label with a hash of everything that went into it (images/agent/*,
# the Go version, the busybox binary); when the tag already exists with the same hash the build is
# skipped. --force rebuilds anyway.
#
# Usage: scripts/ci/build-agent-image.sh [--force] [--busybox auto|none|PATH]
# Env:   NPH_DOCKER  docker CLI to use (default: docker)
# Output: the image tag, e.g. netpol-harness/agent:0.1.0, as the only line on stdout (logs go to stderr):
#   NPH_AGENT_IMAGE=$(scripts/ci/build-agent-image.sh)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AGENT_DIR=$REPO/images/agent
DOCKER=${NPH_DOCKER:-docker}
LABEL_KEY=io.netpol-harness.agent.source
FORCE=0
BUSYBOX=auto

log() { printf 'build-agent-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    --force) FORCE=1; shift ;;
    --busybox) [ $# -ge 2 ] || die "--busybox needs a value (auto, none or a path)"; BUSYBOX=$2; shift 2 ;;
    --busybox=*) BUSYBOX=${1#--busybox=}; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

command -v go >/dev/null 2>&1 || die "go not found on PATH (CI: actions/setup-go with go-version-file: images/agent/go.mod)"
command -v "$DOCKER" >/dev/null 2>&1 || die "Docker CLI '$DOCKER' not found (install it, or set NPH_DOCKER)"
"$DOCKER" info >/dev/null 2>&1 || die "the Docker engine is not reachable through '$DOCKER' (is it running, and may this user use it?)"

IMAGE=$(tr -d '[:space:]' <"$AGENT_DIR/IMAGE")
VERSION=$(tr -d '[:space:]' <"$AGENT_DIR/VERSION")
if [ -z "$IMAGE" ] || [ -z "$VERSION" ]; then die "images/agent/IMAGE or images/agent/VERSION is empty"; fi
TAG=$IMAGE:$VERSION

# A statically linked busybox, or nothing: a dynamic one would not run in an image without libc.
is_static() { ! ldd "$1" >/dev/null 2>&1; }
case $BUSYBOX in
  none) BUSYBOX_BIN= ;;
  auto)
    BUSYBOX_BIN=$(command -v busybox 2>/dev/null || true)
    if [ -n "$BUSYBOX_BIN" ] && ! is_static "$BUSYBOX_BIN"; then
      log "busybox at $BUSYBOX_BIN is dynamically linked; leaving it out (install busybox-static to include one)"
      BUSYBOX_BIN=
    fi ;;
  *)
    [ -x "$BUSYBOX" ] || die "--busybox $BUSYBOX: not an executable file"
    is_static "$BUSYBOX" || die "--busybox $BUSYBOX: not statically linked"
    BUSYBOX_BIN=$BUSYBOX ;;
esac

# Everything that determines the image's content. The built binary is excluded: README.md asks that
# none be left in images/agent, and this script never writes one there.
GO_VERSION=$(go env GOVERSION)
SOURCE_HASH=$(
  {
    printf 'image %s\ngo %s\n' "$TAG" "$GO_VERSION"
    (cd "$AGENT_DIR" && find . -type f ! -name nph-agent -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    if [ -n "$BUSYBOX_BIN" ]; then sha256sum <"$BUSYBOX_BIN"; else echo 'busybox none'; fi
  } | sha256sum | cut -c1-32
)

if [ "$FORCE" = 0 ]; then
  have=$("$DOCKER" image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$TAG" 2>/dev/null || true)
  if [ "$have" = "$SOURCE_HASH" ]; then
    log "$TAG is up to date (source $SOURCE_HASH); nothing to do"
    echo "$TAG"
    exit 0
  fi
fi

WORK=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/nph-agent-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOTFS=$WORK/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp"
chmod 1777 "$ROOTFS/tmp"

log "building nph-agent $VERSION with $GO_VERSION"
(
  cd "$AGENT_DIR"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$ROOTFS/bin/nph-agent" .
)
is_static "$ROOTFS/bin/nph-agent" || die "nph-agent is not statically linked (was CGO_ENABLED=0 overridden?)"
got=$("$ROOTFS/bin/nph-agent" version)
[ "$got" = "nph-agent $VERSION" ] || die "nph-agent version printed '$got', expected 'nph-agent $VERSION'"

if [ -n "$BUSYBOX_BIN" ]; then
  log "adding busybox from $BUSYBOX_BIN"
  cp "$BUSYBOX_BIN" "$ROOTFS/bin/busybox"
  for applet in sh nc wget nslookup cat ls ps sleep timeout ip hostname; do ln -s busybox "$ROOTFS/bin/$applet"; done
else
  log "no static busybox: the image holds /bin/nph-agent only (all the harness needs)"
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"

# docker import from a tarball, as scripts/airgap/build-images.sh does: no base image to pull, and the
# tarball keeps root ownership and the modes set above (/tmp 1777).
log "importing $TAG"
tar -C "$ROOTFS" --numeric-owner --owner=0 --group=0 -c . |
  "$DOCKER" image import \
    --change 'ENV PATH=/bin' \
    --change 'ENTRYPOINT ["/bin/nph-agent"]' \
    --change 'CMD ["serve"]' \
    --change "LABEL $LABEL_KEY=$SOURCE_HASH" \
    --change "LABEL org.opencontainers.image.version=$VERSION" \
    - "$TAG" >/dev/null

# Smoke test: the image runs and is the version we just built.
got=$("$DOCKER" run --rm "$TAG" version)
[ "$got" = "nph-agent $VERSION" ] || die "docker run $TAG version printed '$got', expected 'nph-agent $VERSION'"
log "built $TAG ($("$DOCKER" image inspect --format '{{.Id}}' "$TAG"))"
echo "$TAG"
