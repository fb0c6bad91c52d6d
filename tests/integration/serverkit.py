"""What the real-server tests (test_server_*.py, zabbixkit.py) share.

Daemons: start_daemon() runs a server program in the foreground in a
process group of its own; stop_daemon() stops it by PID (SIGTERM, SIGKILL
after 15 s), then whatever is left in its group.  Directories given to
remove_at_exit() (tempdir() makes one) are removed at exit.  At exit and
on SIGTERM, SIGINT or SIGHUP the daemons are stopped and the directories
removed; on a signal dpstack's handler runs next (it stops the stack's
processes, which include the daemons, and exits).

need() and need_file() fail with the Debian package to install;
free_tcp_port() gives a loopback TCP port (in a range, if asked);
wait_for() polls until a condition holds or a deadline passes; slurp()
reads a log; query() and query_one() read a database with plain SQL;
check_dp_path(), ScopeOracle, check_dp_fixture() and write_import() serve
the check_dp tests (Icinga 2, Nagios).
"""

import atexit
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402

SAMPLE = os.path.join(dpstack.DATA, "sample-ps7.json")

# -- daemons and directories, cleaned up whatever happens -------------------

_daemons = []  # Popen of daemons started here: stopped at exit too
_tmpdirs = []  # removed at exit and on a signal too


def start_daemon(argv, out):
    """argv in the foreground in its own process group (its ID is the
    daemon's PID), stdout and stderr to the file out; stopped at exit
    and by dpstack's signal handler too."""
    with open(out, "wb") as f:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
    _daemons.append(proc)
    # dpstack's SIGTERM/SIGINT/SIGHUP handler stops it too.
    dpstack._live.append(proc)
    return proc


def stop_daemon(proc):
    """SIGTERM to the daemon's PID, SIGKILL after 15 s; then whatever is
    left in its process group (its workers; the group's ID is the
    daemon's PID: it was started with start_new_session)."""
    if proc in _daemons:
        _daemons.remove(proc)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def remove_at_exit(path):
    """The directory path removed at exit and on a signal."""
    _tmpdirs.append(path)
    return path


def tempdir(prefix):
    """A new temporary directory, removed at exit and on a signal."""
    return remove_at_exit(tempfile.mkdtemp(prefix=prefix))


def _cleanup():
    for p in list(_daemons):
        stop_daemon(p)
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def _chain(sig):
    """On a signal: our daemons and directories, then dpstack's handler
    (which stops the stack's processes and exits)."""
    previous = signal.getsignal(sig)

    def handler(signum, frame):
        _cleanup()
        if callable(previous):
            previous(signum, frame)
        else:
            os._exit(128 + signum)
    signal.signal(sig, handler)


for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    _chain(_sig)


# -- programs, files, ports --------------------------------------------------

def _missing(what, package):
    return AssertionError("%s not found: install the Debian package %s "
                          "(scripts/deps.sh)" % (what, package))


def need(program, package):
    """The path of program (a name in PATH, or a path), else a failure
    that names the package to install."""
    path = shutil.which(program) or (
        program if os.sep in program and os.path.exists(program) else None)
    if path is None:
        raise _missing(program, package)
    return path


def need_file(path, package):
    if not os.path.exists(path):
        raise _missing(path, package)
    return path


def free_tcp_port(low=None, high=None):
    """A loopback TCP port that nothing uses right now: any the kernel
    gives, or with low and high one in [low, high] (zabbix_server's
    ListenPort, for one, must be below the kernel's ephemeral range)."""
    if low is None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port
    for _ in range(200):
        port = random.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free TCP port in %d..%d" % (low, high))


# -- waiting and reading -----------------------------------------------------

def wait_for(ready, what, proc=None, log=None, timeout=60, interval=0.1):
    """Polls ready() (an exception counts as not yet) until it is true;
    fails after timeout seconds or once proc has exited, with the end of
    log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            if ready():
                return
        except Exception:  # not up yet
            pass
        time.sleep(interval)
    text = ""
    if log and os.path.exists(log):
        with open(log, errors="replace") as f:
            text = f.read()[-4000:]
    raise AssertionError("%s did not happen%s:\n%s" % (
        what, "" if proc is None or proc.poll() is None else
        " (exited %d)" % proc.returncode, text))


def slurp(path, tail=None, missing=""):
    """The text of a file, or its last tail characters; missing if there
    is no such file."""
    if not os.path.exists(path):
        return missing
    with open(path, errors="replace") as f:
        text = f.read()
    return text[-tail:] if tail else text


def _read(db, q, args, timeout, fetch):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=timeout)
    con.row_factory = sqlite3.Row
    try:
        return fetch(con.execute(q, args))
    finally:
        con.close()


def query(db, q, *args, timeout=10):
    """Every row of a query, the database opened read-only."""
    return _read(db, q, args, timeout, sqlite3.Cursor.fetchall)


def query_one(db, q, *args, timeout=10):
    """The first row of a query (None if none)."""
    return _read(db, q, args, timeout, sqlite3.Cursor.fetchone)


# -- check_dp in a monitoring server -----------------------------------------

def check_dp_path():
    path = os.path.abspath(os.path.join(dpstack.BUILD, "check_dp"))
    if not os.path.exists(path):
        raise AssertionError("check_dp not built (%s)" % path)
    return path


class ScopeOracle:
    """The model of a check_dp scope, read with plain SQL."""

    def __init__(self, db):
        self.db = db

    def _one(self, q, args=()):
        return query_one(self.db, q, *args, timeout=5.0)  # sqlite3's default

    def scope(self, server=None, package=None):
        """(counts, meta) of the whole agent, one server (name, or first
        label of the name) or one package."""
        meta = self._one("SELECT * FROM meta")
        if server is not None:
            row = self._one("SELECT * FROM server WHERE lower(name) = "
                            "lower(?) OR lower(name) LIKE lower(?) || '.%'",
                            (server, server))
        elif package is not None:
            row = self._one("SELECT * FROM package WHERE package_id = ?",
                            (package,))
        else:
            row = meta
        return row, meta


def check_dp_fixture(cls, prefix, community, extra_conf):
    """For a TestCase class (in setUpClass): cls.tmp, a temporary
    directory; cls.db in it with the sample imported; cls.oracle of it;
    cls.stack serving it (master and agent started); cls.dead_port, a UDP
    port where nothing listens.  Removed and stopped by class cleanups,
    also at exit and on a signal."""
    cls.tmp = tempdir(prefix)
    cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
    cls.db = os.path.join(cls.tmp, "dp.db")
    dpstack.dpctl(cls.db, "init")
    dpstack.dpctl(cls.db, "import", SAMPLE)
    cls.oracle = ScopeOracle(cls.db)
    cls.stack = dpstack.Stack(cls.db, community=community,
                              extra_conf=extra_conf)
    cls.addClassCleanup(cls.stack.close)
    remove_at_exit(cls.stack.dir)
    cls.stack.start_master()
    cls.stack.start_agent()
    cls.dead_port = dpstack.free_udp_port()


def write_import(path, packages, server="DP01", status=3):
    """A ConfigMgr export of the sample's rows of one server and these
    packages, with another Status."""
    with open(SAMPLE, encoding="utf-8-sig") as f:
        recs = json.load(f)
    out = [dict(r, Status=status) for r in recs
           if "\\\\%s." % server in r["ServerNALPath"] and
           r["PackageID"] in packages]
    if len(out) != len(packages):
        raise AssertionError("sample rows not found: %r" % packages)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)
