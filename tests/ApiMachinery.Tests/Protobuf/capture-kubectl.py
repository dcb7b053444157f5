#!/usr/bin/env python3
"""Records the request bodies kubectl sends, for the fixtures in KubeProtobufKubectlTests.cs.

Starts an HTTPS listener on a free loopback port that answers legacy discovery and every write with a
minimal JSON object, points kubectl (a fresh kubeconfig and --cache-dir) at it, runs the commands
below and prints, per command, the method, path, Content-Type and body (base64). Only loopback is
used.

usage: python3 tests/ApiMachinery.Tests/Protobuf/capture-kubectl.py [kubectl]
The fixtures were recorded with kubectl v1.32.4.
"""
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading

NS = "capture-ns"
COMMANDS = [
    ["create", "namespace", NS],
    ["create", "configmap", "cm1", "-n", NS, "--from-literal=color=blue", "--from-literal=size=10"],
    ["create", "secret", "generic", "sec1", "-n", NS, "--from-literal=password=s3cret", "--from-literal=empty="],
    ["create", "deployment", "dep1", "-n", NS, "--image=nginx:1.27", "--replicas=0", "--port=80"],
    ["create", "service", "nodeport", "svc1", "-n", NS, "--tcp=80:8080"],
    ["create", "poddisruptionbudget", "pdb1", "-n", NS, "--selector=app=dep1", "--min-available=50%"],
    ["create", "quota", "q1", "-n", NS, "--hard=cpu=1500m,memory=1Gi,pods=2"],
    ["create", "job", "job1", "-n", NS, "--image=busybox", "--", "echo", "hi"],
    ["create", "cronjob", "cj1", "-n", NS, "--image=busybox", "--schedule=*/5 * * * *", "--", "date"],
    ["create", "role", "r1", "-n", NS, "--verb=get,list", "--resource=pods,configmaps"],
    ["create", "clusterrolebinding", "crb1", "--clusterrole=view", "--user=alice", "--group=devs"],
    ["create", "priorityclass", "pc1", "--value=1000", "--description=capture"],
    ["create", "ingress", "ing1", "-n", NS, "--rule=foo.example.com/bar=svc1:8080"],
    ["create", "token", "default", "-n", NS, "--duration=1h"],
    ["auth", "can-i", "list", "pods", "-n", NS],
]

API_V1 = [("namespaces", "Namespace", False), ("configmaps", "ConfigMap", True), ("secrets", "Secret", True),
          ("services", "Service", True), ("serviceaccounts", "ServiceAccount", True), ("resourcequotas", "ResourceQuota", True),
          ("pods", "Pod", True)]
GROUPS = {
    "apps/v1": [("deployments", "Deployment", True)],
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "rbac.authorization.k8s.io/v1": [("roles", "Role", True), ("clusterrolebindings", "ClusterRoleBinding", False)],
    "scheduling.k8s.io/v1": [("priorityclasses", "PriorityClass", False)],
    "networking.k8s.io/v1": [("ingresses", "Ingress", True)],
    "authorization.k8s.io/v1": [("selfsubjectaccessreviews", "SelfSubjectAccessReview", False)],
}

captured = []


def resource_list(group_version, resources):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": [
        {"name": r, "singularName": "", "namespaced": ns, "kind": k, "verbs": ["create", "get", "list"]} for r, k, ns in resources]}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/api":
            return self.answer(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        if path == "/apis":
            return self.answer(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": "v1"}],
                 "preferredVersion": {"groupVersion": gv, "version": "v1"}} for gv in GROUPS]})
        if path == "/api/v1":
            return self.answer(200, resource_list("v1", API_V1))
        for gv, resources in GROUPS.items():
            if path == f"/apis/{gv}":
                return self.answer(200, resource_list(gv, resources))
        self.answer(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        captured.append((self.command, self.path, self.headers.get("Content-Type"), body))
        path = self.path.split("?")[0]
        parts = path.strip("/").split("/")
        if path.endswith("/token"):
            return self.answer(201, {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "metadata": {"name": parts[-2]},
                                     "spec": {"audiences": []}, "status": {"token": "t0ken", "expirationTimestamp": "2030-01-01T00:00:00Z"}})
        if "selfsubjectaccessreviews" in path:
            return self.answer(201, {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {},
                                     "spec": {}, "status": {"allowed": True}})
        api_version = "v1" if parts[0] == "api" else f"{parts[1]}/{parts[2]}"
        kind = next(k for r, k, _ in (API_V1 if api_version == "v1" else GROUPS[api_version]) if r == parts[-1])
        return self.answer(201, {"apiVersion": api_version, "kind": kind, "metadata": {"name": "capture"}})


def main():
    kubectl = sys.argv[1] if len(sys.argv) > 1 else "kubectl"
    work = tempfile.mkdtemp()
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=localhost"], check=True, capture_output=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = os.path.join(work, "kubeconfig")
    with open(config, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:{server.server_address[1]}", insecure-skip-tls-verify: true}}}}]
users: [{{name: u, user: {{token: capture}}}}]
contexts: [{{name: c, context: {{cluster: c, user: u}}}}]
current-context: c
""")
    for command in COMMANDS:
        captured.clear()
        run = subprocess.run([kubectl, "--kubeconfig", config, "--cache-dir", os.path.join(work, "cache"), *command],
                             capture_output=True, text=True, timeout=60)
        print(f"$ kubectl {' '.join(command)}  -> exit {run.returncode}: {(run.stdout + run.stderr).strip()[:200]}")
        for method, path, content_type, body in captured:
            print(f"  {method} {path} [{content_type}] {len(body)} bytes")
            print(f"  {base64.b64encode(body).decode()}")
        if command[0] == "create" and command[1] != "token":
            # kubectl's own JSON of the same typed object: an oracle for the expected JSON (it keeps
            # empty slices and maps that protobuf cannot tell from nil ones).
            dry = subprocess.run([kubectl, "--kubeconfig", config, "--cache-dir", os.path.join(work, "cache"), "--dry-run=client",
                                  "-o", "json", *command], capture_output=True, text=True, timeout=60)
            print("  dry-run: " + (json.dumps(json.loads(dry.stdout), separators=(",", ":")) if dry.returncode == 0 else dry.stderr))
    server.shutdown()


if __name__ == "__main__":
    main()
