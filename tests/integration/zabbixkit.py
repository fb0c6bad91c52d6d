"""A private Zabbix 6.0 on loopback, from Debian's packages, for tests.

PgCluster: a PostgreSQL cluster of its own (initdb in a temp dir, TCP on
127.0.0.1 and a free port, socket in the same dir, trust for loopback
only), run as the "postgres" user when the test is root.
ZabbixServer: zabbix_server in the foreground on that database with the
schema of zabbix-server-pgsql, the SNMP trapper reading a file of ours,
its own ListenPort, pid, log and socket dir.
ZabbixFrontend: a copy of zabbix-frontend-php whose configuration file
is ours (Debian's build reads /etc/zabbix/zabbix.conf.php, which a test
must not touch), served by `php -S` for the JSON-RPC API.
trap_receiver(): zabbix_trap_receiver.pl, taken from Debian's source
package of zabbix by scripts/zabbix-trap-receiver (never committed).

Every process is started in the foreground and stopped by PID
(dpstack._live, so an interrupted test stops them too).
"""

import glob
import gzip
import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import urllib.request

import dpstack
from serverkit import (free_tcp_port, need, need_file, slurp,
                       wait_for)

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
SCHEMA = "/usr/share/zabbix-server-pgsql"
FRONTEND = "/usr/share/zabbix"


# zabbix_server's ListenPort must be below the kernel's ephemeral range:
# every port here is in this one.
PORTS = (20000, 32767)


def _spawn(argv, log, user=None, env=None, cwd=None):
    out = open(log, "ab")
    kwargs = {}
    if user is not None:
        pw = pwd.getpwnam(user)
        kwargs = dict(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            **kwargs)
    out.close()
    dpstack._live.append(proc)
    return proc


class PgCluster:
    def __init__(self, parent):
        if not PG_BIN:
            raise AssertionError("PostgreSQL not found: install the Debian "
                                 "package postgresql (scripts/deps.sh)")
        self.bin = PG_BIN[-1]
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dir = os.path.join(parent, "pg")
        os.mkdir(self.dir, 0o700)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chmod(parent, 0o755)  # postgres must reach its own dir
        self.data = os.path.join(self.dir, "data")
        self.port = free_tcp_port(*PORTS)
        self.log = os.path.join(parent, "postgres.log")
        self.proc = None

    def _run(self, *argv, stdin=None):
        r = subprocess.run(list(argv), input=stdin, capture_output=True,
                           user=self.user, cwd=self.dir)
        if r.returncode != 0:
            raise AssertionError("%s: %s" % (" ".join(argv),
                                             r.stderr.decode(errors="replace")))
        return r.stdout

    def start(self):
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-A",
                  "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.proc = _spawn([os.path.join(self.bin, "postgres"), "-D",
                            self.data, "-p", str(self.port), "-k", self.dir,
                            "-c", "listen_addresses=127.0.0.1",
                            "-c", "fsync=off",
                            "-c", "synchronous_commit=off",
                            "-c", "full_page_writes=off"],
                           self.log, user=self.user)
        wait_for(lambda: subprocess.run(
            [os.path.join(self.bin, "pg_isready"), "-h", "127.0.0.1", "-p",
             str(self.port)], capture_output=True).returncode == 0,
            "PostgreSQL to accept connections", self.proc, self.log)
        return self

    def psql(self, sql, db="postgres", single=True):
        return self._run(os.path.join(self.bin, "psql"), "-h", "127.0.0.1",
                         "-p", str(self.port), "-U", "postgres", "-d", db,
                         "-v", "ON_ERROR_STOP=1", "-q", "-X", "-A", "-t",
                         *(["-1"] if single else []),
                         stdin=sql if isinstance(sql, bytes) else sql.encode()
                         ).decode()

    def create_zabbix_db(self):
        """The database "zabbix" with zabbix-server-pgsql's schema, images
        and data.  Loading data.sql statement by statement takes ~25 s,
        so the loaded database is kept as a pg_dump in the build dir,
        keyed by the files' SHA-256, and restored (COPY) in ~2 s."""
        parts = [need_file(os.path.join(SCHEMA, p + ".sql.gz"),
                           "zabbix-server-pgsql")
                 for p in ("schema", "images", "data")]
        digest = hashlib.sha256()
        for path in parts:
            with open(path, "rb") as f:
                digest.update(f.read())
        cache = os.path.join(dpstack.BUILD, "zabbix-db",
                             digest.hexdigest()[:16] + ".dump")
        self.psql("CREATE DATABASE zabbix ENCODING 'UTF8' "
                  "TEMPLATE template0;", single=False)
        if os.path.exists(cache):
            with open(cache, "rb") as f:
                self._run(os.path.join(self.bin, "pg_restore"), "-h",
                          "127.0.0.1", "-p", str(self.port), "-U",
                          "postgres", "-d", "zabbix", "--single-transaction",
                          "--no-owner", stdin=f.read())
            return
        for path in parts:
            with gzip.open(path) as f:
                self.psql(f.read(), db="zabbix")
        dump = self._run(os.path.join(self.bin, "pg_dump"), "-h",
                         "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-Fc", "zabbix")
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache + ".tmp", "wb") as f:
            f.write(dump)
        os.replace(cache + ".tmp", cache)

    def stop(self):
        if self.proc is not None:
            dpstack._stop(self.proc, signal.SIGINT)  # fast shutdown


class ZabbixServer:
    def __init__(self, parent, pg, trap_file):
        self.dir = os.path.join(parent, "zabbix")
        os.mkdir(self.dir)
        self.conf = os.path.join(self.dir, "zabbix_server.conf")
        self.log = os.path.join(self.dir, "zabbix_server.log")
        self.port = free_tcp_port(*PORTS)
        self.trap_file = trap_file
        self.proc = None
        lines = {
            "ListenIP": "127.0.0.1", "ListenPort": self.port,
            "SourceIP": "127.0.0.1",
            "DBHost": "127.0.0.1", "DBPort": pg.port, "DBName": "zabbix",
            "DBUser": "postgres", "LogFile": self.log, "LogFileSize": 0,
            "PidFile": os.path.join(self.dir, "zabbix_server.pid"),
            "SocketDir": self.dir,
            "DebugLevel": int(os.environ.get("DP_ZABBIX_DEBUGLEVEL", "3")),
            "CacheUpdateFrequency": 1, "Timeout": 3,
            "StartSNMPTrapper": 1, "SNMPTrapperFile": trap_file,
            "StartPollers": 2, "StartPollersUnreachable": 1,
            "StartTrappers": 1, "StartPingers": 0, "StartDiscoverers": 0,
            "StartHTTPPollers": 0, "StartAlerters": 1,
            "StartPreprocessors": 2, "StartHistoryPollers": 1,
            "StartDBSyncers": 1, "StartLLDProcessors": 1,
            "StartODBCPollers": 0, "StartReportWriters": 0,
            "HousekeepingFrequency": 0, "ProblemHousekeepingFrequency": 60,
            "UnreachablePeriod": 5, "UnavailableDelay": 5,
            "UnreachableDelay": 1,
        }
        if os.geteuid() == 0:
            lines["AllowRoot"] = 1
        with open(self.conf, "w") as f:
            for k, v in lines.items():
                f.write("%s=%s\n" % (k, v))

    def start(self):
        exe = need_file("/usr/sbin/zabbix_server", "zabbix-server-pgsql")
        self.proc = _spawn([exe, "-f", "-c", self.conf],
                           os.path.join(self.dir, "stdout.log"))
        wait_for(lambda: "server #0 started [main process]" in
                 self.text() and "started [snmp trapper #1]" in self.text(),
                 "zabbix_server to start", self.proc, self.log)
        return self

    def text(self):
        return slurp(self.log)

    def stop(self):
        if self.proc is not None:
            dpstack._stop(self.proc)


class ApiError(AssertionError):
    pass


class ZabbixFrontend:
    """zabbix-frontend-php under `php -S`; api() calls JSON-RPC."""

    def __init__(self, parent, pg, server):
        need_file(os.path.join(FRONTEND, "api_jsonrpc.php"),
                  "zabbix-frontend-php")
        self.dir = os.path.join(parent, "frontend")
        shutil.copytree(FRONTEND, self.dir, symlinks=True)
        conf = os.path.join(parent, "zabbix.conf.php")
        cls = os.path.join(self.dir, "include", "classes", "core",
                           "CConfigFile.php")
        with open(cls) as f:
            text = f.read()
        old = "const CONFIG_FILE_PATH = '/etc/zabbix/zabbix.conf.php';"
        if text.count(old) != 1:
            raise AssertionError("%s: Debian's configuration path not "
                                 "found; the copy cannot be pointed at a "
                                 "private configuration" % cls)
        with open(cls, "w") as f:
            f.write(text.replace(old, "const CONFIG_FILE_PATH = %s;" %
                                 json.dumps(conf)))
        with open(conf, "w") as f:
            f.write("<?php\n$DB = [\n"
                    "  'TYPE' => ZBX_DB_POSTGRESQL, 'SERVER' => '127.0.0.1',"
                    " 'PORT' => '%d', 'DATABASE' => 'zabbix',\n"
                    "  'USER' => 'postgres', 'PASSWORD' => '', 'SCHEMA' => '',"
                    " 'ENCRYPTION' => false, 'KEY_FILE' => '',\n"
                    "  'CERT_FILE' => '', 'CA_FILE' => '', 'VERIFY_HOST' => "
                    "false, 'CIPHER_LIST' => '', 'VAULT_URL' => '',\n"
                    "  'VAULT_DB_PATH' => '', 'VAULT_TOKEN' => '', "
                    "'DOUBLE_IEEE754' => true];\n"
                    "$ZBX_SERVER = '127.0.0.1';\n"
                    "$ZBX_SERVER_PORT = '%d';\n"
                    "$ZBX_SERVER_NAME = 'dpagent test';\n"
                    "$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;\n"
                    % (pg.port, server.port))
        self.port = free_tcp_port(*PORTS)
        self.log = os.path.join(parent, "php.log")
        self.url = "http://127.0.0.1:%d/api_jsonrpc.php" % self.port
        self.auth = None
        self.proc = None
        self._id = 0

    def start(self):
        php = need("php", "php-cli")
        self.proc = _spawn([php, "-S", "127.0.0.1:%d" % self.port, "-t",
                            self.dir], self.log)
        wait_for(lambda: self.api("apiinfo.version") == "6.0.14",
                 "the Zabbix API to answer", self.proc, self.log)
        self.auth = self.api("user.login", username="Admin",
                             password="zabbix")
        return self

    def api(self, method, params=None, **kw):
        self._id += 1
        body = {"jsonrpc": "2.0", "method": method,
                "params": params if params is not None else kw,
                "id": self._id}
        if self.auth is not None and method not in ("apiinfo.version",
                                                    "user.login"):
            body["auth"] = self.auth
        req = urllib.request.Request(
            self.url, data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json-rpc"})
        with urllib.request.urlopen(req, timeout=60) as r:
            answer = json.loads(r.read().decode())
        if "error" in answer:
            raise ApiError("%s: %s" % (method, answer["error"]))
        return answer["result"]

    def stop(self):
        if self.proc is not None:
            dpstack._stop(self.proc)


def trap_receiver(dest_dir, trap_file):
    """Zabbix's zabbix_trap_receiver.pl from Debian's source package,
    writing to trap_file."""
    script = os.path.join(dpstack.SOURCE, "scripts", "zabbix-trap-receiver")
    cache = os.path.join(dpstack.BUILD, "zabbix-trap-receiver")
    r = subprocess.run([script, cache], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("scripts/zabbix-trap-receiver: %s%s" %
                             (r.stdout, r.stderr))
    src = r.stdout.strip()
    with open(src) as f:
        text = f.read()
    old = "$SNMPTrapperFile = '/tmp/zabbix_traps.tmp';"
    if text.count(old) != 1:
        raise AssertionError("%s: no %s line to point at our file" %
                             (src, old))
    out = os.path.join(dest_dir, "zabbix_trap_receiver.pl")
    with open(out, "w") as f:
        f.write(text.replace(old, "$SNMPTrapperFile = %s;" %
                             json.dumps(trap_file)))
    return out


def tempdir():
    return tempfile.mkdtemp(prefix="dpzbx.")
