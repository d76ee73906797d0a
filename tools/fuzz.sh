#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, in build/fuzz) and runs
# each one for a while on its committed seeds (tests/fuzz/corpus/<target>)
# plus a working corpus kept in build/fuzz/corpus/<target>.
#
#   tools/fuzz.sh                 60 s per target (CI: FUZZ_SECONDS=20 tools/fuzz.sh)
#   tools/fuzz.sh 600             long campaign: 600 s per target
#   FUZZ_RUNS=1000000 tools/fuzz.sh   a number of executions instead of a time
#   FUZZ_TARGETS="jcs sheet" ...  a subset (default: every target)
#   FUZZ_PARALLEL=2 ...           targets run side by side (default 1)
#
# Crashes, timeouts and leaks are written to tests/fuzz/crashes/ (ignored by
# git): turn each into a regression case under tests/fuzz/regress/<target>/
# (replayed by ctest as test_fuzz_replay). Logs: build/fuzz/logs/<target>.log.
# Exit status: 0 when no target found anything, 1 otherwise, 2 usage or
# build error.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-${FUZZ_SECONDS:-60}}
runs=${FUZZ_RUNS:-}
parallel=${FUZZ_PARALLEL:-1}
targets=${FUZZ_TARGETS:-"jcs changeset sshsig pubkey sheet text gittree html uireq"}
case "$seconds$parallel${runs:-0}" in
*[!0-9]*)
	echo "usage : tools/fuzz.sh [SECONDES]  (FUZZ_SECONDS, FUZZ_RUNS, FUZZ_TARGETS, FUZZ_PARALLEL)" >&2
	exit 2
	;;
esac

if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
	echo "clang et libFuzzer sont nécessaires : apt-get install -y clang libclang-rt-14-dev" >&2
	exit 2
fi

build=build/fuzz
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "== Construction des cibles de fuzzing dans $build"
if ! cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_C_FLAGS="$flags" -DCTS_FUZZ=ON -DCTS_TESTS=OFF >"$build.configure.log" 2>&1; then
	cat "$build.configure.log" >&2
	exit 2
fi
if ! cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target fuzz; then
	exit 2
fi

max_len() {
	case $1 in
	jcs) echo 8192 ;;
	changeset) echo 32768 ;;
	sshsig) echo 4096 ;;
	pubkey) echo 2048 ;;
	sheet) echo 16384 ;;
	text) echo 4096 ;;
	gittree) echo 4096 ;;
	*) echo 4096 ;;
	esac
}

mkdir -p tests/fuzz/crashes "$build/logs" "$build/tmp"
export TMPDIR="$root/$build/tmp" # the gittree harness's throwaway repository
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_target() {
	local t=$1 exe="$root/$build/tests/fuzz/fuzz_$t" work="$build/corpus/$t" dict=tests/fuzz/dict/$t.dict
	local -a args=(-max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="tests/fuzz/crashes/$t-")
	mkdir -p "$work"
	[ -f "$dict" ] && args+=(-dict="$dict")
	if [ -n "$runs" ]; then args+=(-runs="$runs"); else args+=(-max_total_time="$seconds"); fi
	"$exe" "${args[@]}" "$work" "tests/fuzz/corpus/$t" >"$build/logs/$t.log" 2>&1
	echo $? >"$build/logs/$t.rc"
}

echo "== Fuzzing : ${runs:+$runs exécutions}${runs:-$seconds s} par cible, $parallel à la fois"
for t in $targets; do
	if [ ! -x "$build/tests/fuzz/fuzz_$t" ]; then
		echo "cible inconnue : $t" >&2
		exit 2
	fi
	rm -f "$build/logs/$t.rc"
	run_target "$t" &
	while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n; done
done
wait

status=0
printf '\n%-10s %14s %10s %8s %8s  %s\n' cible exécutions exec/s corpus durée résultat
for t in $targets; do
	log=$build/logs/$t.log
	rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 99)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	corpus=$(find "$build/corpus/$t" -type f | wc -l)
	rate=$([ -n "$execs" ] && [ -n "$secs" ] && [ "$secs" -gt 0 ] && echo $((execs / secs)) || echo "?")
	if [ "$rc" = 0 ]; then
		result=ok
	else
		result="ÉCHEC (code $rc) : voir $log et tests/fuzz/crashes/"
		grep -a -m1 -E 'ERROR: |fuzz property violated|SUMMARY' "$log" | sed 's/^/    /' >&2
		status=1
	fi
	printf '%-10s %14s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "$rate" "$corpus" "${secs:-?}s" "$result"
done
rm -rf "$build/tmp"
exit $status
