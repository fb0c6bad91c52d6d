#!/usr/bin/env bash
# Measures dpagentd through a private Net-SNMP master, and optionally the
# conventional container subagent of ../shared/anchors in the same run:
#
#   bench/bench_agent.sh [BUILD_DIR] [ROWS...]   (default 10000 100000 1000000)
#
# For each size it imports a generated export (gen_export) into
# BENCH_DIR/dp-ROWS.db (kept and reused by later runs), starts snmpd
# (udp:127.0.0.1:PORT, master agentx, a private AgentX socket) and dpagentd,
# and measures
#   - start-up: exec of dpagentd until GET dpRowCount.0 answers through the
#     master (median of STARTS, default 3, restarts)
#   - snmpbulkwalk -v2c -On -Cr25 of one column (dpStatus): s, varbinds/s
#   - the same of the whole dpTable (every readable column, asked of
#     dpagentd: 20 x ROWS varbinds today), ROWS <= FULL_MAX
#   - snmptable-style GETBULK, all columns per request (-Cr25), ROWS <=
#     FULL_MAX: s, rows/s
#   - GET and GETNEXT latency (dplat, one process, LAT_COUNT requests after
#     20 warm-ups, the columns in turn) at rows 0, ROWS/2 and ROWS-1, and
#     GET at random rows (like the anchors' GET series)
#   - dpagentd's VmHWM after the walks and after the latency series
# then, unless ANCHORS=0, runs the anchors' measure.sh on the container
# subagent for the same sizes up to ANCHOR_MAX, and prints ratios.
#
# Environment:
#   BUILD       build directory with dpctl, dpagentd, bench/gen_export and
#               bench/dplat, if not given as the first argument (default:
#               ../build next to this script; DPCTL DPAGENTD GEN_EXPORT DPLAT
#               override single programs)
#   BENCH_DIR   work directory (default /tmp/dpagent-bench): databases,
#               logs, the anchors' copy and their raw results
#   PIN_CPU     a CPU number: snmpd, dpagentd and every client run under
#               taskset -c PIN_CPU (default: the scheduler's placement)
#   ANCHORS     1 (default) or 0;  ANCHOR_MAX (default 100000)
#   ANCHOR_SRC  the anchors to copy (default ../../shared/anchors)
#   FULL_MAX    largest ROWS for the full-table walks (default 100000)
#   STARTS=3 LAT_COUNT=1000 LAT_REPEAT=3 (latency series, medians of p50
#   and p99 reported) WALK_TIMEOUT=3600 FORMAT=json (of the export)
#   BENCH_PORT  first UDP port to try (default 18161; busy ones are skipped)
#   TSV         also append "date placement rows metric value" lines here
#
# Only 127.0.0.1 and a unix socket in a temporary directory are used; every
# process started here is stopped by its PID when the script ends.
set -eu
set -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 1 ] && [ -d "$1" ]; then
	BUILD=$1
	shift
fi
BUILD=${BUILD:-$here/../build}
DPCTL=${DPCTL:-$BUILD/dpctl}
DPAGENTD=${DPAGENTD:-$BUILD/dpagentd}
GEN_EXPORT=${GEN_EXPORT:-$BUILD/bench/gen_export}
DPLAT=${DPLAT:-$BUILD/bench/dplat}
BENCH_DIR=${BENCH_DIR:-/tmp/dpagent-bench}
ANCHORS=${ANCHORS:-1}
ANCHOR_MAX=${ANCHOR_MAX:-100000}
ANCHOR_SRC=${ANCHOR_SRC:-$here/../../shared/anchors}
FULL_MAX=${FULL_MAX:-100000}
STARTS=${STARTS:-3}
LAT_COUNT=${LAT_COUNT:-1000}
LAT_REPEAT=${LAT_REPEAT:-3}
WALK_TIMEOUT=${WALK_TIMEOUT:-3600}
FORMAT=${FORMAT:-json}
BENCH_PORT=${BENCH_PORT:-18161}
TSV=${TSV:-}
PIN_CPU=${PIN_CPU:-}
COMMUNITY=public

[ $# -ge 1 ] || set -- 10000 100000 1000000
for n in "$@"; do
	case $n in
	'' | *[!0-9]*) echo "$0: ROWS must be numbers: '$n'" >&2; exit 2 ;;
	esac
	[ "$n" -ge 3 ] || { echo "$0: ROWS must be at least 3" >&2; exit 2; }
done
for p in "$DPCTL" "$DPAGENTD" "$GEN_EXPORT" "$DPLAT"; do
	[ -x "$p" ] || { echo "$0: no $p (build dpctl dpagentd gen_export dplat first)" >&2; exit 2; }
done
for p in snmpd snmpbulkwalk snmpget; do
	command -v "$p" > /dev/null || { echo "$0: $p not found (apt-get install snmpd snmp)" >&2; exit 2; }
done

export MIBS=""		# numeric OIDs only, everywhere
TS=()
if [ -n "$PIN_CPU" ]; then
	TS=(taskset -c "$PIN_CPU")
	PLACE_TAG=cpu$PIN_CPU
	PLACEMENT="pinned: snmpd, dpagentd and clients on CPU $PIN_CPU (taskset -c $PIN_CPU)"
else
	PLACE_TAG=default
	PLACEMENT="default scheduling (no taskset), $(nproc) CPUs"
fi

ROOT=.1.3.6.1.4.1.32473.77.1
ENTRY=$ROOT.4.1
ROWCOUNT=$ROOT.1.3.0
STATUS_COL=18
COLS=""			# dpTable's readable columns, asked of dpagentd
NCOLS=0

mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
RUN=$(mktemp -d "$BENCH_DIR/run.XXXXXX")

SNMPD_PID="" AGENT_PID="" ANCHOR_PID=""
stop_pid() { # PID: TERM, up to 5 s, then KILL; only that process
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2> /dev/null || { wait "$pid" 2> /dev/null || true; return 0; }
	kill -TERM "$pid" 2> /dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2> /dev/null && kill -KILL "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null || true
}
cleanup() {
	stop_pid "$AGENT_PID"; AGENT_PID=""
	stop_pid "$SNMPD_PID"; SNMPD_PID=""
	stop_pid "$ANCHOR_PID"; ANCHOR_PID=""
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
fdiv() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.0f", a / b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cpu_s() { # utime + stime of PID in seconds
	awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$1/stat" 2> /dev/null || echo 0
}
hwm_mb() { awk '$1 == "VmHWM:" { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2> /dev/null || echo "-"; }
field() { # KEY "k=v k=v ..." -> v
	tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"
}

# Results: R[rows,metric] = value, for the summary; TSV lines if asked.
declare -A R=()
put() { # rows metric value
	R[$1,$2]=$3
	if [ -n "$TSV" ]; then
		printf '%s\t%s\t%s\t%s\t%s\n' "$(date +%Y-%m-%dT%H:%M:%S)" \
		    "$PLACE_TAG" "$1" "$2" "$3" >> "$TSV"
	fi
}

udp_busy() { # port: anything bound to it on any address
	ss -Hlun 2> /dev/null | awk '{ print $4 }' | grep -Eq "[:.]$1\$"
}
free_port() { # first free UDP port from $1
	local p=$1
	for _ in $(seq 200); do
		udp_busy "$p" || { echo "$p"; return 0; }
		p=$((p + 1))
	done
	echo "$0: no free UDP port from $1" >&2
	return 1
}

# The database of N rows, imported once and kept in BENCH_DIR.
ensure_db() {
	local n=$1 db=$BENCH_DIR/dp-$1.db file
	if [ -f "$db.ok" ] && [ -f "$db" ]; then
		"$DPCTL" -q --db "$db" init	# migrates if the schema moved on
		return 0
	fi
	rm -f "$db" "$db-wal" "$db-shm" "$db.ok"
	file=$BENCH_DIR/export-$n.$FORMAT
	say "N=$n: generating the export and importing it into $db"
	"$GEN_EXPORT" --format "$FORMAT" "$n" > "$file"
	"$DPCTL" -q --db "$db" init
	"$DPCTL" -q --db "$db" import "$file"
	rm -f "$file"
	echo "rows=$n format=$FORMAT servers=default" > "$db.ok"
}

start_master() { # sets SNMPD_PID PORT DIR
	DIR=$(mktemp -d "$RUN/stack.XXXXXX")
	PORT=$(free_port "$BENCH_PORT")
	mkdir -p "$DIR/persist"
	cat > "$DIR/snmpd.conf" <<-EOF
	agentaddress udp:127.0.0.1:$PORT
	master agentx
	agentXSocket $DIR/agentx.sock
	agentXPerms 0600 0700
	dontLogTCPWrappersConnects yes
	rocommunity $COMMUNITY 127.0.0.1
	EOF
	# -I -smux: no SMUX listener on TCP 199 (not ours to take)
	SNMP_PERSISTENT_DIR=$DIR/persist "${TS[@]}" snmpd -f -Lf "$DIR/snmpd.log" \
	    -C -c "$DIR/snmpd.conf" -p "$DIR/snmpd.pid" -I -smux &
	SNMPD_PID=$!
	for _ in $(seq 100); do
		kill -0 "$SNMPD_PID" 2> /dev/null || break
		if [ -S "$DIR/agentx.sock" ] && ss -Hlunp 2> /dev/null |
		    grep -q "127.0.0.1:$PORT .*pid=$SNMPD_PID,"; then
			return 0
		fi
		sleep 0.05
	done
	cat "$DIR/snmpd.log" >&2
	echo "$0: snmpd did not come up on 127.0.0.1:$PORT" >&2
	exit 1
}

# Starts dpagentd; sets AGENT_PID and START_S (exec to first answer).
start_agent() {
	local db=$1 t0 out
	t0=$(now)
	"${TS[@]}" "$DPAGENTD" -f --db "$db" -x "$DIR/agentx.sock" \
	    -Lf "$DIR/dpagentd.log" &
	AGENT_PID=$!
	if ! out=$("${TS[@]}" "$DPLAT" -p "$PORT" -t 0.2 -i 2 -W 60 -T "$t0" \
	    -m wait "$ROWCOUNT"); then
		tail -5 "$DIR/dpagentd.log" >&2
		echo "$0: dpagentd did not answer within 60 s" >&2
		exit 1
	fi
	START_S=$(field ready_s "$out")
}

# snmpbulkwalk -Cr25 of OID; expects EXPECT varbinds; sets W_S W_N W_OK
# W_SUB_US (dpagentd CPU us per varbind) and leaves the output in $RUN/walk.out.
walk() {
	local oid=$1 expect=$2 t0 t1 c0 c1 rc=0
	c0=$(cpu_s "$AGENT_PID")
	t0=$(now)
	timeout "$WALK_TIMEOUT" "${TS[@]}" snmpbulkwalk -v2c -c "$COMMUNITY" -On \
	    -Cr25 -t 30 -r 0 "127.0.0.1:$PORT" "$oid" > "$RUN/walk.out" 2> "$RUN/walk.err" || rc=$?
	t1=$(now)
	c1=$(cpu_s "$AGENT_PID")
	W_S=$(fsub "$t1" "$t0")
	W_N=$(grep -c "^${oid//./\\.}\\." "$RUN/walk.out" || true)
	W_OK=ok
	[ "$rc" = 0 ] && [ "$W_N" = "$expect" ] || W_OK="FAILED(rc=$rc,$W_N/$expect)"
	W_SUB_US=$(awk -v a="$c1" -v b="$c0" -v n="$W_N" 'BEGIN { if (n == 0) print "-"; else printf "%.1f", (a - b) * 1e6 / n }')
}

# dpTable's readable columns: GETNEXT of entry.(c+1) answers the first
# instance of the first readable column after c.
discover_columns() {
	local c=0 next
	COLS=""
	while [ "$c" -lt 64 ]; do
		next=$("${TS[@]}" snmpgetnext -v2c -c "$COMMUNITY" -On -t 5 -r 0 \
		    "127.0.0.1:$PORT" "$ENTRY.$((c + 1))" 2> /dev/null |
		    sed -n "s/^${ENTRY//./\\.}\\.\\([0-9]*\\)\\..*/\\1/p")
		if [ -z "$next" ] || [ "$next" -le "$c" ]; then break; fi
		COLS="$COLS $next"
		c=$next
	done
	NCOLS=$(wc -w <<< "$COLS")
	[ "$NCOLS" -gt 0 ] || { echo "$0: dpTable has no readable column" >&2; exit 1; }
	say "dpTable's readable columns:$COLS"
}

lat() { # mode file [prefix]: medians of p50 and p99 over LAT_REPEAT series
	local out p50s="" p99s="" err
	for _ in $(seq "$LAT_REPEAT"); do
		out=$("${TS[@]}" "$DPLAT" -p "$PORT" -t 5 -w 20 -n "$LAT_COUNT" \
		    -m "$1" -f "$2" ${3:+-P "$3"})
		p50s="$p50s $(field p50_ms "$out")"
		p99s="$p99s $(field p99_ms "$out")"
		err=$(field err "$out")
		[ "$err" = 0 ] || say "  $1 $(basename "$2"): $err errors"
	done
	LAT_P50=$(median <<< "$p50s")
	LAT_P99=$(median <<< "$p99s")
}

bench_dpagentd() {
	local n=$1 db=$BENCH_DIR/dp-$1.db starts="" i pos row prev out
	ensure_db "$n"
	start_master
	say "N=$n: snmpd pid $SNMPD_PID on 127.0.0.1:$PORT; $PLACEMENT"
	for i in $(seq "$STARTS"); do
		start_agent "$db"
		starts="$starts $START_S"
		if [ "$i" -lt "$STARTS" ]; then stop_pid "$AGENT_PID"; AGENT_PID=""; fi
	done
	put "$n" start_s "$(median <<< "$starts")"
	[ "$NCOLS" -gt 0 ] || discover_columns
	say "N=$n: start-up to first answer:$starts s"

	walk "$ENTRY.$STATUS_COL" "$n"
	put "$n" col_walk_s "$W_S"; put "$n" col_vbps "$(fdiv "$W_N" "$W_S")"
	put "$n" col_check "$W_OK"; put "$n" col_sub_us "$W_SUB_US"
	say "N=$n: one-column walk $W_S s, $W_N varbinds, $W_OK"
	# Row r's index (S.P) is line r+1 of the column walk.
	sed -n "s/^${ENTRY//./\\.}\\.$STATUS_COL\\.\\([0-9]*\\.[0-9]*\\) .*/\\1/p" \
	    "$RUN/walk.out" > "$RUN/index.txt"
	[ "$(wc -l < "$RUN/index.txt")" = "$n" ] ||
	    { echo "$0: the dpStatus walk did not give $n indexes" >&2; exit 1; }

	if [ "$n" -le "$FULL_MAX" ]; then
		walk "$ENTRY" $((n * NCOLS))
		put "$n" full_walk_s "$W_S"; put "$n" full_vbps "$(fdiv "$W_N" "$W_S")"
		put "$n" full_check "$W_OK"; put "$n" full_sub_us "$W_SUB_US"
		say "N=$n: full dpTable walk $W_S s, $W_N varbinds, $W_OK"
		for c in $COLS; do echo "$ENTRY.$c"; done > "$RUN/columns.txt"
		out=$("${TS[@]}" "$DPLAT" -p "$PORT" -t 30 -R 25 -m table -f "$RUN/columns.txt")
		put "$n" table_s "$(field seconds "$out")"
		put "$n" table_rowsps "$(field rowsps "$out")"
		if [ "$(field varbinds "$out")" = $((n * NCOLS)) ]; then
			put "$n" table_check ok
		else
			put "$n" table_check "FAILED($(field varbinds "$out"))"
		fi
		say "N=$n: snmptable-style GETBULK: $out"
	fi
	put "$n" hwm_walk_mb "$(hwm_mb "$AGENT_PID")"

	# Latency: the columns of row r in turn; GETNEXT asks for the
	# instance before row r (row 0: the bare column), so every answer is
	# row r itself.
	for pos in start mid end; do
		case $pos in
		start) i=0 ;; mid) i=$((n / 2)) ;; end) i=$((n - 1)) ;;
		esac
		row=$(sed -n "$((i + 1))p" "$RUN/index.txt")
		prev=""
		[ "$i" -gt 0 ] && prev=.$(sed -n "${i}p" "$RUN/index.txt")
		for c in $COLS; do echo "$ENTRY.$c.$row"; done > "$RUN/get-$pos.txt"
		for c in $COLS; do echo "$ENTRY.$c$prev"; done > "$RUN/next-$pos.txt"
		lat get "$RUN/get-$pos.txt"
		put "$n" "get_${pos}_p50" "$LAT_P50"; put "$n" "get_${pos}_p99" "$LAT_P99"
		lat getnext "$RUN/next-$pos.txt" "$ENTRY"
		put "$n" "next_${pos}_p50" "$LAT_P50"; put "$n" "next_${pos}_p99" "$LAT_P99"
	done
	# Random rows (fixed seed), columns in turn, as the anchors' GET series.
	awk -v e="$ENTRY" -v n="$n" -v k="$LAT_COUNT" -v cols="$COLS" \
	    '{ s[NR - 1] = $0 } END { nc = split(cols, c, " "); srand(4242); for (i = 0; i < k; i++) printf "%s.%d.%s\n", e, c[1 + i % nc], s[int(rand() * n)] }' \
	    "$RUN/index.txt" > "$RUN/get-random.txt"
	lat get "$RUN/get-random.txt"
	put "$n" get_random_p50 "$LAT_P50"; put "$n" get_random_p99 "$LAT_P99"
	put "$n" hwm_end_mb "$(hwm_mb "$AGENT_PID")"
	say "N=$n: latencies done; dpagentd VmHWM ${R[$n,hwm_end_mb]} MB"

	stop_pid "$AGENT_PID"; AGENT_PID=""
	stop_pid "$SNMPD_PID"; SNMPD_PID=""
}

# The anchors' container subagent, same N and placement, via their harness.
ANCHOR_HOME=$BENCH_DIR/anchors
ANCHOR_RAW=$BENCH_DIR/anchors-raw.tsv	# appended; the last figure counts
prepare_anchors() {
	if [ ! -x "$ANCHOR_HOME/client/snmplat" ] || [ ! -x "$ANCHOR_HOME/anchors/c/anchor_container" ]; then
		[ -f "$ANCHOR_SRC/measure.sh" ] || { echo "$0: no anchors in $ANCHOR_SRC" >&2; exit 2; }
		rm -rf "$ANCHOR_HOME"
		cp -r "$ANCHOR_SRC" "$ANCHOR_HOME"
		rm -rf "$ANCHOR_HOME/results"
		mkdir -p "$ANCHOR_HOME/results"
		make -s -C "$ANCHOR_HOME" > "$BENCH_DIR/anchors-make.log" 2>&1 ||
		    { cat "$BENCH_DIR/anchors-make.log" >&2; exit 1; }
	fi
}
bench_container() {
	local n=$1 port rc=0 m v
	port=$(free_port "$BENCH_PORT")
	say "N=$n: anchors' container subagent (measure.sh, port $port)"
	# measure.sh cleans up after itself (trap on EXIT); it runs in the
	# background so that our trap can stop it by its PID.
	( cd "$ANCHOR_HOME" && exec env RESULTS="$ANCHOR_RAW" REPEAT=1 LAT_REPEAT=1 \
	    WALK_REPS=25 WALK_TIMEOUT="$WALK_TIMEOUT" BENCH_PORT="$port" \
	    SNMPD_EXTRA_ARGS="-I -smux" \
	    BENCH_DATA="$BENCH_DIR/anchor-data" ${PIN_CPU:+PIN_CPU=$PIN_CPU} \
	    ./measure.sh container "$n" ) > "$RUN/anchor-$n.log" 2>&1 &
	ANCHOR_PID=$!
	wait "$ANCHOR_PID" || rc=$?
	ANCHOR_PID=""
	[ "$rc" = 0 ] || { say "measure.sh failed ($rc):"; tail -5 "$RUN/anchor-$n.log" >&2; }
	for m in walk25_s walk25_vbps walk25_ok walk25_cpu_sub_s get_p50_ms get_p99_ms next_mid_p99_ms rss_hwm_kb ready_s; do
		v=$(awk -F '\t' -v n="$n" -v m="$m" '$2 == "container" && $3 == n && $4 == m { v = $6 } END { print v }' "$ANCHOR_RAW" 2> /dev/null || true)
		[ "$m" = rss_hwm_kb ] && [ -n "$v" ] && v=$(awk -v k="$v" 'BEGIN { printf "%.1f", k / 1024 }')
		[ "$m" = walk25_cpu_sub_s ] && [ -n "$v" ] && v=$(awk -v s="$v" -v n="$n" -v c="$NCOLS" 'BEGIN { printf "%.1f", s * 1e6 / (n * c) }')
		put "$n" "c_$m" "${v:--}"
	done
}

say "dpagentd benchmark: rows $*; $PLACEMENT; work dir $BENCH_DIR"
[ "$ANCHORS" = 1 ] && prepare_anchors
for n in "$@"; do
	bench_dpagentd "$n"
	if [ "$ANCHORS" = 1 ] && [ "$n" -le "$ANCHOR_MAX" ]; then
		bench_container "$n"
	fi
done

# ---- the report ----
g() { echo "${R[$1,$2]:--}"; }
row() { # label metric
	local line="| $1 |"
	for n in $SIZES; do line="$line $(g "$n" "$2") |"; done
	echo "$line"
}
SIZES="$*"
hdr="| metric |"; sep="|---|"
for n in $SIZES; do hdr="$hdr $n |"; sep="$sep---:|"; done
echo
src=$(git -C "$here" describe --always --dirty 2> /dev/null || echo "?")
echo "dpagentd $("$DPAGENTD" --version 2> /dev/null | head -1 | sed 's/^dpagentd //'), binary of $(date -u -r "$DPAGENTD" +%Y-%m-%dT%H:%MZ) (source tree now: $src); run $(date -u +%Y-%m-%dT%H:%MZ); $(uname -srm)"
echo "placement: $PLACEMENT"
echo "master: snmpd $(snmpd -v 2> /dev/null | sed -n 's/^NET-SNMP version: *//p'), AgentX over a unix socket; clients: snmpbulkwalk -v2c -On -Cr25, dplat"
echo
echo "$hdr"; echo "$sep"
row "start-up to first answer, s (median of $STARTS)" start_s
row "walk dpStatus (1 column), s" col_walk_s
row "walk dpStatus, varbinds/s" col_vbps
row "walk dpStatus, dpagentd CPU us/varbind" col_sub_us
row "walk dpStatus, output check" col_check
row "walk dpTable ($NCOLS columns), s" full_walk_s
row "walk dpTable, varbinds/s" full_vbps
row "walk dpTable, dpagentd CPU us/varbind" full_sub_us
row "walk dpTable, output check" full_check
row "GETBULK all $NCOLS columns -Cr25 (snmptable-style), s" table_s
row "GETBULK all columns, rows/s" table_rowsps
row "GETBULK all columns, check" table_check
row "dpagentd VmHWM after walks, MB" hwm_walk_mb
row "dpagentd VmHWM at the end, MB" hwm_end_mb
echo
echo "latency: dplat, one process, $LAT_COUNT requests after 20 warm-ups, one varbind each, the $NCOLS columns in turn; median of $LAT_REPEAT series"
echo
echo "$hdr"; echo "$sep"
for pos in start mid end random; do
	row "GET $pos p50 ms" "get_${pos}_p50"
	row "GET $pos p99 ms" "get_${pos}_p99"
done
for pos in start mid end; do
	row "GETNEXT $pos p50 ms" "next_${pos}_p50"
	row "GETNEXT $pos p99 ms" "next_${pos}_p99"
done
if [ "$ANCHORS" = 1 ]; then
	echo
	echo "anchors' container subagent (measure.sh container, REPEAT=1 LAT_REPEAT=1 WALK_REPS=25; its whole 18-column table), same placement:"
	echo
	echo "$hdr"; echo "$sep"
	row "container: walk table -Cr25, s" c_walk25_s
	row "container: walk varbinds/s" c_walk25_vbps
	row "container: walk check (1 = ok)" c_walk25_ok
	row "container: subagent CPU us/varbind" c_walk25_cpu_sub_s
	row "container: GET random p50 ms" c_get_p50_ms
	row "container: GET random p99 ms" c_get_p99_ms
	row "container: GETNEXT mid p99 ms" c_next_mid_p99_ms
	row "container: VmHWM after walks, MB" c_rss_hwm_kb
	row "container: ready s (its own definition)" c_ready_s
	for n in $SIZES; do
		R[$n,r_col]=$(ratio "$(g "$n" col_vbps)" "$(g "$n" c_walk25_vbps)")
		R[$n,r_full]=$(ratio "$(g "$n" full_vbps)" "$(g "$n" c_walk25_vbps)")
		R[$n,r_get]=$(ratio "$(g "$n" get_random_p99)" "$(g "$n" c_get_p99_ms)")
		R[$n,r_next]=$(ratio "$(g "$n" next_mid_p99)" "$(g "$n" c_next_mid_p99_ms)")
		R[$n,r_rss]=$(ratio "$(g "$n" hwm_walk_mb)" "$(g "$n" c_rss_hwm_kb)")
	done
	echo
	echo "ratios dpagentd / container (walks: varbinds/s, higher is better; latency and memory: lower is better):"
	echo
	echo "$hdr"; echo "$sep"
	row "walk vb/s: dpStatus column / container table" r_col
	row "walk vb/s: dpTable / container table" r_full
	row "GET random p99" r_get
	row "GETNEXT mid p99" r_next
	row "VmHWM after walks" r_rss
fi
