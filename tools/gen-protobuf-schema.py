#!/usr/bin/env python3
"""Generates src/ApiMachinery/Protobuf/KubeProtobufSchema.g.cs, the protobuf facts of the built-in kinds.

client-go's typed clients send request bodies as application/vnd.kubernetes.protobuf. Turning such a
body into the JSON kube-apiserver would write for the same object (and back) needs, per Go struct
field: its protobuf number, JSON name, whether it is a pointer, omitempty/omitzero, slice or map, and
the element type. Those facts live in the struct tags of k8s.io/api and k8s.io/apimachinery; this
script reads them and writes them as tab-separated rows in the project's own format (facts only: no
comments, descriptions or code are copied). The rows sit in a C# u8 string literal so the assembly
carries them without a resource lookup or a project-file entry.

Rows (fields of a message in Go declaration order, which is the order Go's encoding/json writes):
  K  <apiVersion> <Kind> <message>                      a registered kind and its message
  <message> <number> <json> <flags> <type>              one struct field
number is "-" for a field JSON has but protobuf lacks (an embedded TypeMeta); json is "-" for a
field protobuf has but JSON lacks, and empty for an embedded struct. flags, comma-separated or "-": ptr, omitempty, omitzero, rep
(slice), map, inline (an embedded struct whose fields JSON flattens into the parent). type: a scalar
(string bytes bool int32 int64 uint32 uint64 double float), a special type with its own JSON form
(time microtime duration quantity intorstring rawextension fieldsv1), a message ("core/v1.PodSpec"),
"[]T" for a named slice type that gogo carries as a message {repeated T items = 1} (ExtraValue),
and for maps "K:V".

Sources: bare git directories (as the search tool's fetch leaves them) read at a ref, or checked-out
trees (pass the directory that holds core/ and pkg/ respectively; --ref is then ignored). The ref
defaults to the newest release tag (vX.Y.Z) of k8s.io/api, read from both repositories.

The committed file was generated with
  python3 tools/gen-protobuf-schema.py --api /work/.mirror/kubernetes+api/repo \\
      --apimachinery /work/.mirror/kubernetes+apimachinery/repo
which picked ref v0.36.3 (k8s.io/api 3fde3c43c3cf3447606b9c2ac2c6257095444387,
k8s.io/apimachinery 40bf4b2b62f8838b9b37de7b407793f1f17ee225).
"""
import argparse
import os
import re
import subprocess
import sys

# Every GA group/version of k8s.io/api (a directory <group>/v<N>) is read; alpha and beta packages
# only when a GA type refers to one of their structs.
GA_VERSION = re.compile(r"v\d+")

# k8s.io/apimachinery packages: import path suffix -> package id in the schema.
MACHINERY = {
    "pkg/apis/meta/v1": "meta/v1",
    "pkg/runtime": "runtime",
    "pkg/util/intstr": "intstr",
    "pkg/api/resource": "resource",
    "pkg/types": "types",
}

# Types with hand-written JSON and protobuf forms.
SPECIAL = {
    "meta/v1.Time": "time",
    "meta/v1.MicroTime": "microtime",
    "meta/v1.Duration": "duration",
    "meta/v1.FieldsV1": "fieldsv1",
    "resource.Quantity": "quantity",
    "intstr.IntOrString": "intorstring",
    "runtime.RawExtension": "rawextension",
}

SCALARS = {
    "string": "string", "bool": "bool", "int32": "int32", "int64": "int64", "int": "int64",
    "uint32": "uint32", "uint64": "uint64", "float64": "double", "float32": "float",
    "int16": "int32", "uint16": "uint32", "byte": "uint32",
}

# The options kinds metav1.AddToGroupVersion registers in every group version, and the
# "unversioned" kinds it registers under v1.
OPTIONS_KINDS = ["ListOptions", "GetOptions", "DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions"]
UNVERSIONED_KINDS = ["Status", "APIVersions", "APIGroupList", "APIGroup", "APIResourceList"]
META_KINDS = OPTIONS_KINDS + ["TableOptions", "PartialObjectMetadata", "PartialObjectMetadataList", "Table"]
# meta/v1 types kept even when no kind reaches them.
EXTRA_ROOTS = ["meta/v1.Condition", "meta/v1.LabelSelector", "meta/v1.Preconditions", "meta/v1.WatchEvent"]


class Source:
    """Reads a repository: a bare git directory at a ref, or a checked-out tree."""

    def __init__(self, path, ref):
        self.path = path
        self.git = not os.path.isdir(os.path.join(path, "core")) and not os.path.isdir(os.path.join(path, "pkg"))
        self.ref = ref

    def _git(self, *args):
        return subprocess.run(["git", "--git-dir", self.path, *args], capture_output=True, text=True, check=True).stdout

    def commit(self):
        return self._git("rev-parse", f"{self.ref}^{{commit}}").strip() if self.git else "working tree"

    def go_files(self, directory):
        if self.git:
            names = [n.rsplit("/", 1)[-1] for n in self._git("ls-tree", "--name-only", f"{self.ref}:{directory}").split("\n") if n]
        else:
            full = os.path.join(self.path, directory)
            names = sorted(os.listdir(full)) if os.path.isdir(full) else []
        return sorted(n for n in names if n.endswith(".go") and not n.endswith("_test.go")
                      and not n.startswith("zz_generated") and not n.startswith("generated"))

    def ga_packages(self):
        if self.git:
            paths = [p for p in self._git("ls-tree", "-d", "-r", "--name-only", self.ref).split("\n") if p]
        else:
            paths = [os.path.relpath(d, self.path) for d, _, _ in os.walk(self.path)]
        return sorted(p for p in paths if p.count("/") == 1 and GA_VERSION.fullmatch(p.split("/")[1])
                      and not p.startswith((".", "testdata/")))

    def read(self, path):
        if self.git:
            return self._git("show", f"{self.ref}:{path}")
        with open(os.path.join(self.path, path), encoding="utf-8") as f:
            return f.read()


def newest_release(source):
    tags = [t for t in source._git("tag", "--list", "v*").split("\n") if re.fullmatch(r"v\d+\.\d+\.\d+", t)]
    return max(tags, key=lambda t: tuple(int(x) for x in t[1:].split(".")))


def strip_comments(src):
    """Removes // and /* */ comments, keeping string, rune and raw-string (struct tag) literals."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c in "\"'`":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if c != "`" and src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def build_constrained(src):
    """True for files behind a custom build tag (fieldsv1_string.go): the default build skips them."""
    m = re.search(r"^//go:build (.+)$", src, re.M)
    return bool(m) and not m.group(1).strip().startswith("!")


def parse_imports(src):
    aliases = {}
    blocks = re.findall(r"^import \((.*?)^\)", src, re.S | re.M) + re.findall(r"^import (.*)$", src, re.M)
    for block in blocks:
        for alias, path in re.findall(r'^\s*(?:([\w.]+)\s+)?"([^"]+)"', block, re.M):
            aliases[alias or path.rsplit("/", 1)[-1]] = path
    return aliases


def match_brace(src, i):
    """Index just past the brace that closes the one at src[i]."""
    depth = 0
    for j in range(i, len(src)):
        if src[j] == "{":
            depth += 1
        elif src[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    raise ValueError("unbalanced braces")


def parse_tag(tag):
    """A Go struct tag -> {key: value}, as reflect.StructTag reads it."""
    return dict(re.findall(r'(\w+):"((?:[^"\\]|\\.)*)"', tag))


class Package:
    def __init__(self, pkg_id):
        self.id = pkg_id
        self.structs = {}   # name -> [(go name or None, go type, tags, imports)]
        self.named = {}     # name -> (underlying go type, imports)
        self.group = None
        self.version = None
        self.kinds = []     # registered kind names (local struct names or "metav1.X")
        self.adds_meta = False


class Parser:
    def __init__(self, api, machinery):
        self.api = api
        self.machinery = machinery
        self.packages = {}

    def package(self, pkg_id):
        if pkg_id not in self.packages:
            self.packages[pkg_id] = self._load(pkg_id)
        return self.packages[pkg_id]

    def _load(self, pkg_id):
        pkg = Package(pkg_id)
        machinery_dir = next((d for d, p in MACHINERY.items() if p == pkg_id), None)
        source, directory = (self.machinery, machinery_dir) if machinery_dir else (self.api, pkg_id)
        for name in source.go_files(directory):
            raw = source.read(f"{directory}/{name}")
            if build_constrained(raw):
                continue
            src = strip_comments(raw)
            imports = parse_imports(src)
            self._parse_types(pkg, src, imports)
            if name == "register.go":
                self._parse_register(pkg, src)
        return pkg

    def _parse_types(self, pkg, src, imports):
        decls = []
        for m in re.finditer(r"^type\s+(\w+)\s+(.*)$", src, re.M):
            decls.append((m.group(1), m.group(2), m.start(2)))
        for m in re.finditer(r"^type\s*\(", src, re.M):
            end = src.find("\n)", m.end())
            for d in re.finditer(r"^\s+(\w+)\s+(.*)$", src[m.end():end], re.M):
                decls.append((d.group(1), d.group(2), m.end() + d.start(2)))
        for name, rest, at in decls:
            if rest.startswith("struct"):
                brace = src.index("{", at)
                body = src[brace + 1:match_brace(src, brace) - 1]
                if name in pkg.structs and pkg.id + "." + name not in SPECIAL:
                    raise ValueError(f"{pkg.id}.{name} declared twice")
                pkg.structs[name] = self._parse_fields(pkg, name, body, imports)
            elif not rest.startswith("interface") and not rest.startswith("func") and not rest.startswith("="):
                pkg.named[name] = (rest.strip(), imports)

    def _parse_fields(self, pkg, struct, body, imports):
        fields = []
        for line in body.split("\n"):
            line = line.strip()
            if not line:
                continue
            m = re.fullmatch(r"(?:(\w+(?:\s*,\s*\w+)*)\s+)?(\*?[\w.\[\]*]+(?:\[[\w.]+\][\w.\[\]*]+)?(?:interface\{\})?)\s*(`[^`]*`)?", line)
            if not m:
                raise ValueError(f"cannot read a field of {pkg.id}.{struct}: {line!r}")
            names, gotype, tag = m.group(1), m.group(2), parse_tag(m.group(3) or "")
            for go_name in ([n.strip() for n in names.split(",")] if names else [None]):
                fields.append((go_name, gotype, tag, imports))
        return fields

    def _parse_register(self, pkg, src):
        g = re.search(r'GroupName\s*=\s*"([^"]*)"', src)
        v = re.search(r'SchemeGroupVersion\s*=\s*schema\.GroupVersion\{Group:\s*\w+,\s*Version:\s*"([^"]+)"\}', src)
        if g and v:
            pkg.group, pkg.version = g.group(1), v.group(1)
        for block in re.findall(r"AddKnownTypes\(SchemeGroupVersion,(.*?)\)\n", src, re.S):
            pkg.kinds += re.findall(r"&([\w.]+)\{\}", block)
        pkg.adds_meta = "metav1.AddToGroupVersion(" in src


class Schema:
    """Resolves Go types to schema types and collects the messages reachable from the kinds."""

    def __init__(self, parser):
        self.parser = parser
        self.messages = {}  # message id -> rows, or None while being built
        self.kinds = []

    def qualify(self, pkg_id, name, imports):
        """'metav1.Time' in a package importing metav1 -> ('meta/v1', 'Time')."""
        if "." not in name:
            return pkg_id, name
        alias, local = name.split(".", 1)
        path = imports.get(alias)
        if path is None:
            raise KeyError(f"unknown import alias {alias}")
        if path.startswith("k8s.io/api/"):
            return path[len("k8s.io/api/"):], local
        if path.startswith("k8s.io/apimachinery/"):
            sub = path[len("k8s.io/apimachinery/"):]
            if sub in MACHINERY:
                return MACHINERY[sub], local
        if path == "time" and local == "Duration":
            return None, "int64"
        raise KeyError(f"type {name} from {path} has no protobuf form here")

    def resolve(self, pkg_id, gotype, imports):
        """-> (flags, type) for a Go field type."""
        flags = []
        t = gotype
        if t.startswith("*"):
            flags.append("ptr")
            t = t[1:]
        if t == "[]byte":
            return flags, "bytes"
        if t.startswith("[]"):
            flags.append("rep")
            t = t[2:].lstrip("*")
            inner_flags, inner = self.resolve(pkg_id, t, imports)
            if "rep" in inner_flags or "map" in inner_flags:
                raise KeyError(f"nested collection {gotype}")
            return flags, inner
        if t.startswith("map["):
            key, value = re.fullmatch(r"map\[([^\]]+)\](.+)", t).groups()
            _, key_type = self.resolve(pkg_id, key, imports)
            value_flags, value_type = self.resolve(pkg_id, value, imports)
            if "rep" in value_flags or "map" in value_flags:
                raise KeyError(f"map value {value} is a collection without a named type")
            return flags + ["map"], f"{key_type}:{value_type}"
        if t in SCALARS:
            return flags, SCALARS[t]
        if t in ("interface{}", "any"):
            raise KeyError(f"{gotype} has no protobuf form")
        owner, name = self.qualify(pkg_id, t, imports)
        if owner is None:
            return flags, name
        full = f"{owner}.{name}"
        if full in SPECIAL:
            return flags, SPECIAL[full]
        pkg = self.parser.package(owner)
        if name in pkg.structs:
            self.message(owner, name)
            return flags, full
        if name in pkg.named:
            underlying, inner_imports = pkg.named[name]
            inner_flags, inner = self.resolve(owner, underlying, inner_imports)
            if "rep" in inner_flags:
                # gogo carries a named slice type (ExtraValue, Verbs) as a message {repeated items = 1}.
                return flags, f"[]{inner}"
            return flags + inner_flags, inner
        raise KeyError(f"unresolved type {full}")

    def message(self, pkg_id, name):
        full = f"{pkg_id}.{name}"
        if full in self.messages:
            return full
        self.messages[full] = None
        rows = []
        for go_name, gotype, tag, imports in self.parser.package(pkg_id).structs[name]:
            if go_name is not None and not go_name[0].isupper():
                continue
            json_tag = tag.get("json")
            proto_tag = tag.get("protobuf")
            json_parts = (json_tag if json_tag is not None else (go_name or "")).split(",")
            json_name = json_parts[0]
            options = set(json_parts[1:])
            inline = go_name is None and json_name == ""
            if json_tag == "-":
                json_name, options = "-", set()
            elif go_name is not None and json_name == "":
                json_name = go_name
            if proto_tag is None and json_name == "-":
                continue
            if proto_tag == "-":
                proto_tag = None
            try:
                flags, value = self.resolve(pkg_id, gotype, imports)
            except KeyError as e:
                if proto_tag is None and json_name != "-" and ("omitempty" in options or inline):
                    # A JSON-only field with no protobuf form (Table cells) that JSON omits when empty.
                    print(f"note: {full}.{go_name or gotype} skipped: {e}", file=sys.stderr)
                    continue
                raise KeyError(f"{full}.{go_name or gotype}: {e}") from None
            if inline:
                if not value.count(".") or value in SPECIAL.values():
                    raise KeyError(f"{full}: embedded {gotype} is not a struct")
                flags.append("inline")
            flags += sorted(o for o in options if o in ("omitempty", "omitzero"))
            number = "-"
            if proto_tag is not None:
                parts = proto_tag.split(",")
                number = parts[1]
                if not number.isdigit():
                    raise KeyError(f"{full}.{go_name}: protobuf tag {proto_tag!r}")
            rows.append((number, json_name, ",".join(sorted(set(flags))) or "-", value))
        numbers = [r[0] for r in rows if r[0] != "-"]
        if len(numbers) != len(set(numbers)):
            raise KeyError(f"{full}: duplicate protobuf numbers")
        self.messages[full] = rows
        return full

    def drop_incomplete(self):
        """Forgets the messages a failed kind left half-built."""
        for message in [m for m, rows in self.messages.items() if rows is None]:
            del self.messages[message]

    @staticmethod
    def referenced(value_type):
        """The messages a schema type names."""
        return [t.removeprefix("[]") for t in value_type.split(":") if "." in t]

    def prune(self, roots):
        """Keeps the messages reachable from the kinds and roots (a failed kind can orphan some)."""
        keep, todo = set(), list(roots)
        while todo:
            message = todo.pop()
            if message in keep:
                continue
            keep.add(message)
            for _, _, _, value in self.messages[message]:
                todo += self.referenced(value)
        for message in set(self.messages) - keep:
            del self.messages[message]

    def json_names(self, message):
        names = []
        for _, json_name, flags, value in self.messages[message]:
            names += self.json_names(value) if "inline" in flags.split(",") else [] if json_name == "-" else [json_name]
        return names

    def check_json_names(self):
        """Go drops both fields of a JSON name clash at one depth; the codec does not model that."""
        for message in self.messages:
            names = self.json_names(message)
            if len(names) != len(set(names)):
                raise SystemExit(f"{message}: JSON names clash after inlining: {sorted(names)}")

    def add_kind(self, api_version, kind, message):
        self.kinds.append((api_version, kind, message))


def build(api, machinery):
    parser = Parser(api, machinery)
    schema = Schema(parser)
    for pkg_id in api.ga_packages():
        pkg = parser.package(pkg_id)
        if pkg.version is None:
            raise SystemExit(f"{pkg_id}: no GroupName/SchemeGroupVersion in register.go")
        api_version = f"{pkg.group}/{pkg.version}" if pkg.group else pkg.version
        for kind in pkg.kinds:
            name = kind.split(".")[-1]
            try:
                # A kind is a struct, or a named type over one (core/v1 List is metav1.List).
                flags, message = schema.resolve(pkg_id, kind, {"metav1": "k8s.io/apimachinery/pkg/apis/meta/v1"})
                if flags or "." not in message:
                    raise KeyError(f"{kind} is not a struct")
                schema.add_kind(api_version, name, message)
            except KeyError as e:
                print(f"note: kind {api_version}/{name} skipped: {e}", file=sys.stderr)
                schema.drop_incomplete()
        if pkg.adds_meta:
            schema.add_kind(api_version, "WatchEvent", schema.message("meta/v1", "WatchEvent"))
            for kind in OPTIONS_KINDS:
                schema.add_kind(api_version, kind, schema.message("meta/v1", kind))
    for kind in UNVERSIONED_KINDS:
        schema.add_kind("v1", kind, schema.message("meta/v1", kind))
    for kind in META_KINDS:
        try:
            schema.add_kind("meta.k8s.io/v1", kind, schema.message("meta/v1", kind))
        except KeyError as e:
            print(f"note: kind meta.k8s.io/v1/{kind} skipped: {e}", file=sys.stderr)
            schema.drop_incomplete()
    for root in EXTRA_ROOTS:
        schema.message(*root.split("."))
    schema.prune([m for _, _, m in schema.kinds] + EXTRA_ROOTS)
    schema.check_json_names()
    return schema


def render(schema, description):
    lines = [f"K\t{v}\t{k}\t{m}" for v, k, m in sorted(set(schema.kinds))]
    for message in sorted(schema.messages):
        lines += [f"{message}\t{n}\t{j}\t{f}\t{t}" for n, j, f, t in schema.messages[message]]
    # Unindented, with the closing quotes at the line start: the raw literal then strips nothing.
    body = "\n".join(lines)
    return f"""// <auto-generated>
// Generated by tools/gen-protobuf-schema.py from {description}. Do not edit.
// </auto-generated>
namespace ApiMachinery.Protobuf;

internal static partial class KubeProtobufSchema
{{
    /// <summary>The sources the rows were read from.</summary>
    public const string Source = "{description}";

    /// <summary>Tab-separated rows; tools/gen-protobuf-schema.py documents the format.</summary>
    private static ReadOnlySpan<byte> Rows => \"\"\"
{body}
\"\"\"u8;
}}
"""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--api", default="/work/.mirror/kubernetes+api/repo", help="k8s.io/api: bare git dir or checked-out tree")
    ap.add_argument("--apimachinery", default="/work/.mirror/kubernetes+apimachinery/repo", help="k8s.io/apimachinery: bare git dir or checked-out tree")
    ap.add_argument("--ref", help="tag or commit to read from both git dirs (default: newest vX.Y.Z tag of k8s.io/api)")
    ap.add_argument("--out", default=os.path.join(here, "..", "src", "ApiMachinery", "Protobuf", "KubeProtobufSchema.g.cs"))
    args = ap.parse_args()
    api = Source(args.api, None)
    machinery = Source(args.apimachinery, None)
    ref = args.ref or (newest_release(api) if api.git else None)
    api.ref = machinery.ref = ref
    description = (f"k8s.io/api and k8s.io/apimachinery {ref} ({api.commit()[:12]}, {machinery.commit()[:12]})"
                   if api.git else "checked-out trees of k8s.io/api and k8s.io/apimachinery")
    schema = build(api, machinery)
    text = render(schema, description)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    fields = sum(len(r) for r in schema.messages.values())
    print(f"{len(set(schema.kinds))} kinds, {len(schema.messages)} messages, {fields} fields -> {os.path.normpath(args.out)}", file=sys.stderr)


if __name__ == "__main__":
    main()
