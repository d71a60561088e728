#!/usr/bin/env bash
# Kubernetes server binaries from the Go module proxy via a wrapper module
# (k8s.io/kubernetes requires staging modules at v0.0.0; we replace each with its published v0.X.Y).
source "$(dirname "$0")/lib.sh"
k8s_bins() {
  export CGO_ENABLED=0
  local src=$W/src/k8s; rm -rf "$src"; mkdir -p "$src"; cd "$src"
  go mod init local/k8s-build
  local kdir; kdir=$(moddir k8s.io/kubernetes@$K8S_V)
  go mod edit -go="$(awk '$1=="go"{print $2}' "$kdir/go.mod")" -require=k8s.io/kubernetes@$K8S_V
  local mn=${K8S_V#v1.} minor; minor=$(echo "$K8S_V" | cut -d. -f2)
  for m in $(sed -n 's|^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*|\1|p' "$kdir/go.mod"); do
    go mod edit -replace="$m=$m@v0.$mn"
  done
  # keep every other requirement at the exact versions k8s pins
  go mod edit $(awk '/^require \(/{r=1;next} r&&/^\)/{r=0} r&&$1!~"^k8s.io/(api|apimachinery|client-go)$"&&$1!~"^//"{print "-require="$1"@"$2}' "$kdir/go.mod" | grep -v 'v0.0.0$' | sort -u)
  local bd ld="-s -w"; bd=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_V -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$bd"
  done
  go build -mod=mod -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ld" -o "$W/out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/kubectl
  "$W/out/kubeadm" version -o short
  "$W/out/kubeadm" config images list --kubernetes-version "$K8S_V" | tee "$W/out/k8s-images.txt"
}
run_step k8s-bins "$K8S_V" k8s_bins
