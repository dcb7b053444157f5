#!/usr/bin/env bash
# Builds and runs every test project (unit tests and the conformance tests against real etcd, the real
# server, kubectl and the official Python/JavaScript clients), then prints "N passed, N failed".
#   ./scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Watch]
# Exits non-zero when the build fails or any test fails. Works from a fresh clone.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

die() { echo "test.sh: $*" >&2; exit 1; }

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

"$root/scripts/install-deps.sh"

# The official JavaScript client, used by the conformance tests.
command -v npm >/dev/null 2>&1 ||
    die "npm is not installed; the conformance tests need Node.js and npm (Debian: apt-get install nodejs npm)"
js=$root/tests/Conformance/js
if [[ -f $js/package-lock.json ]]; then
    (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed in $js"
else
    (cd "$js" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || die "npm install failed in $js"
fi

echo "test.sh: building ApiServer.sln (Release)"
dotnet build "$root/ApiServer.sln" -c Release -nologo -v quiet -tl:off || die "the build failed"

results=$root/.tmp/test-results
rm -rf "$results"
mkdir -p "$results"

test_rc=0
dotnet test "$root/ApiServer.sln" -c Release --no-build --nologo \
    --results-directory "$results" \
    --logger trx \
    --logger "console;verbosity=minimal" \
    "$@" || test_rc=$?

# One .trx per test project; add up their <Counters .../>.
summary_rc=0
summary=$(python3 - "$results" <<'EOF'
import glob, os, sys
import xml.etree.ElementTree as ET

files = sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True))
passed = failed = skipped = 0
for path in files:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"test.sh: cannot read {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    for counters in root.iter():
        if counters.tag.rsplit("}", 1)[-1] != "Counters":
            continue
        n = lambda name: int(counters.get(name, "0") or 0)
        passed += n("passed")
        failed += n("failed") + n("error") + n("timeout") + n("aborted")
        skipped += n("notExecuted") + n("inconclusive")
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
if not files:
    line += " (no test results were written)"
print(line)
sys.exit(1 if failed else 0)
EOF
) || summary_rc=$?

echo
echo "$summary"
if ((test_rc != 0 || summary_rc != 0)); then
    exit 1
fi
