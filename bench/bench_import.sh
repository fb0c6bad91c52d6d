#!/bin/sh
# Times `dpctl import` on generated exports and prints one line per run:
#
#   bench/bench_import.sh BUILD_DIR [ROWS...]      (default 100000 1000000)
#
# For each size and format (FORMATS, default "json csv") it generates the
# SMS_DistributionPoint export and the SMS_PackageStatusDistPointsSummarizer
# export of the same keys with gen_export, and for each of CLASSES
# (default "dp dist both") imports, then imports the same again (every row
# unchanged):
#   dp    the SMS_DistributionPoint export into a fresh database;
#   dist  the summarizer export alone into a database that holds the dp
#         rows already (the realistic case: the second file of a site
#         whose distribution points are known);
#   both  both files in one `dpctl import` into a fresh database.
# Each is run REPEAT times (default 1; a copy of the database is restored
# before every first import); the line gives the median seconds, the
# fastest and slowest run, records per second (the records of the files
# of the run: 2 x ROWS for both) and dpctl's largest peak resident size
# (VmHWM).  "check" is ok when the model's counts (meta, read with
# sqlite3) are those gen_export --counts gives for the files imported:
# rows and the Status buckets, d_rows and the State buckets.  Work files go
# to BENCH_DIR (default: a temporary directory, removed at the end).
# DPCTL and GEN_EXPORT override where the programs are looked for.
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
classes=${CLASSES:-dp dist both}
repeat=${REPEAT:-1}
case $repeat in '' | *[!0-9]* | 0) echo "$0: REPEAT must be a positive number" >&2; exit 2 ;; esac
for c in $classes; do
	case $c in dp | dist | both) ;; *) echo "$0: CLASSES: dp dist both, not '$c'" >&2; exit 2 ;; esac
done

if [ -n "${BENCH_DIR:-}" ]; then
	work=$BENCH_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/dpbench.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
fi
db=$work/bench.db
base=$work/base.db	# the dp rows only, restored before each dist import

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

fresh_db() {
	rm -f "$db" "$db-wal" "$db-shm"
	"$dpctl" -q --db "$db" init
}
copy_db() { # FROM TO: a closed database (and its WAL, if one is left)
	rm -f "$2" "$2-wal" "$2-shm"
	cp "$1" "$2"
	[ ! -f "$1-wal" ] || cp "$1-wal" "$2-wal"
}

# The model's counts against what gen_export says the files hold.
check() { # class
	command -v sqlite3 > /dev/null || { chk=-; return 0; }
	want="" have=""
	case $1 in dp | both) want="$("$gen" --counts "$rows")" ;; esac
	case $1 in dist | both) want="${want:+$want }$("$gen" --class dist --counts "$rows")" ;; esac
	for w in $want; do
		col=${w%%=*}
		have="${have:+$have }$col=$(sqlite3 "$db" "SELECT $col FROM meta")"
	done
	if [ "$have" = "$want" ]; then
		chk=ok
	else
		chk="FAILED($have)"
	fi
}

# Times "dpctl import FILES" REPEAT times after PREPARE; sets med lo hi
# and hwm_kb (the largest).
timed() { # prepare files...
	prep=$1
	shift
	: > "$work/secs"
	max_kb=0
	i=0
	while [ "$i" -lt "$repeat" ]; do
		$prep
		run --db "$db" import "$@"
		echo "$secs" >> "$work/secs"
		[ "$hwm_kb" -le "$max_kb" ] || max_kb=$hwm_kb
		i=$((i + 1))
	done
	hwm_kb=$max_kb
	sort -g "$work/secs" | awk '{ v[NR] = $1 } END {
	    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }' > "$work/median"
	read -r med lo hi < "$work/median"
}

report() { # class pass records size
	rate=$(awk -v r="$3" -v s="$med" \
	    'BEGIN { printf "%.0f", r / (s > 0 ? s : 0.01) }')
	printf '%-5s %-5s %9d %8d %-6s %8.2f %7.2f %7.2f %9d %8d %s\n' \
	    "$1" "$fmt" "$3" "$4" "$2" "$med" "$lo" "$hi" "$rate" \
	    $((hwm_kb / 1024)) "$chk"
}

nothing() { :; }
restore_base() { copy_db "$base" "$db"; }

echo "dpctl import, median of $repeat run(s); records: of the files imported (both: 2 x rows)"
printf '%-5s %-5s %9s %8s %-6s %8s %7s %7s %9s %8s %s\n' class format \
    records "size MB" run seconds min max "rows/s" "VmHWM MB" check
for rows in "$@"; do
	for fmt in $formats; do
		dpf=$work/export-$rows.$fmt
		distf=$work/dist-$rows.$fmt
		"$gen" --format "$fmt" "$rows" > "$dpf"
		"$gen" --class dist --format "$fmt" "$rows" > "$distf"
		dpmb=$(( $(wc -c < "$dpf") / 1048576 ))
		distmb=$(( $(wc -c < "$distf") / 1048576 ))
		rm -f "$base" "$base-wal" "$base-shm"
		for class in $classes; do
			case $class in
			dp)
				timed fresh_db "$dpf"
				check dp; report dp first "$rows" "$dpmb"
				[ -f "$base" ] || copy_db "$db" "$base"
				timed nothing "$dpf"
				check dp; report dp again "$rows" "$dpmb"
				;;
			dist)
				if [ ! -f "$base" ]; then
					fresh_db
					"$dpctl" -q --db "$db" import "$dpf"
					copy_db "$db" "$base"
				fi
				timed restore_base "$distf"
				check both; report dist first "$rows" "$distmb"
				timed nothing "$distf"
				check both; report dist again "$rows" "$distmb"
				;;
			both)
				timed fresh_db "$dpf" "$distf"
				check both
				report both first $((2 * rows)) $((dpmb + distmb))
				timed nothing "$dpf" "$distf"
				check both
				report both again $((2 * rows)) $((dpmb + distmb))
				;;
			esac
		done
		rm -f "$dpf" "$distf" "$base" "$base-wal" "$base-shm"
	done
done
