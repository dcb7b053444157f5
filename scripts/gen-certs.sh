#!/usr/bin/env bash
# Writes a kubeadm-like PKI for a local cluster with openssl:
#   usage: scripts/gen-certs.sh [DIR] [PORT]      (DIR defaults to certs, PORT to $APISERVER_PORT or 6443)
#
#   ca.crt/.key                    cluster CA (also the --client-ca-file)
#   apiserver.crt/.key             serving certificate (localhost, kubernetes.default.svc..., host name, 127.0.0.1, ::1)
#   admin.crt/.key                 CN=kubernetes-admin, O=system:masters (client)
#   etcd-ca.crt/.key               separate etcd CA, as kubeadm keeps one
#   etcd-server.crt/.key           etcd's serving (and peer) certificate: localhost, 127.0.0.1
#   apiserver-etcd-client.crt/.key CN=kube-apiserver-etcd-client (client of etcd)
#   sa.key/sa.pub                  service-account token signing key pair
#   admin.kubeconfig               cluster "kubernetes" at https://127.0.0.1:PORT, credentials embedded
#   kube-controller-manager.crt/.key  CN=system:kube-controller-manager (client); controller-manager.kubeconfig
#                                  (kubeadm's controller-manager.conf)
#   kube-scheduler.crt/.key        CN=system:kube-scheduler (client); scheduler.kubeconfig (kubeadm's scheduler.conf)
#   apiserver-kubelet-client.crt/.key  CN=kube-apiserver-kubelet-client, O=kubeadm:cluster-admins: the
#                                  server's identity towards kubelets (--kubelet-client-certificate)
#   nodes/<node>.crt/.key          CN=system:node:<node>, O=system:nodes, one per simulated node
#                                  (NODE_NAMES, default "node-1 node-2 node-3"); node-simulator.kubeconfig
#                                  (the cluster, with the first node's credentials)
#
# Idempotent: existing files are kept as long as they are still good (certificate matches its key,
# verifies against its CA, is valid for at least another day, carries the expected DNS names); only
# missing or bad ones are written again, so a second run changes nothing.
set -euo pipefail

dir=${1:-certs}
port=${2:-${APISERVER_PORT:-6443}}

if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
    echo "gen-certs: invalid port '$port'" >&2
    exit 2
fi
command -v openssl >/dev/null 2>&1 || { echo "gen-certs: openssl is required" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

CA_DAYS=3650
LEAF_DAYS=365

host=$(hostname 2>/dev/null | tr '[:upper:]' '[:lower:]' || true)

log() { echo "gen-certs: $*" >&2; }

# RSA 2048 in PKCS#1 form, as kubeadm writes its keys.
ensure_key() {
    local key=$1
    if [[ ! -s $key ]] || ! openssl rsa -in "$key" -check -noout >/dev/null 2>&1; then
        (umask 077 && openssl genrsa -traditional -out "$key" 2048 2>/dev/null)
        log "wrote $(basename "$key")"
    fi
    chmod 600 "$key"
}

pub_of_key() { openssl pkey -in "$1" -pubout 2>/dev/null; }
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null; }

# cert_ok CERT KEY CA_CERT [DNS names that must be in the SAN...]
cert_ok() {
    local cert=$1 key=$2 ca=$3
    shift 3
    [[ -s $cert ]] || return 1
    openssl x509 -in "$cert" -noout -checkend 86400 >/dev/null 2>&1 || return 1
    [[ "$(pub_of_cert "$cert")" == "$(pub_of_key "$key")" ]] || return 1
    openssl verify -CAfile "$ca" "$cert" >/dev/null 2>&1 || return 1
    if (($# > 0)); then
        local san
        san=$(openssl x509 -in "$cert" -noout -ext subjectAltName 2>/dev/null) || return 1
        local name
        for name in "$@"; do
            grep -qE "DNS:${name//./\\.}(,|$)" <<<"$san" || return 1
        done
    fi
    return 0
}

serial() { echo "0x$(openssl rand -hex 16)"; }

# ensure_ca NAME CN
ensure_ca() {
    local name=$1 cn=$2
    local crt="$dir/$name.crt" key="$dir/$name.key"
    ensure_key "$key"
    if [[ -s $crt ]] && openssl x509 -in "$crt" -noout -checkend 86400 >/dev/null 2>&1 &&
        [[ "$(pub_of_cert "$crt")" == "$(pub_of_key "$key")" ]]; then
        return 0
    fi
    cat >"$tmp/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $cn
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
subjectKeyIdentifier = hash
EOF
    openssl req -x509 -new -sha256 -key "$key" -days "$CA_DAYS" -set_serial "$(serial)" \
        -config "$tmp/ca.cnf" -extensions v3_ca -out "$crt" 2>/dev/null
    chmod 644 "$crt"
    log "wrote $name.crt"
}

# ensure_leaf NAME CA_NAME SUBJECT EKU SAN(or "") [required DNS names...]
ensure_leaf() {
    local name=$1 ca=$2 subject=$3 eku=$4 san=$5
    shift 5
    local crt="$dir/$name.crt" key="$dir/$name.key"
    ensure_key "$key"
    if cert_ok "$crt" "$key" "$dir/$ca.crt" "$@"; then
        return 0
    fi
    {
        echo "basicConstraints = critical, CA:FALSE"
        echo "keyUsage = critical, digitalSignature, keyEncipherment"
        echo "extendedKeyUsage = $eku"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid"
        if [[ -n $san ]]; then
            echo "subjectAltName = $san"
        fi
    } >"$tmp/leaf.ext"
    openssl req -new -sha256 -key "$key" -subj "$subject" -out "$tmp/leaf.csr" 2>/dev/null
    openssl x509 -req -sha256 -in "$tmp/leaf.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
        -set_serial "$(serial)" -days "$LEAF_DAYS" -extfile "$tmp/leaf.ext" -out "$crt" 2>/dev/null
    chmod 644 "$crt"
    log "wrote $name.crt"
}

# Cluster CA and what it signs.
ensure_ca ca kubernetes

apiserver_dns=(localhost kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local)
if [[ -n $host ]]; then
    case " ${apiserver_dns[*]} " in
    *" $host "*) ;;
    *) apiserver_dns+=("$host") ;;
    esac
fi
apiserver_san=""
for name in "${apiserver_dns[@]}"; do
    apiserver_san+="DNS:$name, "
done
apiserver_san+="IP:127.0.0.1, IP:::1"
ensure_leaf apiserver ca "/CN=kube-apiserver" serverAuth "$apiserver_san" "${apiserver_dns[@]}"
ensure_leaf admin ca "/O=system:masters/CN=kubernetes-admin" clientAuth ""

# etcd has its own CA, as in kubeadm's /etc/kubernetes/pki/etcd/.
ensure_ca etcd-ca etcd-ca
ensure_leaf etcd-server etcd-ca "/CN=kube-etcd" "serverAuth, clientAuth" "DNS:localhost, IP:127.0.0.1, IP:::1" localhost
ensure_leaf apiserver-etcd-client etcd-ca "/CN=kube-apiserver-etcd-client" clientAuth ""

# Service-account signing key pair (kubeadm's sa.key / sa.pub).
ensure_key "$dir/sa.key"
if [[ ! -s $dir/sa.pub ]] || [[ "$(cat "$dir/sa.pub")" != "$(pub_of_key "$dir/sa.key")" ]]; then
    pub_of_key "$dir/sa.key" >"$dir/sa.pub"
    chmod 644 "$dir/sa.pub"
    log "wrote sa.pub"
fi

# The control-plane components' and the simulated nodes' client certificates.
ensure_leaf kube-scheduler ca "/CN=system:kube-scheduler" clientAuth ""
ensure_leaf apiserver-kubelet-client ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth ""
read -r -a node_names <<<"${NODE_NAMES:-node-1 node-2 node-3}"
mkdir -p "$dir/nodes"
for node in "${node_names[@]}"; do
    ensure_leaf "nodes/$node" ca "/O=system:nodes/CN=system:node:$node" clientAuth ""
done

b64() { base64 -w0 <"$1"; }

# write_kubeconfig NAME USER CERT: a kubeconfig for the cluster with USER's embedded client
# certificate (CERT.crt/.key), rewritten only when its content would change.
write_kubeconfig() {
    local name=$1 user=$2 cert=$3
    cat >"$tmp/$name" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(b64 "$dir/ca.crt")
contexts:
- name: $user@kubernetes
  context:
    cluster: kubernetes
    user: $user
current-context: $user@kubernetes
preferences: {}
users:
- name: $user
  user:
    client-certificate-data: $(b64 "$dir/$cert.crt")
    client-key-data: $(b64 "$dir/$cert.key")
EOF
    if ! cmp -s "$tmp/$name" "$dir/$name"; then
        (umask 077 && cp "$tmp/$name" "$dir/$name")
        log "wrote $name (server https://127.0.0.1:$port)"
    fi
    chmod 600 "$dir/$name"
}

write_kubeconfig scheduler.kubeconfig system:kube-scheduler kube-scheduler
if ((${#node_names[@]} > 0)); then
    write_kubeconfig node-simulator.kubeconfig "system:node:${node_names[0]}" "nodes/${node_names[0]}"
fi

# admin.kubeconfig, rewritten only when its content would change.
cat >"$tmp/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(b64 "$dir/ca.crt")
contexts:
- name: kubernetes-admin@kubernetes
  context:
    cluster: kubernetes
    user: kubernetes-admin
current-context: kubernetes-admin@kubernetes
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: $(b64 "$dir/admin.crt")
    client-key-data: $(b64 "$dir/admin.key")
EOF
if ! cmp -s "$tmp/admin.kubeconfig" "$dir/admin.kubeconfig"; then
    (umask 077 && cp "$tmp/admin.kubeconfig" "$dir/admin.kubeconfig")
    log "wrote admin.kubeconfig (server https://127.0.0.1:$port)"
fi
chmod 600 "$dir/admin.kubeconfig"

# The controller manager's identity and kubeconfig (kubeadm's controller-manager.conf).
ensure_leaf kube-controller-manager ca "/CN=system:kube-controller-manager" clientAuth ""
cat >"$tmp/controller-manager.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(b64 "$dir/ca.crt")
contexts:
- name: system:kube-controller-manager@kubernetes
  context:
    cluster: kubernetes
    user: system:kube-controller-manager
current-context: system:kube-controller-manager@kubernetes
preferences: {}
users:
- name: system:kube-controller-manager
  user:
    client-certificate-data: $(b64 "$dir/kube-controller-manager.crt")
    client-key-data: $(b64 "$dir/kube-controller-manager.key")
EOF
if ! cmp -s "$tmp/controller-manager.kubeconfig" "$dir/controller-manager.kubeconfig"; then
    (umask 077 && cp "$tmp/controller-manager.kubeconfig" "$dir/controller-manager.kubeconfig")
    log "wrote controller-manager.kubeconfig (server https://127.0.0.1:$port)"
fi
chmod 600 "$dir/controller-manager.kubeconfig"
