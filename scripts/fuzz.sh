#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang into build-fuzz/ and
# runs each for SECONDS on a copy of its seed corpus.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 20 s, every target)
#
# Exits non-zero if any target finds a crash, a leak, a timeout or an
# out-of-memory; prints the input it saved and how to reproduce it.
# FUZZ_ARGS adds libFuzzer options (e.g. FUZZ_ARGS="-jobs=4 -workers=4"),
# FUZZ_FRESH=1 starts again from the seeds.  Installs nothing: it needs
# clang (Debian: apt-get install clang) and the project's build deps.
# See tests/fuzz/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-20}
[ $# -gt 0 ] && shift
all=(fuzz_json fuzz_csv fuzz_date fuzz_setval)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
case $secs in
''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a number, not '$secs'" >&2
	exit 2 ;;
esac
for t in "${targets[@]}"; do
	case " ${all[*]} " in
	*" $t "*) ;;
	*) echo "fuzz.sh: no target '$t' (have: ${all[*]})" >&2; exit 2 ;;
	esac
done
cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null; then
	echo "fuzz.sh: needs clang (Debian: apt-get install clang)" >&2
	exit 2
fi

bd=$root/build-fuzz
echo "fuzz.sh: building $bd with $cc"
mkdir -p "$bd"
cmake -S tests/fuzz -B "$bd" -DCMAKE_C_COMPILER="$cc" >"$bd/cmake.log" 2>&1 ||
	{ cat "$bd/cmake.log" >&2; exit 2; }
cmake --build "$bd" -j"${FUZZ_BUILD_JOBS:-1}" >"$bd/build.log" 2>&1 ||
	{ cat "$bd/build.log" >&2; exit 2; }

mkdir -p "$bd/artifacts" "$bd/corpus-work" "$bd/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
	work=$bd/corpus-work/$t
	[ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$work"
	mkdir -p "$work"
	# A copy: the fuzzer adds to its corpus, never to the tracked seeds.
	cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
	dict=()
	[ -f tests/fuzz/"$t".dict ] && dict=(-dict="$root/tests/fuzz/$t.dict")
	log=$bd/logs/$t.log
	before=$(ls "$bd/artifacts" | grep -vc unreproduced || true)
	touch "$log.start"
	echo "fuzz.sh: $t for ${secs}s (log: ${log#"$root"/})"
	rc=0
	(cd "$bd/logs" && "$bd/$t" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$bd/artifacts/$t-" "${dict[@]}" \
	    ${FUZZ_ARGS:-} "$work") >"$log" 2>&1 || rc=$?
	grep -aE '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb):' \
	    "$log" | sed "s/^/  /" || true
	# libFuzzer's timeout is wall time: on a loaded machine a run can
	# be starved.  A timeout counts only if its input times out again
	# alone (FUZZ_STRICT_TIMEOUT=1: always).
	art=$(ls -t "$bd/artifacts"/"$t"-timeout-* 2>/dev/null | head -1 || true)
	if [ "$rc" -ne 0 ] && [ -n "$art" ] && [ "$art" -nt "$log.start" ] &&
	    [ "${FUZZ_STRICT_TIMEOUT:-0}" != 1 ] &&
	    "$bd/$t" -timeout=10 -rss_limit_mb=2048 "$art" \
	    >"$log.recheck" 2>&1; then
		echo "fuzz.sh: $t: a timeout that did not reproduce (machine" \
		    "load?); input kept as ${art#"$root"/}" >&2
		mv "$art" "$art.unreproduced"
		rc=0
	fi
	if [ "$rc" -ne 0 ] || [ "$(ls "$bd/artifacts" | grep -vc unreproduced)" -ne "$before" ]; then
		failed+=("$t")
		echo "fuzz.sh: $t FAILED (exit $rc):" >&2
		grep -aE 'ERROR: |runtime error|property violated|SUMMARY' "$log" |
		    head -5 | sed 's/^/  /' >&2 || true
		art=$(ls -t "$bd/artifacts"/"$t"-* 2>/dev/null | head -1 || true)
		if [ -n "$art" ]; then
			echo "  input:     ${art#"$root"/}" >&2
			echo "  reproduce: build-fuzz/$t ${art#"$root"/}" >&2
			echo "  minimise:  build-fuzz/$t -minimize_crash=1" \
			    "-runs=10000 ${art#"$root"/}" >&2
		fi
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: failed: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz.sh: no crashes (${targets[*]}, ${secs}s each)"
