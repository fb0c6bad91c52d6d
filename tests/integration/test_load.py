#!/usr/bin/env python3
"""Load (issue 7): four concurrent bulk walkers and a snapshot import every
few seconds, for DP_LOAD_SECONDS (default 120), through a real snmpd master
and dpagentd on a generated database of DP_LOAD_ROWS (default 20 000) rows.

  walkers   4 threads, each running snmpbulkwalk -v2c -Cr25 -t 5 -r 0 in a
            loop over one dpTable column at a time (dpStatus, dpPackageID,
            dpServerNALPath, dpLastRefreshTime in turn, ~20 000 varbinds a
            walk); no retries, so any lost or late answer fails the walk.
  importer  dpctl import --snapshot of two snapshots in turn, one started
            every DP_LOAD_IMPORT_PERIOD (default 3) seconds: from A to B
            1000 rows change Status, 300 rows go, 300 others come back and
            4 packages that only B has (~230 rows) appear; B to A undoes it.
  prober    a separate process (its own interpreter: the other threads
            must not delay its clock) sending one SNMP GET every 10 ms over
            a plain UDP socket (5 s timeout, no retry), timing each, until
            the walkers and the importer are done.

Asserted: every walk exits 0 with nothing on stderr; its OIDs are instances
of the walked column, strictly increasing; every value equals that row's
value in snapshot A or in snapshot B (the oracle is each snapshot's model
read with plain SQL, dpstack.model()); the row count lies between the rows
common to A and B and the rows of either; and a walk during which
dpChangeCounter did not move is exactly snapshot A or exactly snapshot B.
Every import exits 0; every GET of the prober is answered, without error
or exception.  The figures table is printed to stderr.
"""

import bisect
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import ROW_ENTRY, SCALARS, SERVER_ENTRY, Stack, dpctl  # noqa

DURATION = float(os.environ.get("DP_LOAD_SECONDS", "120"))
ROWS = int(os.environ.get("DP_LOAD_ROWS", "20000"))
IMPORT_PERIOD = float(os.environ.get("DP_LOAD_IMPORT_PERIOD", "3"))
WALKERS = 4
WALK_COLUMNS = (18, 9, 14, 7)  # dpStatus, dpPackageID, dpServerNALPath,
#                                dpLastRefreshTime
PROBE_INTERVAL = 0.010
CHANGE_COUNTER = SCALARS + ".10.0"


# -- a minimal SNMPv2c GET over UDP (no Net-SNMP process per request) -----

def _tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body


def _int(v):
    return _tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big",
                                 signed=True))


def _oid(text):
    parts = [int(x) for x in text.strip(".").split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7f]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7f))
            p >>= 7
        body += bytes(reversed(enc))
    return _tlv(0x06, bytes(body))


def _next(buf, i):
    """(tag, start of contents, end) of the TLV at i."""
    tag, n = buf[i], buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, i, i + n


class Getter:
    """One UDP socket; get(oid) -> (value tag, value) or raises."""

    EXCEPTIONS = {0x80: "noSuchObject", 0x81: "noSuchInstance",
                  0x82: "endOfMibView"}

    def __init__(self, port, community="public", timeout=5.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(timeout)
        self.community = community.encode()
        self.reqid = random.randrange(1, 1 << 30)

    def close(self):
        self.sock.close()

    def get(self, oid):
        self.reqid = self.reqid % (1 << 30) + 1
        vb = _tlv(0x30, _tlv(0x30, _oid(oid) + b"\x05\x00"))
        pdu = _tlv(0xa0, _int(self.reqid) + _int(0) + _int(0) + vb)
        self.sock.send(_tlv(0x30, _int(1) + _tlv(0x04, self.community) +
                            pdu))
        while True:
            buf = self.sock.recv(65535)  # socket.timeout: no answer
            _, i, _ = _next(buf, 0)                 # Message
            _, _, i = _next(buf, i)                 # version
            _, _, i = _next(buf, i)                 # community
            tag, i, _ = _next(buf, i)               # PDU
            t, s, i = _next(buf, i)
            reqid = int.from_bytes(buf[s:i], "big", signed=True)
            if tag != 0xa2 or reqid != self.reqid:
                continue  # a late answer to an earlier request
            t, s, i = _next(buf, i)
            errstat = int.from_bytes(buf[s:i], "big")
            _, _, i = _next(buf, i)                 # error-index
            _, i, _ = _next(buf, i)                 # VarBindList
            _, i, _ = _next(buf, i)                 # VarBind
            _, _, i = _next(buf, i)                 # name
            vtag, s, e = _next(buf, i)
            if errstat != 0:
                raise RuntimeError("error-status %d" % errstat)
            if vtag in self.EXCEPTIONS:
                raise RuntimeError(self.EXCEPTIONS[vtag])
            if vtag in (0x02, 0x41, 0x42):
                return vtag, int.from_bytes(buf[s:e], "big",
                                            signed=vtag == 0x02)
            return vtag, bytes(buf[s:e])


def probe_main(port, stopfile, oids):
    """The prober process: GETs every PROBE_INTERVAL until stopfile exists,
    then one JSON line {"ms": [...], "errors": [...], "cpu": s} on
    stdout."""
    g = Getter(port)
    ms, errors = [], []
    i = 0
    while not os.path.exists(stopfile):
        oid = oids[i % len(oids)]
        t0 = time.perf_counter()
        try:
            g.get(oid)
        except Exception as e:  # noqa: BLE001 - every failure counts
            errors.append("%s: %r" % (oid, e))
        ms.append((time.perf_counter() - t0) * 1000)
        i += 1
        time.sleep(PROBE_INTERVAL)
    g.close()
    json.dump({"ms": ms, "errors": errors, "cpu": time.process_time()},
              sys.stdout)


# -- the snapshots ---------------------------------------------------------

def make_snapshots(directory):
    """Two exports from one generated one: A and B as described above.
    Returns their paths."""
    base = os.path.join(directory, "base.json")
    with open(base, "wb") as f:
        subprocess.run([dpstack.tool(os.path.join("bench", "gen_export")),
                        "--format", "json", str(ROWS)], stdout=f,
                       check=True)
    with open(base, encoding="utf-8-sig") as f:
        records = json.load(f)
    os.unlink(base)
    rnd = random.Random(7)
    order = list(range(len(records)))
    rnd.shuffle(order)
    only_b = set(order[:300])           # rows A lacks
    only_a = set(order[300:600])        # rows B lacks
    changed = set(order[600:1600])      # Status differs in B
    a = [r for i, r in enumerate(records) if i not in only_b]
    b = []
    for i, r in enumerate(records):
        if i in only_a:
            continue
        if i in changed:
            r = dict(r, Status=(r["Status"] + 1) % 4)
        b.append(r)
    # Packages that only B has: the rows of 4 packages under new IDs.
    pkgs = sorted(set(r["PackageID"] for r in records))[:4]
    for n, pkg in enumerate(pkgs):
        new = "LD%06d" % (n + 1)
        b.extend(dict(r, PackageID=new, SecureObjectID=new)
                 for r in records if r["PackageID"] == pkg)
    paths = []
    for name, recs in (("A", a), ("B", b)):
        path = os.path.join(directory, "snapshot-%s.json" % name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(recs, f)
        paths.append(path)
    return paths


def column_oracle(db):
    """{column: {oid: (type, value)}} of the walked columns, from SQL."""
    want = {c: {} for c in WALK_COLUMNS}
    prefixes = {ROW_ENTRY + ".%d." % c: c for c in WALK_COLUMNS}
    for oid, typ, val in dpstack.model(db):
        if not oid.startswith(ROW_ENTRY + "."):
            continue
        col = int(oid[len(ROW_ENTRY) + 1:].split(".")[0])
        if ROW_ENTRY + ".%d." % col in prefixes:
            want[col][oid] = (typ, val)
    return want


def row_key(oid):
    """(server index, package index) of a dpTable instance OID."""
    s, p = oid.rsplit(".", 2)[1:]
    return int(s), int(p)


def percentile(values, p):
    """Nearest rank, as dplat computes it."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s), max(1, int(p / 100.0 * len(s) + 0.999999)))
    return s[k - 1]


def vm_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0])  # kB
    return out


def run_measured(argv, stdout):
    """Runs argv to its end (dpstack stops it if the run is cut): exit
    code, stderr text and the CPU seconds it used."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                         stderr=subprocess.PIPE)
    dpstack._live.append(p)
    try:
        err = p.stderr.read()  # to EOF: the process has ended or closed it
        p.stderr.close()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if p in dpstack._live:
            dpstack._live.remove(p)
    return (p.returncode, err.decode(errors="replace"),
            ru.ru_utime + ru.ru_stime)


def cpu_seconds(pid):
    """utime + stime of a running process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dpstack.skip_under_valgrind("figures of a load, not a memory check")
class Load(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dpload.")
        cls.snap_a, cls.snap_b = make_snapshots(cls.tmp)
        cls.db = os.path.join(cls.tmp, "dp.db")
        dpctl(cls.db, "init")
        # Each snapshot's model once; the surrogate indexes are stable, so
        # the database holds exactly one of them after every import.
        dpctl(cls.db, "import", "--snapshot", cls.snap_a)
        cls.want_a = column_oracle(cls.db)
        dpctl(cls.db, "import", "--snapshot", cls.snap_b)
        cls.want_b = column_oracle(cls.db)
        cls.keys_a, cls.keys_b = ({c: sorted(row_key(o) for o in want[c])
                                   for c in want}
                                  for want in (cls.want_a, cls.want_b))
        dpctl(cls.db, "import", "--snapshot", cls.snap_a)
        assert column_oracle(cls.db) == cls.want_a, "indexes moved"
        cls.stack = Stack(cls.db,
                          extra_conf="dontLogTCPWrappersConnects yes\n")
        cls.stack.start_master()
        cls.stack.start_agent()

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- the load ----------------------------------------------------------

    def walker(self, w, deadline, walks, failures):
        getter = Getter(self.stack.port)
        i = 0
        try:
            while time.monotonic() < deadline:
                col = WALK_COLUMNS[(w + i) % len(WALK_COLUMNS)]
                out = os.path.join(self.tmp, "walk-%d-%04d.out" % (w, i))
                before = getter.get(CHANGE_COUNTER)[1]
                argv = ["snmpbulkwalk", "-v2c", "-c", "public", "-Cr25",
                        "-t", "5", "-r", "0", "-m", "", "-M", "/dev/null",
                        "-On", "-Oe", "-Ox", self.stack.target(),
                        ROW_ENTRY + ".%d" % col]
                t0 = time.monotonic()
                with open(out, "wb") as f:
                    rc, err, cpu = run_measured(argv, f)
                t1 = time.monotonic()
                after = getter.get(CHANGE_COUNTER)[1]
                walks.append({"walker": w, "col": col, "rc": rc,
                              "stderr": err, "cpu": cpu,
                              "start": t0, "end": t1, "seconds": t1 - t0,
                              "out": out, "still": before == after})
                i += 1
        except Exception as e:  # noqa: BLE001 - reported by the test
            failures.append("walker %d: %r" % (w, e))
        finally:
            getter.close()

    def importer(self, deadline, imports, failures):
        k = 0
        start = time.monotonic() + IMPORT_PERIOD
        try:
            while True:
                delay = start - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if time.monotonic() >= deadline:
                    break
                snap = self.snap_b if k % 2 == 0 else self.snap_a
                t0 = time.monotonic()
                rc, err, cpu = run_measured(
                    [dpstack.tool("dpctl"), "--db", self.db, "import",
                     "--snapshot", snap], subprocess.DEVNULL)
                t1 = time.monotonic()
                imports.append({"rc": rc, "stderr": err, "cpu": cpu,
                                "start": t0, "end": t1,
                                "seconds": t1 - t0})
                k += 1
                start = max(start + IMPORT_PERIOD, time.monotonic())
        except Exception as e:  # noqa: BLE001
            failures.append("importer: %r" % (e,))

    # -- the checks --------------------------------------------------------

    def check_walk(self, walk, imports):
        """Problems of one walk (empty: none), its varbind count and how
        many times it went from one snapshot to the other.

        A walk is a sequence of GETNEXTs (25 to a GETBULK), each answered
        from the database as it was at that moment, which is exactly
        snapshot A or snapshot B.  So the walk must split into segments,
        each a stretch of one snapshot's rows: every row the successor of
        the row before it in that snapshot, with that snapshot's value,
        and the end of the walk where some snapshot's column ends.  The
        fewest segments are found greedily (a segment stays valid for any
        part of it); going from one segment to the next takes an import
        committed meanwhile, so the switches must not outnumber the
        imports that overlapped the walk, and a walk during which
        dpChangeCounter did not move is exactly one snapshot."""
        problems = []
        if walk["rc"] != 0:
            problems.append("exit %d" % walk["rc"])
        if walk["stderr"].strip():
            problems.append("stderr: %s" % walk["stderr"].strip()[:500])
        col = walk["col"]
        prefix = ROW_ENTRY + ".%d." % col
        with open(walk["out"], errors="replace") as f:
            try:
                got = dpstack.parse(f.read())
            except AssertionError as e:
                return problems + ["malformed: %s" % e], 0, 0
        snaps = (("A", self.want_a[col], self.keys_a[col]),
                 ("B", self.want_b[col], self.keys_b[col]))

        def fits(snap, prev, key, oid, value):
            """Row (key, oid, value) right after prev in snap; key None:
            snap's column ends after prev."""
            _, want, keys = snap
            i = 0 if prev is None else bisect.bisect_right(keys, prev)
            if key is None:
                return i == len(keys)
            return i < len(keys) and keys[i] == key and \
                want.get(oid) == value

        candidates = list(snaps)
        switches = 0
        prev = None
        for oid, typ, val in got + [(None, None, None)]:
            if oid is None:
                key = None
            elif not oid.startswith(prefix):
                problems.append("outside the column: %s" % oid)
                break
            else:
                key = tuple(int(x) for x in oid[len(prefix):].split("."))
                if len(key) != 2 or (prev is not None and key <= prev):
                    problems.append("not strictly increasing or not a row "
                                    "index: %s after %s" % (oid, prev))
                    break
            keep = [c for c in candidates
                    if fits(c, prev, key, oid, (typ, val))]
            if not keep:
                keep = [c for c in snaps
                        if fits(c, prev, key, oid, (typ, val))]
                switches += 1
                if not keep:
                    problems.append(
                        "%s after %s: in neither snapshot here (%s = %s "
                        "%r; A %r, B %r)" % (
                            "the end" if key is None else "row %s" % (key,),
                            prev, oid, typ, val,
                            snaps[0][1].get(oid), snaps[1][1].get(oid)))
                    break
            candidates = keep
            prev = key
        crossing = sum(1 for i in imports
                       if i["start"] < walk["end"] and
                       i["end"] > walk["start"])
        if switches > crossing:
            problems.append("%d switches between snapshots, but only %d "
                            "imports overlapped the walk" %
                            (switches, crossing))
        if walk["still"] and switches:
            problems.append("dpChangeCounter did not move, yet the walk is "
                            "not exactly one snapshot")
        n = len(got)
        a, b = self.want_a[col], self.want_b[col]
        both, either = len(set(a) & set(b)), len(set(a) | set(b))
        if not both <= n <= either:
            problems.append("%d rows, outside [%d, %d]" % (n, both, either))
        return problems, n, switches

    def test_walkers_and_imports(self):
        # The prober GETs what both snapshots have: counts, a row of
        # dpTable and one of dpServerTable.
        common = sorted(set(self.want_a[18]) & set(self.want_b[18]))
        first = common[0][len(ROW_ENTRY + ".18."):]  # "s.p"
        probe_oids = [SCALARS + ".3.0", common[len(common) // 2],
                      ROW_ENTRY + ".9." + first, SERVER_ENTRY + ".5.1"]
        stopfile = os.path.join(self.tmp, "stop-probing")
        prober = subprocess.Popen(
            [sys.executable, __file__, "--probe", str(self.stack.port),
             stopfile] + probe_oids, stdout=subprocess.PIPE)
        dpstack._live.append(prober)

        walks, imports, failures = [], [], []
        cpu0 = {"dpagentd": cpu_seconds(self.stack.agent.pid),
                "snmpd": cpu_seconds(self.stack.master.pid)}
        t0 = time.monotonic()
        deadline = t0 + DURATION
        threads = [threading.Thread(target=self.walker,
                                    args=(w, deadline, walks, failures))
                   for w in range(WALKERS)]
        threads.append(threading.Thread(target=self.importer,
                                        args=(deadline, imports, failures)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        open(stopfile, "w").close()
        probe_out, _ = prober.communicate(timeout=60)
        dpstack._live.remove(prober)
        probe = json.loads(probe_out)
        vm = vm_status(self.stack.agent.pid)
        cpu = {"dpagentd": cpu_seconds(self.stack.agent.pid) -
               cpu0["dpagentd"],
               "snmpd": cpu_seconds(self.stack.master.pid) - cpu0["snmpd"],
               "snmpbulkwalk": sum(x["cpu"] for x in walks),
               "dpctl import": sum(x["cpu"] for x in imports),
               "prober": probe["cpu"]}
        self.assertIsNone(self.stack.agent.poll(), "dpagentd died")

        # Every walk checked after the run, so that the checks cost the
        # agent no CPU while it is measured.
        bad = []
        for walk in walks:
            problems, walk["varbinds"], walk["switches"] = \
                self.check_walk(walk, imports)
            if problems:
                bad.append("walker %d, %s: %s" % (walk["walker"],
                                                  os.path.basename(
                                                      walk["out"]),
                                                  "; ".join(problems)))
            else:
                os.unlink(walk["out"])
        self.print_figures(walks, imports, probe, vm, cpu, elapsed)
        with open(self.stack.agent_log, errors="replace") as f:
            agent_log = f.read()
        print("--- dpagentd.log (%d lines; the last 20)\n%s" % (
            agent_log.count("\n"),
            "\n".join(agent_log.splitlines()[-20:])), file=sys.stderr)
        with open(self.stack.master_log, errors="replace") as f:
            master_log = f.read()
        print("--- snmpd.log (%d lines; the last 10)\n%s" % (
            master_log.count("\n"),
            "\n".join(master_log.splitlines()[-10:])), file=sys.stderr)

        self.assertEqual(failures, [])
        self.assertEqual(bad, [])
        for w in range(WALKERS):
            self.assertGreaterEqual(
                sum(1 for x in walks if x["walker"] == w),
                max(1, int(DURATION // 40)),
                "walker %d completed too few walks" % w)
        self.assertEqual([i for i in imports if i["rc"] != 0], [])
        self.assertGreaterEqual(len(imports), max(1, int(
            DURATION / IMPORT_PERIOD / 2)))
        self.assertEqual(probe["errors"], [])
        self.assertGreater(len(probe["ms"]), 0)
        self.assertEqual(prober.returncode, 0)

    def print_figures(self, walks, imports, probe, vm, cpu, elapsed):
        lines = ["", "load: %.0f s, %d generated rows, %d walkers "
                 "(snmpbulkwalk -Cr25 -t 5 -r 0, one dpTable column a "
                 "walk), a snapshot import every %g s, a GET every %g ms"
                 % (elapsed, ROWS, WALKERS, IMPORT_PERIOD,
                    PROBE_INTERVAL * 1000),
                 "| walker | walks | seeing both snapshots | varbinds | "
                 "varbinds/s | walk p50 s | walk p99 s |",
                 "|---|---:|---:|---:|---:|---:|---:|"]
        for w in list(range(WALKERS)) + ["all"]:
            ws = [x for x in walks if w == "all" or x["walker"] == w]
            vb = sum(x.get("varbinds", 0) for x in ws)
            secs = [x["seconds"] for x in ws]
            lines.append("| %s | %d | %d | %d | %.0f | %.2f | %.2f |" % (
                w, len(ws), sum(1 for x in ws if x.get("switches")), vb,
                vb / elapsed, percentile(secs, 50), percentile(secs, 99)))
        secs = [x["seconds"] for x in imports]
        lines.append("imports: %d (%d failed), duration p50 %.2f s, max "
                     "%.2f s" % (len(imports), sum(1 for x in imports
                                                   if x["rc"] != 0),
                                 percentile(secs, 50),
                                 max(secs) if secs else float("nan")))
        ms = probe["ms"]
        lines.append("GET (prober): %d, %d failed, p50 %.2f ms, p99 %.2f "
                     "ms, max %.2f ms" % (len(ms), len(probe["errors"]),
                                          percentile(ms, 50),
                                          percentile(ms, 99),
                                          max(ms) if ms else float("nan")))
        lines.append("dpagentd: VmHWM %.1f MB, VmRSS %.1f MB at the end" %
                     (vm.get("VmHWM", 0) / 1024.0,
                      vm.get("VmRSS", 0) / 1024.0))
        lines.append("CPU seconds: " + ", ".join(
            "%s %.1f" % kv for kv in cpu.items()) + " (%.1f in all, in "
            "%.1f s)" % (sum(cpu.values()), elapsed))
        lines.append("walk failures: %d of %d" % (
            sum(1 for x in walks if x["rc"] != 0 or x["stderr"].strip()),
            len(walks)))
        print("\n".join(lines), file=sys.stderr, flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        probe_main(int(sys.argv[2]), sys.argv[3], sys.argv[4:])
    else:
        unittest.main(verbosity=2)
