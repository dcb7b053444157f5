#!/usr/bin/env python3
"""Generates src/ApiServer/Resources/builtin-resources.tsv from the official resource list.

Input:  ../shared/k8s-openapi-1.35/resources.tsv (one row per built-in resource of the 1.35 API).
Output: the project's own table of facts the server installs its REST handlers and discovery from.

The official files are reference data we may not commit; this table holds only facts derived from
them (group, version, kind, plural, scope, verbs, subresources) plus the discovery facts that are not
in OpenAPI at all (short names, categories, singular names, storage key segments), kept here by hand.

Usage: python3 tools/gen-resource-table.py [path/to/resources.tsv]
"""
import csv
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INPUT = os.path.join(ROOT, "..", "shared", "k8s-openapi-1.35", "resources.tsv")
OUTPUT = os.path.join(ROOT, "src", "ApiServer", "Resources", "builtin-resources.tsv")

# Discovery short names as kube-apiserver advertises them (they live in each registry's Go code).
SHORT_NAMES = {
    ("", "pods"): "po", ("", "services"): "svc", ("", "namespaces"): "ns", ("", "nodes"): "no",
    ("", "configmaps"): "cm", ("", "endpoints"): "ep", ("", "events"): "ev", ("", "limitranges"): "limits",
    ("", "persistentvolumeclaims"): "pvc", ("", "persistentvolumes"): "pv",
    ("", "replicationcontrollers"): "rc", ("", "resourcequotas"): "quota", ("", "serviceaccounts"): "sa",
    ("", "componentstatuses"): "cs",
    ("apps", "deployments"): "deploy", ("apps", "daemonsets"): "ds", ("apps", "replicasets"): "rs",
    ("apps", "statefulsets"): "sts",
    ("autoscaling", "horizontalpodautoscalers"): "hpa", ("batch", "cronjobs"): "cj",
    ("certificates.k8s.io", "certificatesigningrequests"): "csr",
    ("networking.k8s.io", "ingresses"): "ing", ("networking.k8s.io", "networkpolicies"): "netpol",
    ("policy", "poddisruptionbudgets"): "pdb", ("scheduling.k8s.io", "priorityclasses"): "pc",
    ("storage.k8s.io", "storageclasses"): "sc",
    ("apiextensions.k8s.io", "customresourcedefinitions"): "crd,crds",
    ("events.k8s.io", "events"): "ev",
}

CATEGORIES = {
    ("", "pods"): "all", ("", "services"): "all", ("", "replicationcontrollers"): "all",
    ("apps", "deployments"): "all", ("apps", "daemonsets"): "all", ("apps", "replicasets"): "all",
    ("apps", "statefulsets"): "all", ("autoscaling", "horizontalpodautoscalers"): "all",
    ("batch", "jobs"): "all", ("batch", "cronjobs"): "all",
    ("apiextensions.k8s.io", "customresourcedefinitions"): "api-extensions",
    ("apiregistration.k8s.io", "apiservices"): "api-extensions",
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): "api-extensions",
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): "api-extensions",
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"): "api-extensions",
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"): "api-extensions",
}

# The etcd key segment where it differs from the plural (COMPAT.md, etcd layout). Built-in kinds
# have no group segment, except the API-extension kinds that kube-apiserver keys by group.
STORAGE_SEGMENTS = {
    ("", "services"): "services/specs", ("", "endpoints"): "services/endpoints", ("", "nodes"): "minions",
    ("", "replicationcontrollers"): "controllers", ("networking.k8s.io", "ingresses"): "ingress",
    ("apiextensions.k8s.io", "customresourcedefinitions"): "apiextensions.k8s.io/customresourcedefinitions",
    ("apiregistration.k8s.io", "apiservices"): "apiregistration.k8s.io/apiservices",
}

# Response kinds of subresources whose object is not the parent kind.
SUBRESOURCE_KINDS = {
    "scale": "autoscaling/v1/Scale", "binding": "/v1/Binding", "eviction": "policy/v1/Eviction",
    "token": "authentication.k8s.io/v1/TokenRequest", "log": "/v1/Pod", "exec": "/v1/PodExecOptions",
    "attach": "/v1/PodAttachOptions", "portforward": "/v1/PodPortForwardOptions", "proxy": "",
}

HEADER = ["group", "version", "kind", "plural", "singular", "namespaced", "verbs", "subresources",
          "shortNames", "categories", "storageSegment"]


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_INPUT
    rows = []
    with open(source, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            group, plural = r["group"], r["plural"]
            subs = [s for s in r["subresources"].split(",") if s]
            sub_cells = []
            for s in subs:
                kind = SUBRESOURCE_KINDS.get(s)
                if kind is None:  # status and friends answer with the parent's kind
                    kind = f"{group}/{r['version']}/{r['kind']}"
                sub_cells.append(f"{s}={kind}")
            rows.append([
                group, r["version"], r["kind"], plural, r["kind"].lower(), r["namespaced"], r["verbs"],
                ";".join(sub_cells), SHORT_NAMES.get((group, plural), ""),
                CATEGORIES.get((group, plural), ""), STORAGE_SEGMENTS.get((group, plural), plural),
            ])
    with open(OUTPUT, "w", newline="") as f:
        f.write("# Generated by tools/gen-resource-table.py from the Kubernetes 1.35 resource list. Do not edit.\n")
        f.write("\t".join(HEADER) + "\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    print(f"wrote {len(rows)} resources to {os.path.relpath(OUTPUT, ROOT)}")


if __name__ == "__main__":
    main()
