#!/usr/bin/env bash
# The demo: installs what is missing, builds, creates a database from the
# bundled sample export, starts a private snmpd master (127.0.0.1, a high
# port, its AgentX socket in a temporary directory) and dpagentd, prints
# the tables with names and ends with a walk of dpTable.  Ctrl-C stops
# everything it started.
#
#   scripts/demo.sh              (DEMO_PORT=16161 by default)
#   DEMO_ONESHOT=1 scripts/demo.sh   stop right after the walk (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
port=${DEMO_PORT:-16161}
build=${DP_BUILD_DIR:-$top/build}

if [ -z "${DP_SKIP_BUILD:-}" ]; then
	scripts/deps.sh
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j"$(nproc)" --target dpctl dpagentd \
	    dp_base_mibs >/dev/null
fi

work=$(mktemp -d /tmp/dpagent-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "stopping the demo"; exit 0' INT TERM

db=$work/dpagent.db
"$build/dpctl" --db "$db" init
"$build/dpctl" --db "$db" import tests/data/sample-ps7.json \
    tests/data/sample-dist-ps7.json

cat >"$work/snmpd.conf" <<EOF
agentaddress udp:127.0.0.1:$port
master agentx
agentXSocket $work/agentx.sock
agentXPerms 0600 0700
rocommunity public 127.0.0.1
EOF
MIBS= snmpd -f -Lf "$work/snmpd.log" -C -c "$work/snmpd.conf" \
    -p "$work/snmpd.pid" &
pids+=($!)
"$build/dpagentd" -f --db "$db" -x "$work/agentx.sock" \
    -Lf "$work/dpagentd.log" &
pids+=($!)

# The clients load our MIB and the three base modules it imports.
export MIBDIRS="$build/base-mibs:$top/mibs"
export MIBS=DISTRIBUTION-POINT-MIB
snmp=(-v2c -c public "127.0.0.1:$port")
for _ in $(seq 100); do
	if snmpget -t 1 -r 0 "${snmp[@]}" dpRowCount.0 2>/dev/null |
	    grep -q Gauge32; then
		break
	fi
	sleep 0.1
done
if ! snmpget -t 1 -r 0 "${snmp[@]}" dpRowCount.0 | grep -q Gauge32; then
	echo "demo: dpagentd is not served; logs:" >&2
	cat "$work/snmpd.log" "$work/dpagentd.log" >&2
	exit 1
fi

echo
snmptable -Cb -Ci "${snmp[@]}" dpServerTable
echo
snmptable -Cb -Ci "${snmp[@]}" dpPackageTable
echo
echo "== distribution health (SMS_PackageStatusDistPointsSummarizer) =="
snmpget -OqvU "${snmp[@]}" dpDistRows.0 dpDistInstalled.0 \
    dpDistInProgress.0 dpDistRetrying.0 dpDistFailed.0 dpDistOther.0 |
    paste -sd' ' - | awk '{ printf "rows %s: installed %s, in progress %s, " \
    "retrying %s, failed %s, other %s\n", $1, $2, $3, $4, $5, $6 }'
echo "not installed (dpDistState), by index dpServerIndex.dpPackageIndex:"
snmpwalk -OqsU "${snmp[@]}" dpDistState | grep -v ' installed$' |
    while read -r name state; do
	i=${name#dpDistState.}
	set -- $(snmpget -OqvU "${snmp[@]}" "dpDistPackageID.$i" \
	    "dpSrvName.${i%%.*}")
	printf '  %-6s %-10s %-26s %s\n' "$i" "$1" "$2" "$state"
done
echo
echo "== snmpwalk of dpTable (every SMS_DistributionPoint property) =="
snmpwalk "${snmp[@]}" dpTable

cat <<EOF

The demo runs: snmpd on udp:127.0.0.1:$port, dpagentd on $work/agentx.sock.
In another terminal:

  export MIBDIRS=$MIBDIRS MIBS=DISTRIBUTION-POINT-MIB
  snmpget  -v2c -c public 127.0.0.1:$port dpRowCount.0 dpRowsDeleted.0 dpLastImportAge.0
  snmpwalk -v2c -c public 127.0.0.1:$port dpStatus.1      # the rows of server 1
  snmpwalk -v2c -c public 127.0.0.1:$port dpDistState     # failed: installFailed(3), removalFailed(6)
  snmptable -v2c -c public -Cb 127.0.0.1:$port dpServerTable
  $build/dpctl --db $db list

Status is the last action ConfigMgr took for the package on the
distribution point (none, updated, added, deleted), not success or failure;
dpDistState says whether the content got there.
EOF
if [ -n "${DEMO_ONESHOT:-}" ]; then
	exit 0
fi
echo "Ctrl-C stops snmpd and dpagentd."
wait
