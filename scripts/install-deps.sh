#!/usr/bin/env bash
# Installs what running and testing the server needs on Debian/Ubuntu: etcd (server and etcdctl) and the
# official Python client for /usr/bin/python3, and checks that kubectl is present. Idempotent and quiet
# when everything is already there; apt-get update runs only when a package is missing.
set -euo pipefail

packages=(etcd-server etcd-client python3-kubernetes)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} > 0)); then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-deps: missing packages: ${missing[*]}, and apt-get is not available; install them by hand" >&2
        exit 1
    fi
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "install-deps: missing packages: ${missing[*]}; run as root or install sudo" >&2
            exit 1
        fi
    fi
    echo "install-deps: installing ${missing[*]}" >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for tool in etcd etcdctl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-deps: $tool is still not on PATH after installing etcd-server/etcd-client" >&2
        exit 1
    fi
done

if ! /usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1; then
    echo "install-deps: /usr/bin/python3 cannot import the kubernetes package (python3-kubernetes)" >&2
    exit 1
fi

if ! command -v kubectl >/dev/null 2>&1; then
    cat >&2 <<'EOF'
install-deps: kubectl is not installed (it is expected to be on this machine).
  Install kubectl 1.32 from the Kubernetes package repository, for example:
    curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key | gpg --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
    echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /' > /etc/apt/sources.list.d/kubernetes.list
    apt-get update && apt-get install -y kubectl
  or download the binary: https://dl.k8s.io/release/v1.32.0/bin/linux/amd64/kubectl
EOF
    exit 1
fi
