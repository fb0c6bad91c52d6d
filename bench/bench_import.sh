#!/bin/sh
# Times `dpctl import` on generated exports and prints one line per run:
#
#   bench/bench_import.sh BUILD_DIR [ROWS...]      (default 100000 1000000)
#
# For each size and format (FORMATS, default "json csv") it generates an
# export with gen_export, imports it into a fresh database, then imports
# the same file again (every row unchanged), and prints the rows, the file
# size, the wall-clock seconds, rows per second and dpctl's peak resident
# size (VmHWM).  Work files go to BENCH_DIR (default: a temporary
# directory, removed at the end).  DPCTL and GEN_EXPORT override where
# the programs are looked for.
set -eu

usage() {
	echo "usage: $0 BUILD_DIR [ROWS...]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
build=$1
shift
[ $# -ge 1 ] || set -- 100000 1000000
dpctl=${DPCTL:-$build/dpctl}
gen=${GEN_EXPORT:-$build/bench/gen_export}
[ -x "$dpctl" ] || { echo "$0: no $dpctl (build first)" >&2; exit 1; }
[ -x "$gen" ] || { echo "$0: no $gen (build first)" >&2; exit 1; }
formats=${FORMATS:-json csv}

if [ -n "${BENCH_DIR:-}" ]; then
	work=$BENCH_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/dpbench.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
fi

# Runs dpctl; sets secs and hwm_kb.  GNU time's %M is the peak RSS, which
# is VmHWM; without it, a poll of /proc (coarser) stands in.
run() {
	if [ -x /usr/bin/time ] && /usr/bin/time -f '%e' true 2>/dev/null; then
		/usr/bin/time -o "$work/time" -f '%e %M' "$dpctl" -q "$@"
		read -r secs hwm_kb < "$work/time"
	else
		start=$(date +%s.%N)
		"$dpctl" -q "$@" &
		pid=$!
		hwm_kb=0
		while kill -0 "$pid" 2>/dev/null; do
			h=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" \
			    2>/dev/null || true)
			[ -n "$h" ] && hwm_kb=$h
			sleep 0.2
		done
		wait "$pid"
		secs=$(awk -v a="$start" -v b="$(date +%s.%N)" \
		    'BEGIN { printf "%.2f", b - a }')
	fi
}

printf '%-5s %9s %9s %-9s %8s %10s %9s\n' format rows "size MB" run \
    seconds "rows/s" "VmHWM MB"
for rows in "$@"; do
	for fmt in $formats; do
		file=$work/export-$rows.$fmt
		"$gen" --format "$fmt" "$rows" > "$file"
		size=$(( $(wc -c < "$file") / 1048576 ))
		for pass in first again; do
			if [ "$pass" = first ]; then
				rm -f "$work/bench.db"*
				"$dpctl" -q --db "$work/bench.db" init
			fi
			run --db "$work/bench.db" import "$file"
			rate=$(awk -v r="$rows" -v s="$secs" \
			    'BEGIN { printf "%.0f", r / (s > 0 ? s : 0.01) }')
			printf '%-5s %9d %9d %-9s %8.2f %10d %9d\n' "$fmt" \
			    "$rows" "$size" "$pass" "$secs" "$rate" \
			    $((hwm_kb / 1024))
		done
		rm -f "$file"
	done
done
