"""Helpers of the fault-injection suites (test_faults_*.py) on top of
dpstack.py: databases, plain-SQL oracles, a process holding the write lock,
a generated export, walks compared with the model.

Every process started here is registered with dpstack's list of live
processes, so that it is stopped by PID also when a test fails."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
from dpstack import (DATA, SCALARS, agent_conf, dpctl,  # noqa: E402,F401
                     expected_status_change as expected_trap,
                     first_appearances, model, seqs_of, sql)

SAMPLE = os.path.join(DATA, "sample-ps7.json")
AGE = SCALARS + ".12.0"  # dpLastImportAge moves with the clock


class FastStack(dpstack.Stack):
    """dpstack.Stack whose readiness probes (start_master, wait_served)
    time out in 0.2 s instead of the clients' 3 s: a probe sent before
    snmpd binds its port is otherwise lost for 3 s, at each of the many
    restarts here.  The clients proper keep their timeouts."""

    def get_raw(self, *oids):
        argv = ["snmpget", "-v2c", "-c", self.community, "-t", "0.2",
                "-r", "0", "-m", "", "-M", "/dev/null", "-On", "-Oe",
                "-Ox", self.target()] + list(oids)
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=30)
        return r.returncode, r.stdout + r.stderr


def make_db(directory, name="dp.db"):
    """A database with the sample export (4 servers x 6 packages)."""
    db = os.path.join(directory, name)
    dpctl(db, "init")
    dpctl(db, "import", SAMPLE)
    return db






def query(db, q, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        return [tuple(r) for r in con.execute(q, args).fetchall()]
    finally:
        con.close()


def integrity(db):
    return query(db, "PRAGMA integrity_check")


def state(db):
    """Everything a fault must not change: the served model, every table
    of the schema row by row, and the AUTOINCREMENT counters."""
    out = {"model": model(db)}
    for (name,) in query(db, "SELECT name FROM sqlite_master WHERE type = "
                         "'table' ORDER BY name"):
        out[name] = sorted(query(db, 'SELECT * FROM "%s"' % name), key=repr)
    return out


def schema(db):
    return query(db, "SELECT type, name, tbl_name, sql FROM sqlite_master "
                 "ORDER BY type, name")


def masked(varbinds):
    """A walk with dpLastImportAge's value masked (it moves with the
    clock), comparable with dpstack.model()."""
    return [(o, t, None if o == AGE else v) for o, t, v in varbinds]


def walk_all(stack):
    """Every instance of dpObjects with GETBULK, masked."""
    return masked(stack.walk(dpstack.OBJECTS, "snmpbulkwalk", "-Cr50"))


def gen_export(path, rows, servers=20):
    """A generated export of rows records (bench/gen_export)."""
    for cand in (os.path.join(dpstack.BUILD, "bench", "gen_export"),
                 os.path.join(dpstack.BUILD, "gen_export")):
        if os.path.exists(cand):
            with open(path, "wb") as f:
                subprocess.run([cand, "--servers", str(servers), str(rows)],
                               stdout=f, check=True, timeout=120)
            return path
    raise RuntimeError("gen_export not built (DP_BUILD_DIR=%s)" %
                       dpstack.BUILD)


def spawn(argv, **kw):
    """A process stopped by PID at exit whatever happens."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    proc = subprocess.Popen(argv, **kw)
    dpstack._live.append(proc)
    return proc


def stop(proc, sig=signal.SIGTERM):
    return dpstack._stop(proc, sig)


# A writer in another process: BEGIN <mode>, one write, then it holds the
# lock until a line arrives on stdin, then commits.
_HOLDER = r'''
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
con.execute("BEGIN " + sys.argv[2])
con.execute(sys.argv[3])
print("held", flush=True)
sys.stdin.readline()
con.execute("COMMIT")
print("released", flush=True)
'''


class LockHolder:
    """Another process holding the database's write lock (BEGIN
    IMMEDIATE or EXCLUSIVE, with one uncommitted write) until release()."""

    def __init__(self, db, mode, write):
        self.proc = spawn([sys.executable, "-c", _HOLDER, db, mode, write],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True)
        line = self.proc.stdout.readline().strip()
        if line != "held":
            stop(self.proc)
            raise AssertionError("the lock holder did not take the lock "
                                 "(%r)" % line)

    def release(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        rc = self.proc.wait(timeout=10)
        self.proc.stdin.close()
        self.proc.stdout.close()
        if self.proc in dpstack._live:
            dpstack._live.remove(self.proc)
        if line != "released" or rc != 0:
            raise AssertionError("the lock holder failed (%r, %d)" %
                                 (line, rc))

    def close(self):
        stop(self.proc)
        for f in (self.proc.stdin, self.proc.stdout):
            if not f.closed:
                f.close()


class TempDir:
    def __init__(self, prefix="dpfault."):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


def wait_for(cond, what, timeout=15, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


# -- notifications ------------------------------------------------------

def last_seq(db):
    return query(db, "SELECT coalesce(max(seq), 0) FROM status_event")[0][0]


def events(db, after=0):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM status_event WHERE seq > ? "
                           "ORDER BY seq", (after,)).fetchall()
    finally:
        con.close()


def bump(db, rows):
    """One Status transition per row [(s, p)], one transaction each."""
    for s, p in rows:
        sql(db, ("UPDATE dp SET status = (status + 1) % 4 WHERE "
                 "server_idx = ? AND package_idx = ?", (s, p)))








def wait_delivered(db, upto, timeout=15):
    wait_for(lambda: query(db, "SELECT count(*) FROM status_event WHERE "
                           "seq <= ? AND delivered_ms IS NULL", upto)[0][0]
             == 0, "events up to seq %d recorded delivered" % upto, timeout)
