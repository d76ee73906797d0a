#!/usr/bin/env bash
# Runs the end-to-end tests with every ctsnode invocation under valgrind
# memcheck (errors and definite leaks fail the test). Slow: the crash,
# concurrency and transport tests are left to the sanitizer run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
command -v valgrind >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get install -y -qq valgrind; }
cmake -S . -B build/valgrind -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/valgrind -j"$(nproc 2>/dev/null || echo 2)"
CTS_VALGRIND=1 ctest --test-dir build/valgrind --output-on-failure -j2 \
	-R 'e2e_t_(cli|node|attendance|sheet_refused|changesets|sync|report|faults|hostile_repo|audit)$' "$@"
