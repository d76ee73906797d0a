#!/usr/bin/env bash
# The README's first command: tools/demo.sh run with the built binary. It
# must end with every territory device equal to the region on its territory,
# a report and an audit with no finding.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
D=$(mktemp -d /tmp/cts-demo-test-XXXXXX)
trap 'rm -rf "$D"' EXIT
out="$D/demo.log"
mkdir "$D/run"
if ! CTSNODE_DEMO_BIN="$CTSNODE" CTSNODE_DEMO_DIR="$D/run" bash "$src/tools/demo.sh" >"$out" 2>&1; then
	tail -20 "$out"
	echo "FAIL: tools/demo.sh failed" >&2
	exit 1
fi
fail() { tail -40 "$out"; echo "FAIL: $*" >&2; exit 1; }
[ "$(grep -c '^  \(re1\|re2\|lh\|dp\) ' "$out")" -eq 4 ] || fail "four territory digests expected"
grep -q '^# ' "$D/run/rapport-2020.md" || fail "no report"
grep -q '^Aucun constat' "$out" || fail "the audit has findings"
grep -q 'Démonstration terminée' "$out" || fail "the demo did not finish"
echo "demo ok"
