#!/usr/bin/env python3
"""Generates src/ApiMachinery/Schema/go-json-facts.tsv: how Go's encoding/json writes each built-in type.

kube-apiserver decodes every object into its Go struct and encodes it again, so what it stores and
answers is shaped by the Go types, not only by the JSON a client sent: a non-pointer struct field is
always written ({} at least, since omitempty never omits a struct), a field without omitempty is written
with its zero value ("", 0, false, null), and omitempty drops "", 0, false, empty lists and maps. The
OpenAPI document does not carry those facts; the struct declarations of k8s.io/api, k8s.io/apimachinery,
k8s.io/apiextensions-apiserver and k8s.io/kube-aggregator do. This script reads the declarations (type
and json tag of each field; no comments, descriptions or code are copied) and writes one row per JSON
field, keyed by the OpenAPI definition name the schema facts use:

  S <definition>                                     a struct (its fields follow; an empty struct has none)
  J <definition> <json> <holder> <element> <flags>   one JSON field of it, in declaration order

holder: value (the field holds the element itself), pointer, slice or map (of the element).
element: string, bool, number, bytes ([]byte: base64 text), any (interface{} or a collection without a
struct in it), a type with its own JSON form -- time, microtime, duration, quantity, intorstring,
rawextension, fieldsv1, json (apiextensions JSON), opaque (apiextensions' JSONSchemaPropsOr... unions) --
or @<definition> for a struct. An element prefixed with * is held by pointer inside a slice or map.
flags, comma-separated or "-": omitempty, omitzero. Embedded structs (TypeMeta, ObjectMeta inline) are
flattened into their parent's rows, as Go's encoder flattens them.

The structs written are those the schema facts name (--schema) and every struct their fields reach.

usage: python3 tools/gen-go-json-facts.py [--api DIR] [--apimachinery DIR] [--apiextensions DIR] \\
           [--aggregator DIR] [--ref-minor 35] > src/ApiMachinery/Schema/go-json-facts.tsv
Each DIR is a bare git directory (as the fetch tool leaves them under /work/.mirror); each is read at
its newest v0.<minor>.N tag.
"""
import argparse
import os
import re
import subprocess
import sys

MIRROR = "/work/.mirror"

# Scalar Go types and the element they are.
SCALARS = {"string": "string", "bool": "bool", "byte": "number"}
for _bits in ("", "8", "16", "32", "64"):
    SCALARS["int" + _bits] = "number"
    SCALARS["uint" + _bits] = "number"
SCALARS["float32"] = SCALARS["float64"] = "number"

# Types with their own MarshalJSON: (package path, name) -> element.
SPECIAL = {
    ("k8s.io/apimachinery/pkg/apis/meta/v1", "Time"): "time",
    ("k8s.io/apimachinery/pkg/apis/meta/v1", "MicroTime"): "microtime",
    ("k8s.io/apimachinery/pkg/apis/meta/v1", "Duration"): "duration",
    ("k8s.io/apimachinery/pkg/apis/meta/v1", "FieldsV1"): "fieldsv1",
    ("k8s.io/apimachinery/pkg/api/resource", "Quantity"): "quantity",
    ("k8s.io/apimachinery/pkg/util/intstr", "IntOrString"): "intorstring",
    ("k8s.io/apimachinery/pkg/runtime", "RawExtension"): "rawextension",
    ("k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1", "JSON"): "json",
    ("k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1", "JSONSchemaPropsOrBool"): "opaque",
    ("k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1", "JSONSchemaPropsOrArray"): "opaque",
    ("k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1", "JSONSchemaPropsOrStringArray"): "opaque",
}

MACHINERY_PACKAGES = ["pkg/apis/meta/v1", "pkg/runtime", "pkg/util/intstr", "pkg/api/resource", "pkg/types", "pkg/version"]


class Repo:
    """A bare git directory read at one tag; module is the Go import path of its root."""

    def __init__(self, path, module, minor):
        self.path = path
        self.module = module
        tags = [t for t in self.git("tag", "--list", f"v0.{minor}.*").split() if re.fullmatch(r"v0\.\d+\.\d+", t)]
        if not tags:
            raise SystemExit(f"{path}: no v0.{minor}.N tag")
        self.ref = max(tags, key=lambda t: int(t.rsplit(".", 1)[1]))
        self.commit = self.git("rev-parse", f"{self.ref}^{{commit}}").strip()

    def git(self, *args):
        return subprocess.run(["git", "--git-dir", self.path, *args], capture_output=True, text=True, check=True).stdout

    def directories(self):
        return [p for p in self.git("ls-tree", "-d", "-r", "--name-only", self.ref).split("\n") if p]

    def go_sources(self, directory):
        names = [n.rsplit("/", 1)[-1] for n in self.git("ls-tree", "--name-only", f"{self.ref}:{directory}").split("\n") if n]
        for name in sorted(names):
            if name.endswith(".go") and not name.endswith("_test.go") and not name.startswith(("zz_generated", "generated")):
                yield self.git("show", f"{self.ref}:{directory}/{name}")


def without_comments(src):
    """The source without // and /* */ comments; string and struct-tag literals kept."""
    out, i, n = [], 0, len(src)
    while i < n:
        if src.startswith("//", i):
            i = src.find("\n", i) if src.find("\n", i) >= 0 else n
        elif src.startswith("/*", i):
            i = src.find("*/", i + 2) + 2
        elif src[i] in "\"'`":
            quote, j = src[i], i + 1
            while j < n and src[j] != quote:
                j += 2 if quote != "`" and src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        else:
            out.append(src[i])
            i += 1
    return "".join(out)


def imports_of(src):
    aliases = {}
    blocks = re.findall(r"^import \((.*?)^\)", src, re.S | re.M) + re.findall(r"^import (.*)$", src, re.M)
    for block in blocks:
        for alias, path in re.findall(r'^\s*(?:([\w.]+)\s+)?"([^"]+)"', block, re.M):
            aliases[alias or path.rsplit("/", 1)[-1]] = path
    return aliases


def closing_brace(src, i):
    depth = 0
    for j in range(i, len(src)):
        depth += {"{": 1, "}": -1}.get(src[j], 0)
        if depth == 0:
            return j
    raise ValueError("unbalanced braces")


class Package:
    """The struct and named types of one Go package, each with the imports of its file."""

    def __init__(self, path):
        self.path = path
        self.structs = {}  # name -> [(go name or None when embedded, go type, json tag or None)], imports
        self.named = {}    # name -> underlying go type, imports

    def read(self, src):
        if re.search(r"^//go:build (?!!)", src, re.M):
            return  # behind a custom build tag: the default build skips it
        src = without_comments(src)
        imports = imports_of(src)
        decls = [(m.group(1), m.start(2), m.group(2)) for m in re.finditer(r"^type\s+(\w+)\s+(.*)$", src, re.M)]
        for block in re.finditer(r"^type\s*\(", src, re.M):
            end = src.find("\n)", block.end())
            decls += [(d.group(1), block.end() + d.start(2), d.group(2))
                      for d in re.finditer(r"^\s+(\w+)\s+(.*)$", src[block.end():end], re.M)]
        for name, at, rest in decls:
            if rest.startswith("struct"):
                brace = src.index("{", at)
                self.structs[name] = (self.fields(src[brace + 1:closing_brace(src, brace)]), imports)
            elif rest.startswith("="):
                self.named[name] = (rest[1:].strip(), imports)  # an alias reads as what it names
            elif not rest.startswith(("interface", "func")):
                self.named[name] = (rest.strip(), imports)

    @staticmethod
    def fields(body):
        fields = []
        for line in body.split("\n"):
            line = line.strip()
            if not line:
                continue
            m = re.fullmatch(r"(?:(\w+(?:\s*,\s*\w+)*)\s+)?(\*?[\w.\[\]*]+(?:\[[\w.]+\][\w.\[\]*]+)?(?:interface\{\})?)\s*(`[^`]*`)?", line)
            if not m:
                # Only types the facts need must be readable: rows() refuses this one if asked for it.
                fields.append((None, None, line))
                continue
            tag = re.search(r'json:"([^"]*)"', m.group(3) or "")
            for go_name in ([n.strip() for n in m.group(1).split(",")] if m.group(1) else [None]):
                fields.append((go_name, m.group(2), tag.group(1) if tag else None))
        return fields


def definition_name(package_path, name):
    """k8s.io/api/core/v1 + Pod -> io.k8s.api.core.v1.Pod, the OpenAPI definition name."""
    domain, rest = package_path.split("/", 1)
    return ".".join(list(reversed(domain.split("."))) + rest.split("/") + [name])


class Types:
    def __init__(self, repos):
        self.packages = {}
        for repo, directories in repos:
            for directory in directories:
                package = Package(f"{repo.module}/{directory}")
                for src in repo.go_sources(directory):
                    package.read(src)
                self.packages[package.path] = package

    def qualify(self, package, gotype, imports):
        if "." not in gotype:
            return package.path, gotype
        alias, name = gotype.split(".", 1)
        return imports[alias], name

    def element(self, package, gotype, imports):
        """The element a Go type is, with * when it is a pointer to it."""
        pointer = gotype.startswith("*")
        gotype = gotype.lstrip("*")
        star = "*" if pointer else ""
        if gotype == "[]byte":
            return star + "bytes"
        if gotype.startswith(("[]", "map[")) or gotype in ("interface{}", "any"):
            return star + "any"
        if gotype in SCALARS:
            return star + SCALARS[gotype]
        path, name = self.qualify(package, gotype, imports)
        if path == "time" and name == "Duration":
            return star + "number"
        if (path, name) in SPECIAL:
            return star + SPECIAL[(path, name)]
        owner = self.packages.get(path)
        if owner is None:
            raise KeyError(f"{gotype}: package {path} not read")
        if name in owner.structs:
            return star + "@" + definition_name(path, name)
        if name in owner.named:
            underlying, inner_imports = owner.named[name]
            inner = self.element(owner, underlying, inner_imports)
            return star + inner if not inner.startswith("*") else inner
        raise KeyError(f"unresolved type {path}.{name}")

    def holder(self, package, gotype, imports):
        """(holder, element) of a field's Go type, following named types to what they are."""
        if gotype.startswith("*"):
            return "pointer", self.element(package, gotype[1:], imports).lstrip("*")
        if gotype == "[]byte":
            return "value", "bytes"
        if gotype.startswith("[]"):
            return "slice", self.element(package, gotype[2:], imports)
        if gotype.startswith("map["):
            return "map", self.element(package, re.fullmatch(r"map\[[^\]]+\](.+)", gotype).group(1), imports)
        if gotype not in SCALARS and gotype not in ("interface{}", "any"):
            path, name = self.qualify(package, gotype, imports)
            owner = self.packages.get(path)
            if owner is not None and name in owner.named and (path, name) not in SPECIAL:
                underlying, inner_imports = owner.named[name]
                return self.holder(owner, underlying, inner_imports)
        if gotype in ("interface{}", "any"):
            return "pointer", "any"  # a nil interface writes null, like a nil pointer
        return "value", self.element(package, gotype, imports)

    def by_name(self, definition):
        """(package, struct name) of an OpenAPI definition name."""
        for package in self.packages.values():
            prefix = definition_name(package.path, "")
            name = definition[len(prefix):]
            if definition.startswith(prefix) and name in package.structs:
                return package, name
        raise KeyError(definition)

    def struct_of(self, package, gotype, imports):
        """(package, struct name) a type names, through aliases and named types."""
        path, name = self.qualify(package, gotype, imports)
        owner = self.packages[path]
        if name in owner.structs:
            return owner, name
        underlying, inner_imports = owner.named[name]
        return self.struct_of(owner, underlying, inner_imports)

    def rows(self, package, name):
        """The JSON fields of a struct: (json name, holder, element, flags), embedded structs flattened."""
        fields, imports = package.structs[name]
        rows = []
        for go_name, gotype, tag in fields:
            if gotype is None:
                raise ValueError(f"{package.path}.{name}: cannot read struct field {tag!r}")
            if go_name is not None and not go_name[0].isupper():
                continue
            parts = (tag if tag is not None else "").split(",")
            json_name, options = parts[0], set(parts[1:])
            if tag == "-":
                continue
            if go_name is None and json_name == "":
                # Embedded: Go promotes the embedded struct's fields.
                rows += self.rows(*self.struct_of(package, gotype.lstrip("*"), imports))
                continue
            holder, element = self.holder(package, gotype, imports)
            flags = ",".join(sorted(o for o in options if o in ("omitempty", "omitzero"))) or "-"
            rows.append((json_name or go_name, holder, element, flags))
        return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--api", default=f"{MIRROR}/kubernetes+api/repo")
    ap.add_argument("--apimachinery", default=f"{MIRROR}/kubernetes+apimachinery/repo")
    ap.add_argument("--apiextensions", default=f"{MIRROR}/kubernetes+apiextensions-apiserver/repo")
    ap.add_argument("--aggregator", default=f"{MIRROR}/kubernetes+kube-aggregator/repo")
    ap.add_argument("--schema", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "ApiMachinery", "Schema", "schema-facts.tsv"))
    ap.add_argument("--ref-minor", default="35", help="read each repository at its newest v0.<minor>.N tag")
    args = ap.parse_args()

    api = Repo(args.api, "k8s.io/api", args.ref_minor)
    machinery = Repo(args.apimachinery, "k8s.io/apimachinery", args.ref_minor)
    apiextensions = Repo(args.apiextensions, "k8s.io/apiextensions-apiserver", args.ref_minor)
    aggregator = Repo(args.aggregator, "k8s.io/kube-aggregator", args.ref_minor)
    api_dirs = [d for d in api.directories() if re.fullmatch(r"[a-z]+/v\d+((alpha|beta)\d+)?", d)]
    types = Types([
        (api, api_dirs),
        (machinery, MACHINERY_PACKAGES),
        (apiextensions, ["pkg/apis/apiextensions/v1", "pkg/apis/apiextensions/v1beta1"]),
        (aggregator, ["pkg/apis/apiregistration/v1", "pkg/apis/apiregistration/v1beta1"]),
    ])

    with open(args.schema, encoding="utf-8") as f:
        wanted = {cells[1] for cells in (line.rstrip("\n").split("\t") for line in f) if cells[0] == "D" and cells[2] == "object"}

    by_definition = {}
    for package in types.packages.values():
        for name in package.structs:
            definition = definition_name(package.path, name)
            if definition in wanted and (package.path, name) not in SPECIAL:
                by_definition[definition] = (package, name)

    # The wanted structs and every struct their fields reach (an empty struct has no rows of its own).
    rows_of, todo = {}, sorted(by_definition)
    while todo:
        definition = todo.pop()
        if definition in rows_of:
            continue
        package, name = by_definition.get(definition) or types.by_name(definition)
        rows_of[definition] = types.rows(package, name)
        todo += [element.lstrip("*")[1:] for _, _, element, _ in rows_of[definition] if element.lstrip("*").startswith("@")]

    out = sys.stdout
    out.write("# How Go's encoding/json writes the built-in types, generated by tools/gen-go-json-facts.py from the\n")
    out.write(f"# struct declarations of k8s.io/api {api.ref} ({api.commit[:12]}), k8s.io/apimachinery {machinery.ref} ({machinery.commit[:12]}),\n")
    out.write(f"# k8s.io/apiextensions-apiserver {apiextensions.ref} ({apiextensions.commit[:12]}), k8s.io/kube-aggregator {aggregator.ref} ({aggregator.commit[:12]}).\n")
    out.write("# Facts only; see the script for the format.\n")
    for definition in sorted(rows_of):
        out.write(f"S\t{definition}\n")
        for json_name, holder, element, flags in rows_of[definition]:
            out.write(f"J\t{definition}\t{json_name}\t{holder}\t{element}\t{flags}\n")
    missing = sorted(wanted - set(by_definition))
    fields = sum(len(r) for r in rows_of.values())
    print(f"{len(rows_of)} structs, {fields} fields; object definitions without a Go struct here: {missing}", file=sys.stderr)


main()
