#!/usr/bin/env bash
# Build, from Go modules and Debian packages only, every image a kind cluster needs here:
# the kind CLI, a kind node image (Kubernetes $K8S_V, bookworm/systemd, control-plane images
# preloaded), a NetworkPolicy-enforcing CNI (kube-router), and the harness's probe agent image.
# Idempotent: each step is stamped in $NPH_CACHE/stamps; a warm run takes seconds.
# Usage: scripts/airgap/build-images.sh [--force STEP]...
source "$(dirname "$0")/lib.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
while [ $# -gt 0 ]; do
  case $1 in --force) rm -f "$STAMPS/$2".*; shift 2 ;; *) echo "unknown argument $1" >&2; exit 2 ;; esac
done
T_START=$SECONDS
bash "$REPO/scripts/airgap/engine.sh"
for p in debootstrap jq busybox-static containernetworking-plugins gcc libc6-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || MISSING="${MISSING:-} $p"
done
[ -z "${MISSING:-}" ] || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $MISSING >/dev/null; }

# ---- 1. Go binaries -------------------------------------------------------------------------
tools() {
  GOBIN=$W/bin CGO_ENABLED=0 go install -trimpath -ldflags='-s -w' sigs.k8s.io/kind@$KIND_V
  go_build_pkg sigs.k8s.io/cri-tools $CRICTL_V sigs.k8s.io/cri-tools/cmd/crictl "$W/out/crictl"
  "$W/bin/kind" version; "$W/out/crictl" --version
}
run_step tools "$KIND_V $CRICTL_V" tools
bash "$REPO/scripts/airgap/build-k8s.sh"
IMAGES_TXT=$W/out/k8s-images.txt
ETCD_TAG=$(sed -n 's|.*/etcd:||p' "$IMAGES_TXT"); CDNS_TAG=$(sed -n 's|.*/coredns/coredns:||p' "$IMAGES_TXT")
PAUSE_TAG=$(sed -n 's|.*/pause:||p' "$IMAGES_TXT")

etcd_bin() {
  export CGO_ENABLED=0; local src=$W/src/etcd; rm -rf "$src"; mkdir -p "$src"; cd "$src"
  go mod init local/etcd-build
  go_sumdb_fallback go get go.etcd.io/etcd/server/v3@v${ETCD_TAG%-*}
  go build -mod=mod -trimpath -ldflags '-s -w' -o "$W/out/etcd" go.etcd.io/etcd/server/v3
  "$W/out/etcd" --version
}
run_step etcd "$ETCD_TAG" etcd_bin
coredns_bin() {
  go_build_pkg github.com/coredns/coredns $CDNS_TAG github.com/coredns/coredns "$W/out/coredns"
  "$W/out/coredns" -version
}
run_step coredns "$CDNS_TAG" coredns_bin
pause_bin() {
  local kdir; kdir=$(moddir k8s.io/kubernetes@$K8S_V)
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_TAG-nph" -o "$W/out/pause" "$kdir/build/pause/linux/pause.c"
  strip "$W/out/pause"
}
run_step pause "$PAUSE_TAG" pause_bin
kube_router_bin() {
  go_build_pkg github.com/cloudnativelabs/kube-router/v2 $KUBE_ROUTER_V github.com/cloudnativelabs/kube-router/v2/cmd/kube-router \
    "$W/out/kube-router" "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_V" \
    "$KUBE_ROUTER_REPLACE"
  "$W/out/kube-router" --version
}
run_step kube-router "$KUBE_ROUTER_V $KUBE_ROUTER_REPLACE" kube_router_bin

# ---- 2. Root filesystems ----------------------------------------------------------------------
MIRROR=${NPH_DEBIAN_MIRROR:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)}
[ -n "$MIRROR" ] || MIRROR=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
mkimg() { local tag=$1 dir=$2; shift 2; tar -C "$dir" --numeric-owner -c . | docker import "$@" - "$tag"; }
PATHENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

netbase() { # shared Debian layer for kube-proxy and kube-router
  local nb=$W/rootfs/netbase; rm -rf "$nb"
  debootstrap --variant=minbase --include=iptables,ipset,nftables,conntrack,iproute2,kmod,procps,ca-certificates bookworm "$nb" "$MIRROR"
  rm -rf "$nb"/var/lib/apt/lists/* "$nb"/var/cache/apt/* "$nb"/usr/share/{doc,man,locale}/*
  mkimg nph/netbase:bookworm "$nb" --change "$PATHENV"
}
require_image netbase nph/netbase:bookworm
run_step netbase "bookworm-1" netbase

node_base() { # kind node base: bookworm => systemd 252, which runs on cgroup v1 hosts
  local r=$W/rootfs/node kind_src; rm -rf "$r"; kind_src=$(moddir sigs.k8s.io/kind@$KIND_V)
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,curl,jq,procps,e2fsprogs,containerd,runc,containernetworking-plugins,socat,ebtables,ipset bookworm "$r" "$MIRROR"
  cp -r "$kind_src/images/base/files/." "$r/"; chmod -R u+w "$r/etc" "$r/kind" "$r/usr/local/bin"
  chmod 0755 "$r"/usr/local/bin/* "$r"/kind/bin/* "$r/kind" "$r/kind/bin"   # module zips drop exec bits
  cp "$W/out/crictl" "$r/usr/local/bin/"
  chroot "$r" sh -ec '
    find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
    rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
          /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
          /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
    echo ReadKMsg=no >> /etc/systemd/journald.conf
    ln -sf /lib/systemd/systemd /sbin/init
    ln -sf /usr/bin/containerd /usr/local/bin/containerd
    systemctl enable kubelet.service containerd.service undo-mount-hacks.service
    systemctl mask systemd-binfmt.service
    mkdir -p /etc/kubernetes/manifests /opt/cni/bin && cp -a /usr/lib/cni/. /opt/cni/bin/
    ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer|length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}" \
        | jq "del(.process.rlimits)" > /etc/containerd/cri-base.json
    # No CAP_SYS_RESOURCE on these hosts: clamp negative oom_score_adj instead of failing every pod.
    sed -i "s/restrict_oom_score_adj = false/restrict_oom_score_adj = true/" /etc/containerd/config.toml
    grep -q "restrict_oom_score_adj = true" /etc/containerd/config.toml
    rm -f /etc/machine-id; rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*'
  mkimg nph/kind-base:bookworm "$r" --change 'ENV container=docker' --change "$PATHENV" \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint","/sbin/init"]'
}
require_image node-base nph/kind-base:bookworm
run_step node-base "bookworm-1 $KIND_V" node_base

# ---- 3. Component images under their public names ------------------------------------------------
binfs() { local d=$1; shift; rm -rf "$d"; mkdir -p "$d/usr/local/bin" "$d/tmp" "$d/etc"; chmod 1777 "$d/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534::/:/sbin/nologin\n' >"$d/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"; cp "$@" "$d/usr/local/bin/"; }
component_images() {
  local c t
  for c in kube-apiserver kube-controller-manager kube-scheduler etcd; do
    binfs "$W/rootfs/$c" "$W/out/$c"; t=$K8S_V; [ $c = etcd ] && t=$ETCD_TAG
    mkimg "registry.k8s.io/$c:$t" "$W/rootfs/$c" --change "$PATHENV" --change "ENTRYPOINT [\"/usr/local/bin/$c\"]"
  done
  rm -rf "$W/rootfs/coredns"; mkdir -p "$W/rootfs/coredns/etc"; cp "$W/out/coredns" "$W/rootfs/coredns/"
  mkimg "registry.k8s.io/coredns/coredns:$CDNS_TAG" "$W/rootfs/coredns" --change 'ENTRYPOINT ["/coredns"]'
  rm -rf "$W/rootfs/pause"; mkdir -p "$W/rootfs/pause"; cp "$W/out/pause" "$W/rootfs/pause/"
  mkimg "registry.k8s.io/pause:$PAUSE_TAG" "$W/rootfs/pause" --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535'
  docker tag "registry.k8s.io/pause:$PAUSE_TAG" registry.k8s.io/pause:3.10   # kind's containerd sandbox_image
  c=$(docker create nph/netbase:bookworm true)   # kubeadm's DaemonSet runs /usr/local/bin/kube-proxy
  docker cp "$W/out/kube-proxy" "$c:/usr/local/bin/kube-proxy"
  docker commit "$c" "registry.k8s.io/kube-proxy:$K8S_V"; docker rm "$c"
}
require_image component-images "registry.k8s.io/kube-apiserver:$K8S_V" "registry.k8s.io/etcd:$ETCD_TAG" "registry.k8s.io/coredns/coredns:$CDNS_TAG" registry.k8s.io/pause:3.10 "registry.k8s.io/kube-proxy:$K8S_V"
run_step component-images "$K8S_V $ETCD_TAG $CDNS_TAG $PAUSE_TAG" component_images

kube_router_image() {
  local kr; kr=$(moddir github.com/cloudnativelabs/kube-router/v2@$KUBE_ROUTER_V)
  c=$(docker create nph/netbase:bookworm true)
  docker cp "$W/out/kube-router" "$c:/usr/local/bin/kube-router"
  docker cp "$kr/build/image-assets/cni-install" "$c:/usr/local/bin/cni-install"
  docker exec "$c" true 2>/dev/null || true
  docker commit --change 'ENTRYPOINT ["/usr/local/bin/kube-router"]' --change 'WORKDIR /root' \
    "$c" "docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_V"
  docker rm "$c"
  # cni-install from a module zip has no exec bit; the manifest calls it through sh.
}
require_image kube-router-image "docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_V"
run_step kube-router-image "$KUBE_ROUTER_V" kube_router_image

AGENT_V=$(cat "$REPO/images/agent/VERSION")
AGENT_KEY="$AGENT_V $(cd "$REPO/images/agent" && find . -type f | sort | xargs sha256sum | sha256sum | cut -c1-16)"
agent_bin() {
  cd "$REPO/images/agent"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$AGENT_V" -o "$W/out/nph-agent" .
  "$W/out/nph-agent" version
}
run_step agent "$AGENT_KEY" agent_bin
agent_image() { # the harness's probe/workload image: one static binary that serves and probes
  local d=$W/rootfs/agent; rm -rf "$d"; mkdir -p "$d/bin" "$d/tmp" "$d/etc"; chmod 1777 "$d/tmp"
  cp "$W/out/nph-agent" "$d/bin/nph-agent"; cp /bin/busybox "$d/bin/busybox"
  for a in sh nc wget nslookup cat ls ps sleep timeout ip hostname; do ln -sf busybox "$d/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' >"$d/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"
  mkimg "$(cat "$REPO/images/agent/IMAGE"):$AGENT_V" "$d" --change 'ENV PATH=/bin' \
    --change 'ENTRYPOINT ["/bin/nph-agent"]' --change 'CMD ["serve"]'
}
require_image agent-image "$(cat "$REPO/images/agent/IMAGE"):$AGENT_V"
run_step agent-image "$AGENT_KEY" agent_image

# ---- 4. Node image: what `kind build node-image` does, minus its registry fetches ---------------
NODE_IMAGE="kindest/node:$K8S_V"
PRELOAD="registry.k8s.io/kube-apiserver:$K8S_V registry.k8s.io/kube-controller-manager:$K8S_V
 registry.k8s.io/kube-scheduler:$K8S_V registry.k8s.io/kube-proxy:$K8S_V registry.k8s.io/etcd:$ETCD_TAG
 registry.k8s.io/coredns/coredns:$CDNS_TAG registry.k8s.io/pause:3.10 registry.k8s.io/pause:$PAUSE_TAG
 docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_V $(cat "$REPO/images/agent/IMAGE"):$AGENT_V"
node_image() {
  docker save -o "$W/img/preload.tar" $PRELOAD
  cid=$(docker run -d --entrypoint=sleep --security-opt seccomp=unconfined nph/kind-base:bookworm infinity)
  trap 'docker rm -f $cid >/dev/null 2>&1 || true' RETURN
  for b in kubeadm kubelet kubectl; do docker cp "$W/out/$b" "$cid:/usr/bin/$b"; done
  docker exec "$cid" sh -c "printf %s $K8S_V > /kind/version; mkdir -p /kind/manifests"
  docker exec "$cid" sh -c 'nohup containerd >/tmp/containerd.log 2>&1 & for i in $(seq 30); do ctr version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'
  docker exec -i "$cid" ctr -n k8s.io images import --all-platforms --no-unpack --digests - <"$W/img/preload.tar"
  local have; have=$(docker exec "$cid" ctr -n k8s.io images ls -q)
  for i in $PRELOAD; do   # containerd normalises names without a registry to docker.io/...
    case ${i%%/*} in *.*) n=$i ;; *) n=docker.io/$i ;; esac
    echo "$have" | grep -qx "$n" || { echo "missing in node image: $n"; exit 1; }
  done
  docker exec "$cid" sh -c 'pkill containerd; sleep 2; rm -f /tmp/containerd.log'
  docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint","/sbin/init"]' --change 'ENV container=docker' "$cid" "$NODE_IMAGE"
  rm -f "$W/img/preload.tar"
}
require_image node-image "$NODE_IMAGE"
# Keyed on the IDs of everything it contains, so a rebuilt agent or component image rebuilds it.
NODE_KEY="$K8S_V $(docker image inspect -f '{{.Id}}' nph/kind-base:bookworm $PRELOAD 2>/dev/null | md5sum)"
run_step node-image "$NODE_KEY" node_image

# ---- 5. Application images for suites/real-apps (upstream names, Debian packages) -------------------
bash "$REPO/scripts/airgap/build-app-images.sh"

mkdir -p "$NPH_CACHE/bin"; ln -sf "$W/bin/kind" "$NPH_CACHE/bin/kind"; ln -sf "$W/out/kubectl" "$NPH_CACHE/bin/kubectl"
cat >"$NPH_CACHE/images.env" <<ENV
NPH_NODE_IMAGE=$NODE_IMAGE
NPH_KIND=$NPH_CACHE/bin/kind
NPH_KUBECTL=$NPH_CACHE/bin/kubectl
NPH_CNI=kube-router
NPH_KUBE_ROUTER_IMAGE=docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_V
NPH_AGENT_IMAGE=$(cat "$REPO/images/agent/IMAGE"):$AGENT_V
ENV
log "all images ready in $((SECONDS - T_START))s; summary in $NPH_CACHE/images.env"
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -v '<none>' >&2
