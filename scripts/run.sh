#!/usr/bin/env bash
# Runs a local control plane: etcd, the API server, the scheduler and simulated nodes, all over TLS
# with client certificates:
#   ./scripts/run.sh [extra kube-apiserver flags...]
# Environment: APISERVER_PORT (6443), ETCD_PORT (2379), ETCD_PEER_PORT (ETCD_PORT+1, so 2380),
#   NODES (3 simulated nodes, named node-1..node-N; 0 runs none), SCHEDULER (1; 0 runs no scheduler),
#   KUBELET_PORT (10250, the simulated kubelets' endpoint), SCHEDULER_PORT (10259, its /healthz),
#   CONTROLLER_MANAGER_PORT (10257, the controller manager's /healthz and /metrics).
#
# Installs dependencies, generates (or reuses) the PKI under certs/ (the components' client
# certificates included), builds src/ApiServer, src/Scheduler and src/NodeSimulator, starts etcd
# (data in .run/etcd, kept across runs, log in .run/etcd.log), starts the server (log on stdout) and
# waits for /readyz, then starts the scheduler (.run/scheduler.log) and the simulated nodes
# (.run/nodes.log) and waits until the nodes are Ready, then the controller manager as
# system:kube-controller-manager (.run/controller-manager.log; CONTROLLER_MANAGER=0 runs none). Ctrl-C
# or SIGTERM stops the controller manager, the nodes and the scheduler, then the server, then etcd.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

APISERVER_PORT=${APISERVER_PORT:-6443}
ETCD_PORT=${ETCD_PORT:-2379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-$((ETCD_PORT + 1))}
SERVER_STOP_TIMEOUT=${SERVER_STOP_TIMEOUT:-30}
ETCD_STOP_TIMEOUT=${ETCD_STOP_TIMEOUT:-15}
READY_TIMEOUT=${READY_TIMEOUT:-120}
CONTROLLER_MANAGER=${CONTROLLER_MANAGER:-1}
NODES=${NODES:-3}
SCHEDULER=${SCHEDULER:-1}
KUBELET_PORT=${KUBELET_PORT:-10250}
SCHEDULER_PORT=${SCHEDULER_PORT:-10259}
CONTROLLER_MANAGER_PORT=${CONTROLLER_MANAGER_PORT:-10257}

certs=$root/certs
run=$root/.run

say() { echo "run.sh: $*"; }
die() { echo "run.sh: $*" >&2; exit 1; }

[[ $NODES =~ ^[0-9]+$ ]] || die "NODES=$NODES is not a number"
for var in APISERVER_PORT ETCD_PORT ETCD_PEER_PORT KUBELET_PORT SCHEDULER_PORT CONTROLLER_MANAGER_PORT; do
    value=${!var}
    if ! [[ $value =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
        die "$var=$value is not a port number"
    fi
done
if ((APISERVER_PORT == ETCD_PORT || APISERVER_PORT == ETCD_PEER_PORT || ETCD_PORT == ETCD_PEER_PORT)); then
    die "APISERVER_PORT, ETCD_PORT and ETCD_PEER_PORT must differ ($APISERVER_PORT, $ETCD_PORT, $ETCD_PEER_PORT)"
fi

# --- processes and their shutdown ---------------------------------------------------------------
server_pid=""
etcd_pid=""
controller_manager_pid=""
scheduler_pid=""
nodes_pid=""

# A child that has exited stays a zombie until waited for; kill -0 would still succeed on it.
alive() {
    local pid=$1 stat
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    stat=$(</proc/"$pid"/stat) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# stop PID NAME TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL; always reaps.
stop() {
    local pid=$1 name=$2 timeout=$3 waited=0
    [[ -n $pid ]] || return 0
    if alive "$pid"; then
        say "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        while alive "$pid" && ((waited < timeout * 10)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if alive "$pid"; then
            say "$name did not stop within ${timeout}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

cleaned=""
cleanup() {
    [[ -z $cleaned ]] || return 0
    cleaned=1
    # Further Ctrl-C during shutdown is ignored; the timeouts above bound how long it takes.
    trap '' INT TERM HUP
    stop "$controller_manager_pid" "controller manager" 10
    controller_manager_pid=""
    stop "$nodes_pid" "simulated nodes" 10
    nodes_pid=""
    stop "$scheduler_pid" scheduler 10
    scheduler_pid=""
    stop "$server_pid" server "$SERVER_STOP_TIMEOUT"
    server_pid=""
    stop "$etcd_pid" etcd "$ETCD_STOP_TIMEOUT"
    etcd_pid=""
}
trap 'cleanup' EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

# The children get their own session (setsid), so a Ctrl-C typed in the terminal reaches only this
# script, which then stops them in order: the server first, then etcd.
start() {
    setsid "$@" </dev/null &
}

# Something accepting connections on 127.0.0.1:PORT (also catches wildcard and dual-stack listeners).
port_taken() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

check_port() {
    local port=$1 what=$2 var=$3
    if port_taken "$port"; then
        echo "run.sh: port $port on 127.0.0.1 (for $what) is already in use." >&2
        if command -v ss >/dev/null 2>&1; then
            ss -ltnpH "sport = :$port" 2>/dev/null | sed 's/^/  /' >&2 || true
        fi
        echo "  Stop whatever holds it (an earlier ./scripts/run.sh?) or choose another port: $var=<port> ./scripts/run.sh" >&2
        exit 1
    fi
}

# --- prerequisites ------------------------------------------------------------------------------
"$root/scripts/install-deps.sh"
node_names=""
for ((i = 1; i <= NODES; i++)); do
    node_names+="${node_names:+ }node-$i"
done
NODE_NAMES="$node_names" "$root/scripts/gen-certs.sh" "$certs" "$APISERVER_PORT"

check_port "$APISERVER_PORT" "the API server" APISERVER_PORT
check_port "$ETCD_PORT" "etcd clients" ETCD_PORT
check_port "$ETCD_PEER_PORT" "etcd peers" ETCD_PEER_PORT
if ((NODES > 0)); then check_port "$KUBELET_PORT" "the simulated kubelets" KUBELET_PORT; fi
if ((SCHEDULER != 0)); then check_port "$SCHEDULER_PORT" "the scheduler's health endpoint" SCHEDULER_PORT; fi
if ((CONTROLLER_MANAGER != 0)); then check_port "$CONTROLLER_MANAGER_PORT" "the controller manager's health endpoint" CONTROLLER_MANAGER_PORT; fi

mkdir -p "$run"
chmod 700 "$run"

: >"$run/build.log"
for project in ApiServer Scheduler NodeSimulator; do
    say "building src/$project (Release)"
    if ! dotnet build "$root/src/$project" -c Release -nologo -v quiet -tl:off >>"$run/build.log" 2>&1; then
        cat "$run/build.log" >&2
        die "the build failed (log: $run/build.log)"
    fi
done
server_dll=$(dotnet msbuild "$root/src/ApiServer" -nologo -p:Configuration=Release -getProperty:TargetPath 2>/dev/null | tail -n 1)
if [[ ! -f $server_dll ]]; then
    server_dll=$root/src/ApiServer/bin/Release/net10.0/ApiServer.dll
fi
[[ -f $server_dll ]] || die "built, but $server_dll is missing"
if ((CONTROLLER_MANAGER != 0)); then
    say "building src/ControllerManager (Release)"
    if ! dotnet build "$root/src/ControllerManager" -c Release -nologo -v quiet -tl:off >>"$run/build.log" 2>&1; then
        cat "$run/build.log" >&2
        die "the build failed (log: $run/build.log)"
    fi
fi
controller_manager_dll=$root/src/ControllerManager/bin/Release/net10.0/ControllerManager.dll
scheduler_dll=$root/src/Scheduler/bin/Release/net10.0/Scheduler.dll
nodes_dll=$root/src/NodeSimulator/bin/Release/net10.0/NodeSimulator.dll

# --- etcd ---------------------------------------------------------------------------------------
etcdctl_flags=(
    --endpoints "https://127.0.0.1:$ETCD_PORT"
    --cacert "$certs/etcd-ca.crt"
    --cert "$certs/apiserver-etcd-client.crt"
    --key "$certs/apiserver-etcd-client.key"
)

say "starting etcd on https://127.0.0.1:$ETCD_PORT (data $run/etcd, log $run/etcd.log)"
start etcd \
    --name default \
    --data-dir "$run/etcd" \
    --logger zap --log-outputs stderr \
    --listen-client-urls "https://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "https://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "https://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "https://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=https://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state new \
    --initial-cluster-token kube-apiserver-csharp \
    --cert-file "$certs/etcd-server.crt" --key-file "$certs/etcd-server.key" \
    --trusted-ca-file "$certs/etcd-ca.crt" --client-cert-auth \
    --peer-cert-file "$certs/etcd-server.crt" --peer-key-file "$certs/etcd-server.key" \
    --peer-trusted-ca-file "$certs/etcd-ca.crt" --peer-client-cert-auth \
    >>"$run/etcd.log" 2>&1
etcd_pid=$!

deadline=$((SECONDS + 30))
until ETCDCTL_API=3 etcdctl "${etcdctl_flags[@]}" --command-timeout=2s endpoint health >/dev/null 2>&1; do
    if ! alive "$etcd_pid"; then
        tail -n 20 "$run/etcd.log" >&2
        die "etcd exited during startup (log: $run/etcd.log)"
    fi
    ((SECONDS < deadline)) || { tail -n 20 "$run/etcd.log" >&2; die "etcd was not healthy within 30s"; }
    sleep 0.5
done
say "etcd is healthy"

# --- the server ---------------------------------------------------------------------------------
server_flags=(
    --etcd-servers="https://127.0.0.1:$ETCD_PORT"
    --etcd-prefix=/registry
    --etcd-cafile="$certs/etcd-ca.crt"
    --etcd-certfile="$certs/apiserver-etcd-client.crt"
    --etcd-keyfile="$certs/apiserver-etcd-client.key"
    --secure-port="$APISERVER_PORT"
    --bind-address=127.0.0.1
    --advertise-address=127.0.0.1
    --tls-cert-file="$certs/apiserver.crt"
    --tls-private-key-file="$certs/apiserver.key"
    --client-ca-file="$certs/ca.crt"
    --authorization-mode=Node,RBAC
    --service-account-issuer=https://kubernetes.default.svc.cluster.local
    --service-account-key-file="$certs/sa.pub"
    --service-account-signing-key-file="$certs/sa.key"
    --service-cluster-ip-range=10.96.0.0/12
    --kubelet-client-certificate="$certs/apiserver-kubelet-client.crt"
    --kubelet-client-key="$certs/apiserver-kubelet-client.key"
    --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname
)

say "starting the server on https://127.0.0.1:$APISERVER_PORT"
start dotnet "$server_dll" "${server_flags[@]}" "$@"
server_pid=$!

curl_auth=(--cacert "$certs/ca.crt" --cert "$certs/admin.crt" --key "$certs/admin.key")
deadline=$((SECONDS + READY_TIMEOUT))
until curl -fsS -o /dev/null --max-time 2 "${curl_auth[@]}" "https://127.0.0.1:$APISERVER_PORT/readyz" 2>/dev/null; do
    if ! alive "$server_pid"; then
        code=0
        wait "$server_pid" || code=$?
        server_pid=""
        die "the server exited during startup (exit code $code)"
    fi
    ((SECONDS < deadline)) || die "the server was not ready within ${READY_TIMEOUT}s (https://127.0.0.1:$APISERVER_PORT/readyz)"
    sleep 0.5
done

# --- the scheduler and the simulated nodes ---------------------------------------------------------
if ((SCHEDULER != 0)); then
    say "starting the scheduler as system:kube-scheduler (log $run/scheduler.log)"
    start dotnet "$scheduler_dll" \
        --kubeconfig="$certs/scheduler.kubeconfig" \
        --leader-elect=true \
        --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
        >>"$run/scheduler.log" 2>&1
    scheduler_pid=$!
fi

if ((NODES > 0)); then
    say "starting $NODES simulated node(s), each as system:node:<name> (log $run/nodes.log)"
    start dotnet "$nodes_dll" \
        --kubeconfig="$certs/node-simulator.kubeconfig" \
        --node-cert-dir="$certs/nodes" \
        --nodes="$NODES" \
        --port="$KUBELET_PORT" \
        --client-ca-file="$certs/ca.crt" \
        >>"$run/nodes.log" 2>&1
    nodes_pid=$!

    deadline=$((SECONDS + READY_TIMEOUT))
    while true; do
        ready=$(curl -fsS --max-time 5 "${curl_auth[@]}" "https://127.0.0.1:$APISERVER_PORT/api/v1/nodes" 2>/dev/null | python3 -c '
import json, sys
try:
    items = json.load(sys.stdin).get("items", [])
except ValueError:
    items = []
print(sum(1 for n in items if any(c.get("type") == "Ready" and c.get("status") == "True" for c in n.get("status", {}).get("conditions", []))))
' 2>/dev/null || echo 0)
        ((ready >= NODES)) && break
        if ! alive "$nodes_pid"; then
            tail -n 20 "$run/nodes.log" >&2
            die "the node simulator exited during startup (log: $run/nodes.log)"
        fi
        ((SECONDS < deadline)) || die "only $ready of $NODES node(s) Ready within ${READY_TIMEOUT}s (log: $run/nodes.log)"
        sleep 1
    done
    say "$ready simulated node(s) Ready:"
    KUBECONFIG="$certs/admin.kubeconfig" kubectl get nodes -o wide 2>/dev/null | sed 's/^/  /' || true
fi

# --- the controller manager -----------------------------------------------------------------------
if ((CONTROLLER_MANAGER != 0)); then
    say "starting the controller manager as system:kube-controller-manager (log $run/controller-manager.log)"
    start dotnet "$controller_manager_dll" \
        --kubeconfig="$certs/controller-manager.kubeconfig" \
        --authentication-kubeconfig="$certs/controller-manager.kubeconfig" \
        --authorization-kubeconfig="$certs/controller-manager.kubeconfig" \
        --client-ca-file="$certs/ca.crt" \
        --leader-elect=true \
        --use-service-account-credentials=true \
        --controllers='*' \
        --root-ca-file="$certs/ca.crt" \
        --bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" \
        >>"$run/controller-manager.log" 2>&1
    controller_manager_pid=$!
fi

cat <<EOF

run.sh: ready: the API server is at https://127.0.0.1:$APISERVER_PORT, etcd at https://127.0.0.1:$ETCD_PORT
  export KUBECONFIG=$certs/admin.kubeconfig; kubectl get nodes
  kubectl run nginx --image=nginx; kubectl get pods -o wide -w
  curl --cacert $certs/ca.crt --cert $certs/admin.crt --key $certs/admin.key https://127.0.0.1:$APISERVER_PORT/api/v1/namespaces
Press Ctrl-C to stop (the controller manager, the nodes and the scheduler, then the server, then etcd).

EOF

# Wait for either child to end (or for a signal, which runs the traps above).
code=0
exited=""
children=("$server_pid" "$etcd_pid")
[[ -n $scheduler_pid ]] && children+=("$scheduler_pid")
[[ -n $nodes_pid ]] && children+=("$nodes_pid")
wait -n -p exited "${children[@]}" 2>/dev/null || code=$?
if [[ -n $scheduler_pid && $exited == "$scheduler_pid" ]] || [[ -n $nodes_pid && $exited == "$nodes_pid" ]]; then
    [[ $exited == "$scheduler_pid" ]] && { scheduler_pid=""; name=scheduler; } || { nodes_pid=""; name="node simulator"; }
    say "the $name exited (exit code $code); stopping the rest"
    cleanup
    exit $((code == 0 ? 1 : code))
fi
if [[ $exited == "$server_pid" ]]; then
    server_pid=""
    say "the server exited (exit code $code); stopping etcd"
    cleanup
    exit "$code"
fi
etcd_pid=""
say "etcd exited unexpectedly (exit code $code, log: $run/etcd.log); stopping the server"
cleanup
exit $((code == 0 ? 1 : code))
