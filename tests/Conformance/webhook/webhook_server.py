#!/usr/bin/env python3
"""An admission webhook server for the conformance tests: HTTPS with the given certificate.

usage: webhook_server.py CERT KEY PORTFILE

Paths (each answers an AdmissionReview v1):
  /validate  denies objects labelled deny=true, with a warning on every answer
  /mutate    adds the label mutated=yes (a JSONPatch)
  /strip     removes a Service's spec.sessionAffinity (a defaulted field) when it has one
  /slow      sleeps 5 seconds before allowing (for timeoutSeconds and failurePolicy)
  /slow-delete  a DELETE of an object (oldObject) labelled deny=true is denied at once; any other
             is allowed after 5 seconds (time for the test to change the object meanwhile)
  /convert   a CRD conversion webhook (ConversionReview v1): spec.color in v1 is spec.paint in v2
  /convert-fail  answers every ConversionReview with a Failure result
Every review received is appended, one JSON line per review, to PORTFILE + ".log".
"""
import base64
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

cert, key, port_file = sys.argv[1], sys.argv[2], sys.argv[3]
parent = os.getppid()  # the test host, read before anything slow


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        review = json.loads(self.rfile.read(length))
        request = review["request"]
        if self.path.startswith("/convert"):
            self.convert(request)
            return
        with open(port_file + ".log", "a") as log:
            log.write(json.dumps({"path": self.path, "request": request}) + "\n")
        response = {"uid": request["uid"], "allowed": True}
        obj = request.get("object") or {}
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if self.path.startswith("/validate"):
            response["warnings"] = ["checked by the test webhook"]
            if labels.get("deny") == "true":
                response["allowed"] = False
                response["status"] = {"code": 403, "reason": "Forbidden", "message": "pods labelled deny=true are not welcome"}
        elif self.path.startswith("/mutate"):
            ops = []
            if not labels:
                ops.append({"op": "add", "path": "/metadata/labels", "value": {}})
            ops.append({"op": "add", "path": "/metadata/labels/mutated", "value": "yes"})
            response["patchType"] = "JSONPatch"
            response["patch"] = base64.b64encode(json.dumps(ops).encode()).decode()
        elif self.path.startswith("/strip"):
            if "sessionAffinity" in (obj.get("spec") or {}):
                response["patchType"] = "JSONPatch"
                response["patch"] = base64.b64encode(json.dumps([{"op": "remove", "path": "/spec/sessionAffinity"}]).encode()).decode()
        elif self.path.startswith("/slow-delete"):
            old_labels = ((request.get("oldObject") or {}).get("metadata") or {}).get("labels") or {}
            if old_labels.get("deny") == "true":
                response["allowed"] = False
                response["status"] = {"code": 403, "reason": "Forbidden", "message": "objects labelled deny=true may not be deleted"}
            else:
                time.sleep(5)
        elif self.path.startswith("/slow"):
            time.sleep(5)
        body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def convert(self, request):
        with open(port_file + ".log", "a") as log:
            log.write(json.dumps({"path": self.path, "request": request}) + "\n")
        response = {"uid": request["uid"]}
        if self.path.startswith("/convert-fail"):
            response["result"] = {"status": "Failure", "message": "the test webhook refuses to convert"}
        else:
            desired = request["desiredAPIVersion"]
            converted = []
            for obj in request["objects"]:
                spec = obj.get("spec") or {}
                if desired.endswith("/v2") and "color" in spec:
                    spec["paint"] = spec.pop("color")
                elif desired.endswith("/v1") and "paint" in spec:
                    spec["color"] = spec.pop("paint")
                obj["apiVersion"] = desired
                converted.append(obj)
            response["convertedObjects"] = converted
            response["result"] = {"status": "Success"}
        body = json.dumps({"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview", "response": response}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)


def exit_when_orphaned():
    # The test disposes of this process; if the test host dies first (an aborted run, a killed
    # dotnet test), nothing would, and an orphaned server was once found an hour and a half later.
    while os.getppid() == parent and parent != 1:
        time.sleep(1)
    os._exit(0)


threading.Thread(target=exit_when_orphaned, daemon=True).start()
server.serve_forever()
