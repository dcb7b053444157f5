#!/usr/bin/env python3
"""Generates src/ApiMachinery/Serialization/Protobuf/kube-protobuf-schema.tsv.

client-go's typed clients send request bodies in Kubernetes' protobuf encoding. To turn them into the
JSON Go would write for the same value, the server needs, per Go struct field: its protobuf number,
JSON name, pointer-ness, omitempty/omitzero/inline, and element type. Those facts are in the struct
tags of k8s.io/api and k8s.io/apimachinery; this script reads them and writes them in the project's
own format (no source text is copied). Only GA group/versions (v1, v2) are read.

usage: python3 tools/gen-protobuf-schema.py <k8s.io/api git dir> <k8s.io/apimachinery git dir> <output.tsv> [ref]
The committed file was generated from the Kubernetes 1.35 tags (ref v0.35.0) of bare clones:
  python3 tools/gen-protobuf-schema.py /work/.mirror/kubernetes+api/repo \
      /work/.mirror/kubernetes+apimachinery/repo src/ApiMachinery/Serialization/Protobuf/kube-protobuf-schema.tsv v0.35.0
"""
import re, subprocess, sys

def git(repo, *a):
    return subprocess.run(["git", "--git-dir", repo, *a], capture_output=True, text=True, check=True).stdout

REF = "HEAD"

def ls(repo, path):
    args = ["ls-tree", "--name-only", REF] + ([path] if path else [])
    return [p for p in git(repo, *args).split("\n") if p]

def show(repo, path):
    return git(repo, "show", f"{REF}:{path}")

# Go import path of a package -> our package id
MACH_PKGS = {"pkg/apis/meta/v1": "meta/v1", "pkg/util/intstr": "intstr", "pkg/api/resource": "resource", "pkg/runtime": "runtime", "pkg/types": "types"}
ALIASES = {"metav1": "meta/v1", "intstr": "intstr", "resource": "resource", "runtime": "runtime", "types": "types"}
SPECIAL = {"meta/v1.Time": "time", "meta/v1.MicroTime": "microtime", "meta/v1.Duration": "duration", "resource.Quantity": "quantity",
           "intstr.IntOrString": "intorstring", "runtime.RawExtension": "rawext", "meta/v1.FieldsV1": "fieldsv1", "types.UID": "string"}
SCALARS = {"string": "string", "int32": "int32", "int64": "int64", "int": "int64", "bool": "bool", "float64": "double", "uint64": "uint64", "int16": "int32", "uint32": "int32"}

structs = {}   # pkg.Name -> [(goname, gotype, jsontag, prototag)]
named = {}     # pkg.Name -> underlying go type (non-struct)
imports_of = {}

STRUCT_RE = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.S | re.M)
NAMED_RE = re.compile(r"^type (\w+) (?!struct)([^\s=][^\n]*)$", re.M)
FIELD_RE = re.compile(r"^\s+(?:(\w+)\s+)?([\*\[\]\w\.]+(?:\[[\w\.]+\][\*\[\]\w\.]+)?)\s+`([^`]*)`", re.M)

IMPORT_RE = re.compile(r'^\s*(?:(\w+)\s+)?"([^"]+)"\s*$', re.M)

def import_aliases(src):
    """alias -> package id for the packages whose types can appear in fields."""
    aliases = dict(ALIASES)
    block = re.search(r"^import \((.*?)^\)", src, re.S | re.M)
    for m in IMPORT_RE.finditer(block.group(1) if block else ""):
        alias, path = m.group(1), m.group(2)
        alias = alias or path.rsplit("/", 1)[-1]
        if path.startswith("k8s.io/api/"):
            aliases[alias] = path[len("k8s.io/api/"):]
        elif path.startswith("k8s.io/apimachinery/"):
            sub = path[len("k8s.io/apimachinery/"):]
            if sub in MACH_PKGS:
                aliases[alias] = MACH_PKGS[sub]
    return aliases

struct_aliases = {}

def parse_package(pkg, sources):
    for src in sources:
        aliases = import_aliases(src)
        src = re.sub(r"//[^\n]*", "", src)
        for m in STRUCT_RE.finditer(src):
            fields = []
            for f in FIELD_RE.finditer(m.group(2)):
                name, gotype, tags = f.group(1), f.group(2), f.group(3)
                j = re.search(r'json:"([^"]*)"', tags)
                p = re.search(r'protobuf:"([^"]*)"', tags)
                jtag = j.group(1) if j else None
                if name is None:  # an embedded struct with no json name is flattened into its parent
                    name = gotype.split(".")[-1]
                    if not (jtag or "").split(",")[0]:
                        jtag = ",inline"
                fields.append((name, gotype, jtag, p.group(1) if p else None))
            structs[f"{pkg}.{m.group(1)}"] = fields
            struct_aliases[f"{pkg}.{m.group(1)}"] = aliases
        for m in NAMED_RE.finditer(src):
            named[f"{pkg}.{m.group(1)}"] = m.group(2).strip()

CURRENT_ALIASES = [ALIASES]

def qualify(pkg, t):
    if "." in t:
        alias, name = t.split(".", 1)
        if alias == "time" and name == "Duration":
            return "int64"
        return f"{CURRENT_ALIASES[0].get(alias, alias)}.{name}"
    if t in SCALARS or t == "byte":
        return t
    return f"{pkg}.{t}"

def resolve(pkg, gotype):
    """-> (flags set, kind, elem) where elem is a message id, a scalar kind, or a map spec."""
    flags = set()
    t = gotype
    if t.startswith("*"):
        flags.add("ptr"); t = t[1:]
    if t == "[]byte":
        return flags, "bytes", ""
    if t.startswith("[]"):
        flags.add("rep"); t = t[2:]
        if t.startswith("*"):
            t = t[1:]
    if t.startswith("map["):
        k, v = re.match(r"map\[([^\]]+)\](.+)", t).groups()
        _, kk, ke = resolve(pkg, k)
        vf, vk, ve = resolve(pkg, v)
        if "rep" in vf:  # map values that are lists travel wrapped in a message {repeated items = 1}
            vk, ve = "wrapped", f"{vk}:{ve}"
        flags.add("map")
        return flags, "map", f"{kk}|{vk}|{ve}"
    q = qualify(pkg, t)
    if q in SPECIAL:
        return flags, SPECIAL[q], ""
    if q in SCALARS:
        return flags, SCALARS[q], ""
    if q in structs:
        return flags, "message", q
    if q in named:
        inner = named[q]
        ipkg = q.rsplit(".", 1)[0]
        f2, k2, e2 = resolve(ipkg, inner)
        return flags | f2, k2, e2
    raise KeyError(f"unresolved type {gotype} in {pkg}")

def main():
    global REF
    api, mach, out = sys.argv[1:4]
    REF = sys.argv[4] if len(sys.argv) > 4 else "HEAD"
    groups = {}
    for path, pkg in MACH_PKGS.items():
        files = [f for f in ls(mach, path + "/") if f.endswith(".go") and not f.endswith("_test.go") and "generated" not in f]
        parse_package(pkg, [show(mach, f) for f in files])
    for top in ls(api, ""):
        if "/" in top or "." in top:
            continue
        for ver in ls(api, top + "/"):
            v = ver.split("/")[-1]
            if not re.fullmatch(r"v\d+", v):
                continue
            files = [f for f in ls(api, ver + "/") if f.endswith(".go") and not f.endswith("_test.go") and "generated" not in f]
            if not files:
                continue
            sources = [show(api, f) for f in files]
            pkg = f"{top}/{v}"
            parse_package(pkg, sources)
            reg = next((s for s in sources if "GroupName" in s), "")
            g = re.search(r'GroupName\s*=\s*"([^"]*)"', reg)
            groups[pkg] = (g.group(1) if g else None, v)
    lines = []
    kinds = []
    for sid in sorted(structs):
        pkg = sid.rsplit(".", 1)[0]
        for name, gotype, jtag, ptag in structs[sid]:
            if ptag is None:
                continue
            jparts = (jtag or "").split(",")
            jname = jparts[0] or ""
            if jname == "-":
                continue
            if "," not in ptag:
                continue
            wire, num = ptag.split(",")[:2]
            CURRENT_ALIASES[0] = struct_aliases.get(sid, ALIASES)
            try:
                flags, kind, elem = resolve(pkg, gotype)
            except KeyError as e:
                print(f"skip {sid}.{name}: {e}", file=sys.stderr)
                continue
            flags |= {o for o in jparts[1:] if o in ("omitempty", "omitzero", "inline")}
            lines.append("\t".join([sid, num, jname, ",".join(sorted(flags)), kind, elem]))
        fields = structs[sid]
        if pkg in groups and groups[pkg][0] is not None and any(n == "TypeMeta" for n, *_ in fields) and any(n in ("ObjectMeta", "ListMeta") for n, *_ in fields):
            g, v = groups[pkg]
            kinds.append("\t".join(["#kind", f"{g}/{v}" if g else v, sid.rsplit(".", 1)[1], sid]))
    # Kinds without a group package: meta/v1 Status and options.
    for k in ("Status", "DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "Table", "PartialObjectMetadata", "List"):
        if f"meta/v1.{k}" in structs:
            kinds.append("\t".join(["#kind", "v1", k, f"meta/v1.{k}"]))
            kinds.append("\t".join(["#kind", "meta.k8s.io/v1", k, f"meta/v1.{k}"]))
    with open(out, "w") as f:
        f.write(f"# Generated by tools/gen-protobuf-schema.py from the Go types of k8s.io/api and k8s.io/apimachinery at {REF}. Do not edit.\n")
        f.write("# message\tfield\tjson\tflags\tkind\telement\n")
        f.write("\n".join(kinds) + "\n")
        f.write("\n".join(lines) + "\n")
    print(f"{len(kinds)} kinds, {len(lines)} fields", file=sys.stderr)

main()
