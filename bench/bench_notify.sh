#!/bin/sh
# Measures dpagentd's notifications through a private Net-SNMP master and a
# real snmptrapd, all on 127.0.0.1:
#
#   bench/bench_notify.sh [ROWS]            (default 100000)
#
#   1. transition-to-trap latency: LAT_N (default 200) single transitions,
#      one at a time at random moments (plain SQL UPDATE, as any writer),
#      from the event's commit time (status_event.at_ms) to the moment the
#      line is read from snmptrapd's log: p50, p99, max.  The notifier
#      looks at the event log every 100 ms, so about 50 ms is expected.
#   2. a burst of ROWS transitions (one UPDATE of every row) with pacing
#      off (notifyRate 1000000, notifyBacklog 0): drain time from the
#      commit to the last notification received, rate (by the master's
#      sysUpTime stamps and as received), GET latency meanwhile (a BER
#      client in this script, one GET at a time, no process start-up).
#   3. the same burst paced at RATE (default 2000 per second).
#   4. the same burst with notifyBacklog 10000 (the default): time to the
#      dpStatusSummary and to all events recorded delivered.
#
# Environment: BUILD (build directory with dpctl, dpagentd, bench/gen_export;
# default ../build next to this script), BENCH_DIR (default
# /tmp/dpagent-bench; the generated database is kept there and reused),
# LAT_N, RATE.  Every process started is stopped by its PID.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../build}
BENCH_DIR=${BENCH_DIR:-/tmp/dpagent-bench}
ROWS=${1:-100000}
case $ROWS in
'' | *[!0-9]*) echo "$0: ROWS must be a number: '$ROWS'" >&2; exit 2 ;;
esac
for p in "$BUILD/dpctl" "$BUILD/dpagentd" "$BUILD/bench/gen_export"; do
	[ -x "$p" ] || { echo "$0: no $p (build first, or set BUILD)" >&2; exit 2; }
done
for p in snmpd snmptrapd python3; do
	command -v "$p" >/dev/null ||
	    { echo "$0: $p not found (apt-get install snmpd snmptrapd)" >&2; exit 2; }
done
mkdir -p "$BENCH_DIR"
BUILD=$(cd "$BUILD" && pwd)
export DP_BUILD_DIR="$BUILD" BENCH_DIR ROWS
LAT_N=${LAT_N:-200}
RATE=${RATE:-2000}
export LAT_N RATE
export PYTHONPATH="$here/../tests/integration${PYTHONPATH:+:$PYTHONPATH}"

exec python3 - <<'EOF'
import os, random, shutil, socket, sqlite3, statistics, subprocess, sys
import tempfile, threading, time

import dpstack
from dpstack import (ROW_ENTRY, STATUS_CHANGE, STATUS_SUMMARY, Stack,
                     TrapReceiver, dpctl)

BUILD = os.environ["DP_BUILD_DIR"]
BENCH = os.environ["BENCH_DIR"]
ROWS = int(os.environ["ROWS"])
LAT_N = int(os.environ["LAT_N"])
RATE = int(os.environ["RATE"])


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs))) - 1))]


# -- a minimal SNMPv2c GET client: per-request latency without fork/exec --

def ber_len(n):
    if n < 128:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + ber_len(len(body)) + body


def ber_int(v):
    return tlv(0x02, v.to_bytes((v.bit_length() + 8) // 8, "big", signed=True))


def ber_oid(text):
    arcs = [int(x) for x in text.strip(".").split(".")]
    out = bytes([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7f]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7f))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, out)


def parse_tlv(buf, i):
    tag = buf[i]
    n = buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, buf[i:i + n], i + n


class Getter:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.connect(("127.0.0.1", port))
        self.s.settimeout(5)
        self.reqid = 1

    def get(self, oid):
        """True when answered with a value (no error, no exception)."""
        self.reqid += 1
        pdu = tlv(0xa0, ber_int(self.reqid) + ber_int(0) + ber_int(0) +
                  tlv(0x30, tlv(0x30, ber_oid(oid) + b"\x05\x00")))
        self.s.send(tlv(0x30, ber_int(1) + tlv(0x04, b"public") + pdu))
        while True:
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                return False
            _, msg, _ = parse_tlv(data, 0)
            _, _, i = parse_tlv(msg, 0)       # version
            _, _, i = parse_tlv(msg, i)       # community
            _, pdu, _ = parse_tlv(msg, i)
            _, rid, j = parse_tlv(pdu, 0)
            if int.from_bytes(rid, "big", signed=True) != self.reqid:
                continue                      # a late answer
            _, err, j = parse_tlv(pdu, j)
            _, _, j = parse_tlv(pdu, j)
            _, vbl, _ = parse_tlv(pdu, j)
            _, vb, _ = parse_tlv(vbl, 0)
            _, _, k = parse_tlv(vb, 0)
            vtag = vb[k]
            return int.from_bytes(err, "big") == 0 and vtag not in (
                0x80, 0x81, 0x82)


def agent_conf(directory, **tokens):
    path = os.path.join(directory, "dpagentd.conf")
    with open(path, "w") as f:
        for k, v in tokens.items():
            f.write("%s %s\n" % (k, v))
    return path


def sql(db, statement):
    con = sqlite3.connect(db, timeout=30)
    con.execute(statement)
    con.commit()
    con.close()


def one(db, q, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    r = con.execute(q, args).fetchone()
    con.close()
    return r


def run(db, tokens, body):
    tmp = tempfile.mkdtemp(prefix="bench_notify.")
    rx = TrapReceiver().start()
    st = Stack(db, sinks=[rx.sink()],
               extra_conf="dontLogTCPWrappersConnects yes\n")
    try:
        st.start_master()
        st.start_agent("-c", agent_conf(tmp, **tokens))
        return body(db, st, rx)
    finally:
        st.close()
        rx.close()
        shutil.rmtree(tmp, ignore_errors=True)


def latency(db, st, rx):
    lat = []
    for i in range(LAT_N):
        time.sleep(random.uniform(0.0, 0.15))
        sql(db, "UPDATE dp SET status = (status + 1) %% 4 WHERE "
            "server_idx = %d AND package_idx = %d" % (1 + i % 4, 1 + i % 6))
        seq, at_ms = one(db, "SELECT seq, at_ms FROM status_event "
                         "ORDER BY seq DESC LIMIT 1")
        rx.wait(lambda r: any(t.seq == seq for t in r.received[-5:]),
                "seq %d" % seq, timeout=10, interval=0.0005)
        t = [t for t in rx.received if t.seq == seq][0]
        lat.append(t.arrived - at_ms / 1000.0)
    return lat


def burst(db, st, rx):
    before = one(db, "SELECT coalesce(max(seq), 0) FROM status_event")[0]
    getter = Getter(st.port)
    gets, failed = [], [0]
    stop = threading.Event()

    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    rows = con.execute("SELECT server_idx, package_idx FROM dp").fetchall()
    con.close()

    def loop():
        rng = random.Random(1)
        while not stop.is_set():
            oid = "%s.18.%d.%d" % ((ROW_ENTRY,) + rng.choice(rows))
            t0 = time.monotonic()
            ok = getter.get(oid)
            gets.append(time.monotonic() - t0)
            if not ok:
                failed[0] += 1

    t0 = time.time()
    sql(db, "UPDATE dp SET status = (status + 1) % 4")
    committed = time.time()
    n = one(db, "SELECT count(*) FROM status_event WHERE seq > ?",
            before)[0]
    th = threading.Thread(target=loop)
    th.start()
    summary = None
    got = []    # (arrived, sysUpTime) of each dpStatusChange
    recorded = None
    try:
        # Until all are recorded delivered and the receiver is quiet: a
        # receiver that cannot keep up loses datagrams (counted below).
        deadline = time.monotonic() + 3600
        quiet = time.monotonic()
        while recorded is None or time.monotonic() - quiet < 1.0:
            if time.monotonic() > deadline:
                raise AssertionError("drain: %d of %d" % (len(got), n))
            new = rx.poll()
            if new:
                quiet = time.monotonic()
            for t in new:
                if t.trap_oid == STATUS_SUMMARY:
                    summary = t
                elif t.trap_oid == STATUS_CHANGE:
                    got.append((t.arrived, t.uptime))
            rx.received.clear()     # keep memory flat
            if recorded is None and one(
                    db, "SELECT count(*) FROM status_event WHERE seq > ? "
                    "AND delivered_ms IS NULL", before)[0] == 0:
                recorded = time.time()
            time.sleep(0.005)
    finally:
        stop.set()
        th.join()
    res = {"events": n, "commit_s": committed - t0,
           "recorded_s": recorded - committed, "gets": len(gets),
           "get_failed": failed[0]}
    if gets:
        res.update(get_p50_ms=1000 * statistics.median(gets),
                   get_p99_ms=1000 * pct(gets, 99),
                   get_max_ms=1000 * max(gets))
    if summary is not None:
        res["summary_s"] = summary.arrived - committed
        res["summary_count"] = summary.varbinds[2][2]
    if got:
        res["received"] = len(got)
        res["drain_s"] = got[-1][0] - committed
        res["rate_uptime"] = (len(got) - 1) / max(
            0.01, (got[-1][1] - got[0][1]) / 100.0)
        res["rate_received"] = (len(got) - 1) / max(
            0.001, got[-1][0] - got[0][0])
    return res


def main():
    # 1. latency, on the sample export
    tmp = tempfile.mkdtemp(prefix="bench_notify.")
    try:
        db = os.path.join(tmp, "dp.db")
        dpctl(db, "init")
        dpctl(db, "import", os.path.join(dpstack.DATA, "sample-ps7.json"))
        say("latency: %d single transitions" % LAT_N)
        lat = run(db, {"notifyRate": 1000}, latency)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # 2-4. bursts on a generated export of ROWS rows (kept in BENCH_DIR)
    src = os.path.join(BENCH, "notify-%d.db" % ROWS)
    if not os.path.exists(src):
        say("generating %d rows" % ROWS)
        export = os.path.join(BENCH, "notify-%d.json" % ROWS)
        with open(export, "wb") as f:
            subprocess.run([os.path.join(BUILD, "bench", "gen_export"),
                            str(ROWS)], stdout=f, check=True)
        dpctl(src + ".tmp", "init")
        dpctl(src + ".tmp", "import", export)
        os.rename(src + ".tmp", src)
        os.unlink(export)
    work = os.path.join(BENCH, "notify-work.db")
    results = {}
    for name, tokens in (
            ("unpaced", {"notifyRate": 1000000, "notifyBacklog": 0}),
            ("paced", {"notifyRate": RATE, "notifyBacklog": 0}),
            ("summary", {"notifyRate": RATE})):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(work + suffix):
                os.unlink(work + suffix)
        shutil.copyfile(src, work)
        say("burst of %d transitions, %s %s" % (ROWS, name, tokens))
        results[name] = run(work, tokens, burst)
        say("  %s" % results[name])
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(work + suffix):
            os.unlink(work + suffix)

    u, p, s = results["unpaced"], results["paced"], results["summary"]
    print("dpagentd notifications (%s, %d CPUs, Net-SNMP snmpd and "
          "snmptrapd on 127.0.0.1)" % (time.strftime("%Y-%m-%d"),
                                       os.cpu_count()))
    print("transition-to-trap latency (%d single transitions): p50 %.1f "
          "ms, p99 %.1f ms, max %.1f ms" %
          (len(lat), 1000 * statistics.median(lat), 1000 * pct(lat, 99),
           1000 * max(lat)))
    for name, r in (("unpaced (notifyRate 1000000)", u),
                    ("paced (notifyRate %d)" % RATE, p)):
        print("%d-transition burst, %s: %d received (%d lost by the "
              "receiver), drain %.1f s, "
              "%.0f/s (sysUpTime), %.0f/s (received); %d GETs meanwhile: "
              "p50 %.2f ms, p99 %.2f ms, max %.1f ms, %d failed; all "
              "recorded delivered %.1f s after the commit" %
              (r["events"], name, r["received"],
               r["events"] - r["received"], r["drain_s"],
               r["rate_uptime"], r["rate_received"], r["gets"],
               r.get("get_p50_ms", 0), r.get("get_p99_ms", 0),
               r.get("get_max_ms", 0), r["get_failed"], r["recorded_s"]))
    print("%d-transition burst, notifyBacklog 10000: dpStatusSummary of %s "
          "transitions %.2f s after the commit; all recorded delivered "
          "%.1f s after the commit; %d GETs meanwhile: p99 %.2f ms, max "
          "%.1f ms, %d failed" %
          (s["events"], s.get("summary_count"), s.get("summary_s", -1),
           s["recorded_s"], s["gets"], s.get("get_p99_ms", 0),
           s.get("get_max_ms", 0), s["get_failed"]))


main()
EOF
