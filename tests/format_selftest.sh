#!/usr/bin/env bash
# ctest `format`: the tree follows .clang-format (tools/format.sh --check),
# and the check itself can fail: a copy of one source file, spoiled, must be
# reported.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/format.sh" --check

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tools" "$tmp/src" "$tmp/sync" "$tmp/crypto" "$tmp/tests"
cp "$root/tools/format.sh" "$tmp/tools/"
cp "$root/.clang-format" "$tmp/"
printf 'int f(void){return   1;}\n' > "$tmp/src/spoiled.c"
if bash "$tmp/tools/format.sh" --check 2>"$tmp/err"; then
	echo "format self-test: a badly formatted file was not reported" >&2
	exit 1
fi
grep -q "src/spoiled.c" "$tmp/err" || { echo "format self-test: the file is not named" >&2; cat "$tmp/err" >&2; exit 1; }
echo "format self-test: ok"
