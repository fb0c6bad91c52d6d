#!/usr/bin/env bash
# Measures dpagent in both modes -- dpagentd, an AgentX subagent of a private
# Net-SNMP master, and dpagent.so loaded into that master with dlmod
# (in-master) -- and the conventional anchors of ../shared/anchors in the
# same run: the container subagent and the same container loaded into snmpd.
#
#   bench/bench_agent.sh [BUILD_DIR] [ROWS...]   (default 10000 100000 1000000)
#
# For each size it imports a generated export of each class (gen_export:
# SMS_DistributionPoint and SMS_PackageStatusDistPointsSummarizer, the
# same keys) into BENCH_DIR/dp-ROWS.db (kept and reused by later runs; one
# of an older run without the second class gets it), starts snmpd
# (udp:127.0.0.1:PORT, master agentx, a private AgentX socket) with
# dpagentd, or with "dlmod dpagent dpagent.so", and measures
#   - start-up: exec of dpagentd (in-master: of snmpd) until GET
#     dpRowCount.0 answers (median of STARTS, default 3, restarts)
#   - snmpbulkwalk -v2c -On -Cr25 of one column (dpStatus): s, varbinds/s
#   - the same of the whole dpTable (every readable column, asked of
#     dpagentd: 20 x ROWS varbinds today), ROWS <= FULL_MAX
#   - snmptable-style GETBULK, all columns per request (-Cr25), ROWS <=
#     FULL_MAX: s, rows/s
#   - the same two walks of dpDistTable: dpDistState (its output checked
#     against gen_export --counts and the dpStatus walk's indexes) and,
#     ROWS <= FULL_MAX, every readable column
#   - GET and GETNEXT latency (dplat, one process, LAT_COUNT requests after
#     20 warm-ups, the columns in turn) at rows 0, ROWS/2 and ROWS-1, and
#     GET at random rows (like the anchors' GET series)
#   - dpagentd's VmHWM after the dpTable walks, after the dpDistTable walks
#     and after the latency series; in-master:
#     snmpd's VmHWM, less that of the same snmpd without the module (walked
#     over its own system group) = what the module adds
# then, unless ANCHORS=0, runs the anchors' measure.sh on the container
# subagent (up to ANCHOR_MAX) and on the in-master container (dlmod, up to
# ANCHOR_DLMOD_MAX) for the same sizes, and prints ratios.
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
#   MODES       "subagent dlmod" (default), or one of them
#   ANCHORS     1 (default) or 0;  ANCHOR_MAX (default 100000, the container
#               subagent), ANCHOR_DLMOD_MAX (default 1000000, in-master)
#   ANCHOR_SRC  the anchors to copy (default ../../shared/anchors)
#   FULL_MAX    largest ROWS for the full-table walks through AgentX (default
#               100000); FULL_MAX_DLMOD the same in-master (default 1000000)
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
BUILD=$(cd "$BUILD" && pwd)	# dlmod wants an absolute path
DPCTL=${DPCTL:-$BUILD/dpctl}
DPAGENTD=${DPAGENTD:-$BUILD/dpagentd}
GEN_EXPORT=${GEN_EXPORT:-$BUILD/bench/gen_export}
DPLAT=${DPLAT:-$BUILD/bench/dplat}
DLMOD_SO=${DLMOD_SO:-$BUILD/dpagent.so}
MODES=${MODES:-subagent dlmod}
BENCH_DIR=${BENCH_DIR:-/tmp/dpagent-bench}
ANCHORS=${ANCHORS:-1}
ANCHOR_MAX=${ANCHOR_MAX:-100000}
ANCHOR_DLMOD_MAX=${ANCHOR_DLMOD_MAX:-1000000}
ANCHOR_SRC=${ANCHOR_SRC:-$here/../../shared/anchors}
FULL_MAX=${FULL_MAX:-100000}
FULL_MAX_DLMOD=${FULL_MAX_DLMOD:-1000000}
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
for m in $MODES; do
	case $m in
	subagent | dlmod) ;;
	*) echo "$0: MODES: subagent and/or dlmod, not '$m'" >&2; exit 2 ;;
	esac
done
for p in "$DPCTL" "$DPAGENTD" "$GEN_EXPORT" "$DPLAT"; do
	[ -x "$p" ] || { echo "$0: no $p (build dpctl dpagentd dpagent gen_export dplat first)" >&2; exit 2; }
done
case " $MODES " in
*" dlmod "*) [ -f "$DLMOD_SO" ] || { echo "$0: no $DLMOD_SO (build the dpagent target)" >&2; exit 2; } ;;
esac
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
DIST_ENTRY=$ROOT.6.1
ROWCOUNT=$ROOT.1.3.0
STATUS_COL=18
DIST_STATE_COL=4
COLS=""			# dpTable's readable columns, asked of dpagentd
NCOLS=0
DCOLS=""		# dpDistTable's
NDCOLS=0

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

# The database of N rows of both classes, imported once and kept in
# BENCH_DIR; one of an older run, without the summarizer rows, gets them.
ensure_db() {
	local n=$1 db=$BENCH_DIR/dp-$1.db file want have c
	if [ -f "$db.ok" ] && [ -f "$db" ]; then
		"$DPCTL" -q --db "$db" init	# migrates if the schema moved on
	else
		rm -f "$db" "$db-wal" "$db-shm" "$db.ok"
		file=$BENCH_DIR/export-$n.$FORMAT
		say "N=$n: generating the export and importing it into $db"
		"$GEN_EXPORT" --format "$FORMAT" "$n" > "$file"
		"$DPCTL" -q --db "$db" init
		"$DPCTL" -q --db "$db" import "$file"
		rm -f "$file"
		echo "rows=$n format=$FORMAT servers=default" > "$db.ok"
	fi
	grep -q ' classes=dp,dist' "$db.ok" && return 0
	file=$BENCH_DIR/dist-$n.$FORMAT
	say "N=$n: generating the summarizer export and importing it into $db"
	"$GEN_EXPORT" --class dist --format "$FORMAT" "$n" > "$file"
	"$DPCTL" -q --db "$db" import "$file"
	rm -f "$file"
	# The model's counts must be those of the exports.
	if command -v sqlite3 > /dev/null; then
		want="$("$GEN_EXPORT" --counts "$n") $("$GEN_EXPORT" --class dist --counts "$n")"
		have=""
		for c in $want; do
			c=${c%%=*}
			have="${have:+$have }$c=$(sqlite3 "$db" "SELECT $c FROM meta")"
		done
		[ "$have" = "$want" ] || { echo "$0: $db holds $have, not $want" >&2; exit 1; }
	fi
	sed -i 's/$/ classes=dp,dist/' "$db.ok"
}

start_master() { # [extra snmpd.conf lines]; sets SNMPD_PID PORT DIR
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
	${1:-}
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

# Starts dpagentd (MODE subagent: snmpd must run) or snmpd with dpagent.so
# (MODE dlmod: a running snmpd is stopped first); sets AGENT_PID (the
# process that runs our code) and START_S (exec to first answer).
start_agent() {
	local db=$1 t0 out log
	t0=$(now)
	if [ "$MODE" = dlmod ]; then
		stop_pid "$SNMPD_PID"; SNMPD_PID=""
		start_master "dlmod dpagent $DLMOD_SO
	dpagentDatabase $db"
		AGENT_PID=$SNMPD_PID
		log=$DIR/snmpd.log
	else
		"${TS[@]}" "$DPAGENTD" -f --db "$db" -x "$DIR/agentx.sock" \
		    -Lf "$DIR/dpagentd.log" &
		AGENT_PID=$!
		log=$DIR/dpagentd.log
	fi
	if ! out=$("${TS[@]}" "$DPLAT" -p "$PORT" -t 0.2 -i 2 -W 60 -T "$t0" \
	    -m wait "$ROWCOUNT"); then
		tail -5 "$log" >&2
		echo "$0: $MODE did not answer within 60 s" >&2
		exit 1
	fi
	START_S=$(field ready_s "$out")
}

# snmpd without the module, walked over its system group: its VmHWM is
# subtracted from the in-master snmpd's to give what dpagent.so adds.
plain_snmpd() { # sets PLAIN_MB
	start_master
	"${TS[@]}" snmpbulkwalk -v2c -c "$COMMUNITY" -On -Cr25 -t 5 -r 0 \
	    "127.0.0.1:$PORT" .1.3.6.1.2.1.1 > /dev/null
	PLAIN_MB=$(hwm_mb "$SNMPD_PID")
	stop_pid "$SNMPD_PID"; SNMPD_PID=""
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

# A table's readable columns: GETNEXT of entry.(c+1) answers the first
# instance of the first readable column after c.
table_columns() { # ENTRY NAME: prints the column numbers
	local entry=$1 c=0 next cols=""
	while [ "$c" -lt 64 ]; do
		next=$("${TS[@]}" snmpgetnext -v2c -c "$COMMUNITY" -On -t 5 -r 0 \
		    "127.0.0.1:$PORT" "$entry.$((c + 1))" 2> /dev/null |
		    sed -n "s/^${entry//./\\.}\\.\\([0-9]*\\)\\..*/\\1/p")
		if [ -z "$next" ] || [ "$next" -le "$c" ]; then break; fi
		cols="$cols $next"
		c=$next
	done
	[ -n "$cols" ] || { echo "$0: $2 has no readable column" >&2; exit 1; }
	say "$2's readable columns:$cols"
	echo "$cols"
}
discover_columns() {
	COLS=$(table_columns "$ENTRY" dpTable) || exit 1
	NCOLS=$(wc -w <<< "$COLS")
	DCOLS=$(table_columns "$DIST_ENTRY" dpDistTable) || exit 1
	NDCOLS=$(wc -w <<< "$DCOLS")
}

# The dpDistState walk in $RUN/walk.out against the export: its indexes
# are the dpStatus walk's ($RUN/index.txt) and it has as many rows of each
# State bucket as gen_export --counts says.
dist_walk_check() { # N
	local want have
	sed -n "s/^${DIST_ENTRY//./\\.}\\.$DIST_STATE_COL\\.\\([0-9]*\\.[0-9]*\\) .*/\\1/p" \
	    "$RUN/walk.out" | cmp -s - "$RUN/index.txt" || { echo "FAILED(indexes)"; return 0; }
	want=$("$GEN_EXPORT" --class dist --counts "$1")
	have=$(awk -v n="$1" '{ v = $NF; b = v == 0 ? 2 : v == 1 || v == 4 || v == 7 ? 3 : v == 2 || v == 5 ? 4 : v == 3 || v == 6 ? 5 : 6; c[b]++ }
	    END { printf "d_rows=%d d_installed=%d d_inprogress=%d d_retrying=%d d_failed=%d d_other=%d\n", NR, c[2], c[3], c[4], c[5], c[6] }' "$RUN/walk.out")
	if [ "$have" = "$want" ]; then echo ok; else echo "FAILED($have)"; fi
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

# Metrics of mode MODE are stored with the prefix P (s_ subagent, m_ in-master).
mput() { put "$1" "$P$2" "$3"; }
bench_dpagentd() { # ROWS MODE
	local n=$1 db=$BENCH_DIR/dp-$1.db starts="" i pos row prev out full_max
	MODE=$2
	case $MODE in subagent) P=s_ full_max=$FULL_MAX ;; dlmod) P=m_ full_max=$FULL_MAX_DLMOD ;; esac
	ensure_db "$n"
	[ "$MODE" = dlmod ] || start_master
	for i in $(seq "$STARTS"); do
		start_agent "$db"
		starts="$starts $START_S"
		if [ "$i" -lt "$STARTS" ] && [ "$MODE" = subagent ]; then
			stop_pid "$AGENT_PID"; AGENT_PID=""
		fi
	done
	say "N=$n, $MODE: snmpd pid $SNMPD_PID on 127.0.0.1:$PORT; $PLACEMENT"
	mput "$n" start_s "$(median <<< "$starts")"
	[ "$NCOLS" -gt 0 ] || discover_columns
	say "N=$n, $MODE: start-up to first answer:$starts s"

	walk "$ENTRY.$STATUS_COL" "$n"
	mput "$n" col_walk_s "$W_S"; mput "$n" col_vbps "$(fdiv "$W_N" "$W_S")"
	mput "$n" col_check "$W_OK"; mput "$n" col_sub_us "$W_SUB_US"
	say "N=$n, $MODE: one-column walk $W_S s, $W_N varbinds, $W_OK"
	# Row r's index (S.P) is line r+1 of the column walk.
	sed -n "s/^${ENTRY//./\\.}\\.$STATUS_COL\\.\\([0-9]*\\.[0-9]*\\) .*/\\1/p" \
	    "$RUN/walk.out" > "$RUN/index.txt"
	[ "$(wc -l < "$RUN/index.txt")" = "$n" ] ||
	    { echo "$0: the dpStatus walk did not give $n indexes" >&2; exit 1; }

	if [ "$n" -le "$full_max" ]; then
		walk "$ENTRY" $((n * NCOLS))
		mput "$n" full_walk_s "$W_S"; mput "$n" full_vbps "$(fdiv "$W_N" "$W_S")"
		mput "$n" full_check "$W_OK"; mput "$n" full_sub_us "$W_SUB_US"
		say "N=$n, $MODE: full dpTable walk $W_S s, $W_N varbinds, $W_OK"
		for c in $COLS; do echo "$ENTRY.$c"; done > "$RUN/columns.txt"
		out=$("${TS[@]}" "$DPLAT" -p "$PORT" -t 30 -R 25 -m table -f "$RUN/columns.txt")
		mput "$n" table_s "$(field seconds "$out")"
		mput "$n" table_rowsps "$(field rowsps "$out")"
		if [ "$(field varbinds "$out")" = $((n * NCOLS)) ]; then
			mput "$n" table_check ok
		else
			mput "$n" table_check "FAILED($(field varbinds "$out"))"
		fi
		say "N=$n, $MODE: snmptable-style GETBULK: $out"
	fi
	mput "$n" hwm_walk_mb "$(hwm_mb "$AGENT_PID")"
	if [ "$MODE" = dlmod ]; then
		mput "$n" added_walk_mb "$(fsub "$(hwm_mb "$AGENT_PID")" "$PLAIN_MB")"
	fi

	# dpDistTable: one column (dpDistState), then every readable column.
	walk "$DIST_ENTRY.$DIST_STATE_COL" "$n"
	mput "$n" dcol_walk_s "$W_S"; mput "$n" dcol_vbps "$(fdiv "$W_N" "$W_S")"
	mput "$n" dcol_sub_us "$W_SUB_US"
	[ "$W_OK" = ok ] && W_OK=$(dist_walk_check "$n")
	mput "$n" dcol_check "$W_OK"
	mput "$n" r_dcol "$(ratio "${R[$n,${P}dcol_vbps]}" "${R[$n,${P}col_vbps]}")"
	say "N=$n, $MODE: dpDistState walk $W_S s, $W_N varbinds, $W_OK"
	if [ "$n" -le "$full_max" ]; then
		walk "$DIST_ENTRY" $((n * NDCOLS))
		mput "$n" dfull_walk_s "$W_S"; mput "$n" dfull_vbps "$(fdiv "$W_N" "$W_S")"
		mput "$n" dfull_check "$W_OK"; mput "$n" dfull_sub_us "$W_SUB_US"
		say "N=$n, $MODE: full dpDistTable walk $W_S s, $W_N varbinds, $W_OK"
	fi
	mput "$n" hwm_dist_mb "$(hwm_mb "$AGENT_PID")"
	if [ "$MODE" = dlmod ]; then
		mput "$n" added_dist_mb "$(fsub "$(hwm_mb "$AGENT_PID")" "$PLAIN_MB")"
	fi

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
		mput "$n" "get_${pos}_p50" "$LAT_P50"; mput "$n" "get_${pos}_p99" "$LAT_P99"
		lat getnext "$RUN/next-$pos.txt" "$ENTRY"
		mput "$n" "next_${pos}_p50" "$LAT_P50"; mput "$n" "next_${pos}_p99" "$LAT_P99"
	done
	# Random rows (fixed seed), columns in turn, as the anchors' GET series.
	awk -v e="$ENTRY" -v n="$n" -v k="$LAT_COUNT" -v cols="$COLS" \
	    '{ s[NR - 1] = $0 } END { nc = split(cols, c, " "); srand(4242); for (i = 0; i < k; i++) printf "%s.%d.%s\n", e, c[1 + i % nc], s[int(rand() * n)] }' \
	    "$RUN/index.txt" > "$RUN/get-random.txt"
	lat get "$RUN/get-random.txt"
	mput "$n" get_random_p50 "$LAT_P50"; mput "$n" get_random_p99 "$LAT_P99"
	mput "$n" hwm_end_mb "$(hwm_mb "$AGENT_PID")"
	say "N=$n, $MODE: latencies done; dpagentd VmHWM ${R[$n,${P}hwm_end_mb]} MB"

	if [ "$MODE" = dlmod ]; then
		mput "$n" added_end_mb "$(fsub "$(hwm_mb "$AGENT_PID")" "$PLAIN_MB")"
	else
		stop_pid "$AGENT_PID"
	fi
	AGENT_PID=""
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
# An anchor (container: the subagent; dlmod: the same container inside
# snmpd) via their harness; its metrics are stored with the prefix PFX.
bench_anchor() { # ANCHOR ROWS PFX
	local a=$1 n=$2 pfx=$3 port rc=0 m v cpu
	port=$(free_port "$BENCH_PORT")
	say "N=$n: anchor $a (measure.sh, port $port)"
	# measure.sh cleans up after itself (trap on EXIT); it runs in the
	# background so that our trap can stop it by its PID.
	( cd "$ANCHOR_HOME" && exec env RESULTS="$ANCHOR_RAW" REPEAT=1 LAT_REPEAT=1 \
	    WALK_REPS=25 WALK_TIMEOUT="$WALK_TIMEOUT" BENCH_PORT="$port" \
	    SNMPD_EXTRA_ARGS="-I -smux" \
	    BENCH_DATA="$BENCH_DIR/anchor-data" ${PIN_CPU:+PIN_CPU=$PIN_CPU} \
	    ./measure.sh "$a" "$n" ) > "$RUN/anchor-$a-$n.log" 2>&1 &
	ANCHOR_PID=$!
	wait "$ANCHOR_PID" || rc=$?
	ANCHOR_PID=""
	[ "$rc" = 0 ] || { say "measure.sh failed ($rc):"; tail -5 "$RUN/anchor-$a-$n.log" >&2; }
	# CPU per varbind of the process that runs the table's code
	cpu=walk25_cpu_sub_s
	[ "$a" = dlmod ] && cpu=walk25_cpu_master_s
	for m in walk25_s walk25_vbps walk25_ok $cpu get_p50_ms get_p99_ms next_mid_p99_ms rss_hwm_kb ready_s; do
		v=$(awk -F '\t' -v a="$a" -v n="$n" -v m="$m" '$2 == a && $3 == n && $4 == m { v = $6 } END { print v }' "$ANCHOR_RAW" 2> /dev/null || true)
		[ "$m" = rss_hwm_kb ] && [ -n "$v" ] && v=$(awk -v k="$v" 'BEGIN { printf "%.1f", k / 1024 }')
		# the anchors' table has 18 columns
		[ "$m" = "$cpu" ] && [ -n "$v" ] && v=$(awk -v s="$v" -v n="$n" 'BEGIN { printf "%.1f", s * 1e6 / (n * 18) }') && m=cpu_us
		put "$n" "$pfx$m" "${v:--}"
	done
}

say "dpagentd benchmark: rows $*; $PLACEMENT; work dir $BENCH_DIR"
[ "$ANCHORS" = 1 ] && prepare_anchors
PLAIN_MB=-
case " $MODES " in
*" dlmod "*) plain_snmpd; say "snmpd without the module: VmHWM $PLAIN_MB MB" ;;
esac
for n in "$@"; do
	for mode in $MODES; do
		bench_dpagentd "$n" "$mode"
	done
	if [ "$ANCHORS" = 1 ] && [ "$n" -le "$ANCHOR_MAX" ] && [ "${MODES#*subagent}" != "$MODES" ]; then
		bench_anchor container "$n" c_
	fi
	if [ "$ANCHORS" = 1 ] && [ "$n" -le "$ANCHOR_DLMOD_MAX" ] && [ "${MODES#*dlmod}" != "$MODES" ]; then
		bench_anchor dlmod "$n" d_
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
for mode in $MODES; do
	case $mode in
	subagent) P=s_ who=dpagentd; echo; echo "### dpagentd, AgentX subagent" ;;
	dlmod) P=m_ who="snmpd with dpagent.so"; echo; echo "### dpagent.so in snmpd (dlmod); snmpd alone: VmHWM $PLAIN_MB MB" ;;
	esac
	echo
	echo "$hdr"; echo "$sep"
	row "start-up to first answer, s (median of $STARTS)" ${P}start_s
	row "walk dpStatus (1 column), s" ${P}col_walk_s
	row "walk dpStatus, varbinds/s" ${P}col_vbps
	row "walk dpStatus, $who CPU us/varbind" ${P}col_sub_us
	row "walk dpStatus, output check" ${P}col_check
	row "walk dpTable ($NCOLS columns), s" ${P}full_walk_s
	row "walk dpTable, varbinds/s" ${P}full_vbps
	row "walk dpTable, $who CPU us/varbind" ${P}full_sub_us
	row "walk dpTable, output check" ${P}full_check
	row "GETBULK all $NCOLS columns -Cr25 (snmptable-style), s" ${P}table_s
	row "GETBULK all columns, rows/s" ${P}table_rowsps
	row "GETBULK all columns, check" ${P}table_check
	row "walk dpDistState (1 column), s" ${P}dcol_walk_s
	row "walk dpDistState, varbinds/s" ${P}dcol_vbps
	row "walk dpDistState, $who CPU us/varbind" ${P}dcol_sub_us
	row "walk dpDistState, output check (indexes, State buckets)" ${P}dcol_check
	row "walk vb/s: dpDistState / dpStatus" ${P}r_dcol
	row "walk dpDistTable ($NDCOLS columns), s" ${P}dfull_walk_s
	row "walk dpDistTable, varbinds/s" ${P}dfull_vbps
	row "walk dpDistTable, $who CPU us/varbind" ${P}dfull_sub_us
	row "walk dpDistTable, output check" ${P}dfull_check
	row "$who VmHWM after the dpTable walks, MB" ${P}hwm_walk_mb
	row "$who VmHWM after the dpDistTable walks, MB" ${P}hwm_dist_mb
	row "$who VmHWM at the end, MB" ${P}hwm_end_mb
	if [ "$mode" = dlmod ]; then
		row "added to snmpd by dpagent.so after the dpTable walks, MB" ${P}added_walk_mb
		row "added to snmpd by dpagent.so after the dpDistTable walks, MB" ${P}added_dist_mb
		row "added to snmpd by dpagent.so at the end, MB" ${P}added_end_mb
	fi
	echo
	echo "latency: dplat, one process, $LAT_COUNT requests after 20 warm-ups, one varbind each, the $NCOLS columns in turn; median of $LAT_REPEAT series"
	echo
	echo "$hdr"; echo "$sep"
	for pos in start mid end random; do
		row "GET $pos p50 ms" "${P}get_${pos}_p50"
		row "GET $pos p99 ms" "${P}get_${pos}_p99"
	done
	for pos in start mid end; do
		row "GETNEXT $pos p50 ms" "${P}next_${pos}_p50"
		row "GETNEXT $pos p99 ms" "${P}next_${pos}_p99"
	done
done
anchor_rows() { # PFX label
	row "$2: walk table -Cr25, s" ${1}walk25_s
	row "$2: walk varbinds/s" ${1}walk25_vbps
	row "$2: walk check (1 = ok)" ${1}walk25_ok
	row "$2: CPU us/varbind (of the process with the table)" ${1}cpu_us
	row "$2: GET random p50 ms" ${1}get_p50_ms
	row "$2: GET random p99 ms" ${1}get_p99_ms
	row "$2: GETNEXT mid p99 ms" ${1}next_mid_p99_ms
	row "$2: VmHWM after walks, MB" ${1}rss_hwm_kb
	row "$2: ready s (its own definition)" ${1}ready_s
}
ratio_rows() { # our prefix, anchor prefix
	local n
	for n in $SIZES; do
		R[$n,r_col]=$(ratio "$(g "$n" ${1}col_vbps)" "$(g "$n" ${2}walk25_vbps)")
		R[$n,r_full]=$(ratio "$(g "$n" ${1}full_vbps)" "$(g "$n" ${2}walk25_vbps)")
		R[$n,r_dcol]=$(ratio "$(g "$n" ${1}dcol_vbps)" "$(g "$n" ${2}walk25_vbps)")
		R[$n,r_dfull]=$(ratio "$(g "$n" ${1}dfull_vbps)" "$(g "$n" ${2}walk25_vbps)")
		R[$n,r_get]=$(ratio "$(g "$n" ${1}get_random_p99)" "$(g "$n" ${2}get_p99_ms)")
		R[$n,r_next]=$(ratio "$(g "$n" ${1}next_mid_p99)" "$(g "$n" ${2}next_mid_p99_ms)")
		R[$n,r_rss]=$(ratio "$(g "$n" ${1}hwm_walk_mb)" "$(g "$n" ${2}rss_hwm_kb)")
	done
	echo
	echo "$hdr"; echo "$sep"
	row "walk vb/s: dpStatus column / anchor table" r_col
	row "walk vb/s: dpTable / anchor table" r_full
	row "walk vb/s: dpDistState column / anchor table" r_dcol
	row "walk vb/s: dpDistTable / anchor table" r_dfull
	row "GET random p99" r_get
	row "GETNEXT mid p99" r_next
	row "VmHWM after walks (in-master: whole snmpd)" r_rss
}
if [ "$ANCHORS" = 1 ]; then
	echo
	echo "### anchors (measure.sh, REPEAT=1 LAT_REPEAT=1 WALK_REPS=25; their whole 18-column table), same placement"
	echo
	echo "$hdr"; echo "$sep"
	case " $MODES " in *" subagent "*) anchor_rows c_ "container subagent" ;; esac
	case " $MODES " in *" dlmod "*) anchor_rows d_ "container in snmpd (dlmod)" ;; esac
	case " $MODES " in *" subagent "*)
		echo
		echo "ratios dpagentd / container subagent (walks: varbinds/s, higher is better; latency and memory: lower is better):"
		ratio_rows s_ c_ ;;
	esac
	case " $MODES " in *" dlmod "*)
		echo
		echo "ratios dpagent.so / container in snmpd, both in-master (same reading):"
		ratio_rows m_ d_ ;;
	esac
fi
