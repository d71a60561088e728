#!/usr/bin/env bash
# Installs kind from its release binary, verified against the .sha256sum published with the release
# (and against KIND_SHA256 when set), checked to report the version asked for; puts it first on PATH
# for later steps and exports NPH_KIND for the harness.
# Env: KIND_VERSION (e.g. v0.32.0), KIND_SHA256 (optional), KIND_BASE_URL (default: kind's download
#      site; tests point it at a file:// directory), RUNNER_TEMP (install root; default: a temp dir).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KIND_VERSION=${KIND_VERSION:-}
KIND_SHA256=${KIND_SHA256:-}
BASE=${KIND_BASE_URL:-https://kind.sigs.k8s.io/dl}
if [[ ! $KIND_VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  gh_error kind "kind-version '$KIND_VERSION' must look like v0.32.0"
  exit 2
fi
if [ -n "$KIND_SHA256" ] && [[ ! $KIND_SHA256 =~ ^[0-9a-f]{64}$ ]]; then
  gh_error kind "kind-sha256 must be 64 lowercase hex digits"
  exit 2
fi
case ${KIND_ARCH:-$(uname -m)} in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) gh_error kind "unsupported runner architecture $(uname -m)"; exit 1 ;;
esac

dir=${RUNNER_TEMP:-$(mktemp -d)}/kind-$KIND_VERSION
mkdir -p "$dir"
url=$BASE/$KIND_VERSION/kind-linux-$arch
fetch() { curl --fail --silent --show-error --location --retry 5 --retry-all-errors -o "$1" "$2"; }
fetch "$dir/kind" "$url"
fetch "$dir/kind.sha256sum" "$url.sha256sum"
published=$(awk 'NR == 1 { print $1 }' "$dir/kind.sha256sum")
if ! [[ $published =~ ^[0-9a-f]{64}$ ]]; then
  gh_error kind "$url.sha256sum does not hold a SHA-256 digest"
  exit 1
fi
if ! echo "$published  $dir/kind" | sha256sum --check --strict --status; then
  gh_error kind "$url does not match its published checksum $published"
  exit 1
fi
if [ -n "$KIND_SHA256" ] && [ "$KIND_SHA256" != "$published" ]; then
  gh_error kind "release checksum $published differs from the pinned kind-sha256 $KIND_SHA256"
  exit 1
fi
chmod 0755 "$dir/kind"
# Executable, and the version asked for (output: "kind v0.32.0 go1.x.y linux/amd64").
version=$("$dir/kind" version)
echo "$version"
if [[ $version != "kind $KIND_VERSION "* ]]; then
  gh_error kind "$dir/kind reports '$version', expected kind $KIND_VERSION"
  exit 1
fi
echo "$dir" >>"$GITHUB_PATH"
echo "NPH_KIND=$dir/kind" >>"$GITHUB_ENV"
output kind "$dir/kind"
