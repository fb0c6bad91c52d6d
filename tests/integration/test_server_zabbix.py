#!/usr/bin/env python3
"""The Zabbix template in a real Zabbix 6.0 server (issue 17).

Debian's zabbix-server-pgsql on a private PostgreSQL cluster, the
frontend's JSON-RPC API under `php -S` (tests/integration/zabbixkit.py),
two live stacks: dpagentd on 127.0.0.1 (sample data) and dpagent.so in
snmpd on 127.0.0.2 (a database never imported into, then imported).
Through the API: conf/zabbix/dpagent_template.yaml imported with
configuration.import (and a copy with one UUID that is not version 4
refused, as Zabbix 6.0 refuses it), its intervals shortened, one host
per stack.  Then, exactly: the items each discovery rule creates (with
the package filter), every polled item's value against the model read
with SQL, value-map names of the package items, every trigger's state
before and after imports that change Status, the stale-import and
never-imported triggers, and each trap item receiving notifications
through a real snmptrapd running Zabbix's zabbix_trap_receiver.pl (taken
from Debian's source package at test time), for every form in which
snmptrapd writes the trap OID; the server must log no unmatched trap.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402
import zabbixkit as zk  # noqa: E402
from dpstack import Stack, dpctl  # noqa: E402
from serverkit import wait_for  # noqa: E402
from test_monitoring import (BASE_MIBS, MIBS, SAMPLE, TEMPLATE,  # noqa: E402
                             Oracle, mib_enum, slurp)

SUBAGENT, INMASTER = "dp-subagent", "dp-inmaster"
PACKAGES = "^PS1000(12|5A)$"  # {$DP.PACKAGE.MATCHES} on both hosts
UUID_V4 = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")
BUCKETS = ("none", "updated", "added", "deleted", "other")
STATUS_CHANGE, STATUS_SUMMARY = dpstack.STATUS_CHANGE, dpstack.STATUS_SUMMARY
SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"


def template_text():
    with open(TEMPLATE, encoding="utf-8") as f:
        return f.read()


def import_rules():
    every = {"createMissing": True, "updateExisting": True}
    return {"groups": {"createMissing": True}, "templates": every,
            "items": every, "discoveryRules": every, "triggers": every,
            "valueMaps": every}


def records():
    with open(SAMPLE, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(recs, f)
    return path


class TrapDaemon:
    """snmptrapd -f with embedded Perl running zabbix_trap_receiver.pl,
    on a fixed port, restarted with other output options per round."""

    def __init__(self, parent, receiver):
        self.dir = os.path.join(parent, "snmptrapd")
        os.mkdir(self.dir)
        self.port = dpstack.free_udp_port()
        self.conf = os.path.join(self.dir, "snmptrapd.conf")
        # Not self.dir: snmptrapd writes PERSISTENTDIR/snmptrapd.conf at
        # exit, which would replace this file at the first restart.
        persist = os.path.join(self.dir, "persist")
        os.mkdir(persist, 0o700)
        with open(self.conf, "w") as f:
            f.write("authCommunity execute public\n"
                    "perl do \"%s\";\n"
                    "[snmp] persistentDir %s\n" % (receiver, persist))
        self.proc = None
        self.log = None
        self.starts = 0

    def sink(self):
        return "trap2sink 127.0.0.1:%d public" % self.port

    def start(self, name, opts, mibs):
        """opts: snmptrapd's output options; mibs: the MIBS to load (as
        an operator's snmp.conf would: Debian's says `mibs :`)."""
        self.stop()
        # A log of its own per start: "NET-SNMP version" in it means this
        # snmptrapd is listening (a trap sent before would be lost).
        self.starts += 1
        name = "%d-%s" % (self.starts, name)
        self.log = os.path.join(self.dir, name + ".log")
        argv = ["snmptrapd", "-f", "-Lf", self.log, "-C", "-c", self.conf,
                "-p", os.path.join(self.dir, "pid"), "-M",
                BASE_MIBS + ":" + MIBS, "-m", mibs] + list(opts) + \
            ["udp:127.0.0.1:%d" % self.port]
        out = os.path.join(self.dir, name + ".out")
        with open(out, "wb") as f:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=f, stderr=subprocess.STDOUT,
                                         env=dict(os.environ, MIBS=""))
        dpstack._live.append(self.proc)
        # (The receiver's "Loaded" line on stdout is block-buffered by
        # Perl: the first trap through it is the proof that it runs.)
        wait_for(lambda: "NET-SNMP version" in slurp(self.log),
                 "snmptrapd to start", self.proc, self.log, timeout=15)
        for line in slurp(self.log).splitlines() + slurp(out).splitlines():
            if "perl" in line.lower() and "callback function" not in line:
                raise AssertionError("snmptrapd's embedded Perl (is "
                                     "libsnmp-perl installed?): " + line)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            dpstack._stop(self.proc)


class ZabbixServer60(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = zk.tempdir()
        cls.stacks = []
        cls.parts = []
        try:
            cls._start()
        except BaseException:
            cls._stop()
            raise

    @classmethod
    def _start(cls):
        t0 = time.monotonic()
        cls.trap_file = os.path.join(cls.tmp, "snmptraps.log")
        open(cls.trap_file, "w").close()
        os.chmod(cls.trap_file, 0o666)
        cls.pg = zk.PgCluster(cls.tmp).start()
        cls.parts.append(cls.pg)
        cls.pg.create_zabbix_db()
        cls.server = zk.ZabbixServer(cls.tmp, cls.pg, cls.trap_file)
        cls.parts.append(cls.server)
        cls.server.start()
        cls.fe = zk.ZabbixFrontend(cls.tmp, cls.pg, cls.server)
        cls.parts.append(cls.fe)
        cls.fe.start()
        api = cls.fe.api
        # The database's own "Zabbix server" host polls an agent we do
        # not run: disable it, so that the log holds only our hosts.
        for h in api("host.get", output=["hostid"],
                     filter={"host": "Zabbix server"}):
            api("host.update", hostid=h["hostid"], status=1)

        cls.imported = api("configuration.import", format="yaml",
                           source=template_text(), rules=import_rules())
        tmpl = api("template.get", output=["templateid"],
                   filter={"host": "ConfigMgr distribution points by SNMP"})
        cls.templateid = tmpl[0]["templateid"]
        # Intervals shortened on the template, as an administrator would
        # for a test host; hosts inherit them.
        for i in api("item.get", templateids=cls.templateid,
                     output=["itemid", "type"]):
            if i["type"] == "20":  # SNMP agent
                api("item.update", itemid=i["itemid"], delay="2s")
        for r in api("discoveryrule.get", templateids=cls.templateid,
                     output=["itemid"]):
            api("discoveryrule.update", itemid=r["itemid"], delay="3s")
        for p in api("itemprototype.get", templateids=cls.templateid,
                     output=["itemid"]):
            api("itemprototype.update", itemid=p["itemid"], delay="2s")

        receiver = zk.trap_receiver(cls.tmp, cls.trap_file)
        cls.trapd = TrapDaemon(cls.tmp, receiver)
        cls.parts.append(cls.trapd)
        # Debian's default snmptrapd: no MIB loaded, no -On.
        cls.trapd.start("default", [], "")

        cls.db1 = os.path.join(cls.tmp, "subagent.db")
        dpctl(cls.db1, "init")
        dpctl(cls.db1, "import", SAMPLE)
        cls.db2 = os.path.join(cls.tmp, "inmaster.db")
        dpctl(cls.db2, "init")  # never imported into, yet
        conf2 = dpstack.agent_conf(cls.tmp, notifyBacklog=2)
        cls.s1 = Stack(cls.db1, sinks=[cls.trapd.sink()], mode="subagent")
        cls.stacks.append(cls.s1)
        cls.s1.start_master()
        cls.s1.start_agent()
        cls.s2 = Stack(cls.db2, sinks=[cls.trapd.sink()], mode="dlmod",
                       address="127.0.0.2")
        cls.stacks.append(cls.s2)
        cls.s2.start_agent("-c", conf2)

        cls.hosts = {}
        group = api("hostgroup.get", output=["groupid"],
                    filter={"name": "Templates/Applications"})
        for name, stack in ((SUBAGENT, cls.s1), (INMASTER, cls.s2)):
            res = api("host.create", host=name,
                      groups=[{"groupid": group[0]["groupid"]}],
                      templates=[{"templateid": cls.templateid}],
                      interfaces=[{"type": 2, "main": 1, "useip": 1,
                                   "ip": stack.address, "dns": "",
                                   "port": str(stack.port),
                                   "details": {"version": 2,
                                               "community": "public",
                                               "bulk": 1}}],
                      macros=[{"macro": "{$DP.PACKAGE.MATCHES}",
                               "value": PACKAGES},
                              {"macro": "{$DP.IMPORT.MAXAGE}",
                               "value": "3600"}])
            cls.hosts[name] = res["hostids"][0]
        cls.t_setup = time.monotonic() - t0

    @classmethod
    def _stop(cls):
        for s in cls.stacks:
            s.close()
        for p in reversed(cls.parts):
            p.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    # -- helpers -----------------------------------------------------------

    def api(self, method, **kw):
        return self.fe.api(method, **kw)

    def items(self, host):
        return self.api("item.get", hostids=self.hosts[host],
                        output=["itemid", "key_", "lastvalue", "lastclock",
                                "state", "error", "type", "valuemapid"])

    def wait(self, ready, what, timeout=90):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            ok, last = ready()
            if ok:
                return last
            time.sleep(0.5)
        self.fail("%s: not within %d s; last seen:\n%s\nzabbix_server.log:"
                  "\n%s" % (what, timeout, json.dumps(last, indent=1,
                                                      default=str)[:6000],
                            self.server.text()[-3000:]))

    def expected_keys(self, db):
        o = Oracle(db)
        try:
            srv = [s["idx"] for s in o.servers()]
            pkg = [p["idx"] for p in o.packages()
                   if re.search(PACKAGES, p["package_id"])]
        finally:
            o.close()
        keys = {"dp.servers", "dp.packages", "dp.rows", "dp.changes",
                "dp.import.age", "dp.pending.writes"}
        keys |= set("dp.rows." + b for b in BUCKETS)
        for i in srv:
            keys |= set("dp.server.%s[%d]" % (k, i) for k in
                        ["rows"] + ["rows." + b for b in BUCKETS])
        for i in pkg:
            keys |= set("dp.package.%s[%d]" % (k, i) for k in
                        ["type", "objecttype", "rows"] +
                        ["rows." + b for b in BUCKETS])
        return keys

    def expected_values(self, db):
        """{key: value} for every polled item, from the model."""
        o = Oracle(db)
        try:
            m = o.meta()
            want = {"dp.servers": m["servers"], "dp.packages": m["packages"],
                    "dp.rows": m["rows"], "dp.pending.writes": 0,
                    "dp.changes": 0}
            for b in BUCKETS:
                want["dp.rows." + b] = m["n_" + b]
            for s in o.servers():
                want["dp.server.rows[%d]" % s["idx"]] = s["rows"]
                for b in BUCKETS:
                    want["dp.server.rows.%s[%d]" % (b, s["idx"])] = \
                        s["n_" + b]
            for p in o.packages():
                if not re.search(PACKAGES, p["package_id"]):
                    continue
                i = p["idx"]
                want["dp.package.type[%d]" % i] = p["package_type"]
                want["dp.package.objecttype[%d]" % i] = p["object_type_id"]
                want["dp.package.rows[%d]" % i] = p["rows"]
                for b in BUCKETS:
                    want["dp.package.rows.%s[%d]" % (b, i)] = p["n_" + b]
        finally:
            o.close()
        return want

    def wait_values(self, host, db, timeout=90):
        """Every polled item of the host holds the model's value, and
        the discovered items are exactly the model's."""
        keys = self.expected_keys(db)

        def ready():
            want = self.expected_values(db)
            got = dict((i["key_"], i) for i in self.items(host)
                       if i["type"] == "20")
            diff = {}
            if set(got) != keys:
                diff["keys missing"] = sorted(keys - set(got))
                diff["keys extra"] = sorted(set(got) - keys)
            for k, i in got.items():
                if i["state"] != "0" or i["lastclock"] == "0":
                    diff[k] = "state %s clock %s %s" % (
                        i["state"], i["lastclock"], i["error"])
                elif k == "dp.import.age":
                    continue
                elif k in want and int(float(i["lastvalue"])) != want[k]:
                    diff[k] = "%s, model %s" % (i["lastvalue"], want[k])
            return not diff, diff
        self.wait(ready, "%s: items and values equal to the model" % host,
                  timeout)
        return dict((i["key_"], i) for i in self.items(host))

    def expected_problems(self, db, maxage_exceeded=False):
        """{item key: PROBLEM?} of the deleted-rows and import triggers,
        from the model ({$DP.DELETED.MAX} is 0)."""
        o = Oracle(db)
        try:
            m = o.meta()
            want = {"dp.rows.deleted": m["n_deleted"] > 0,
                    "dp.import.age never": m["last_import_ms"] == 0,
                    "dp.import.age stale": maxage_exceeded}
            for s in o.servers():
                want["dp.server.rows.deleted[%d]" % s["idx"]] = \
                    s["n_deleted"] > 0
            for p in o.packages():
                if re.search(PACKAGES, p["package_id"]):
                    want["dp.package.rows.deleted[%d]" % p["idx"]] = \
                        p["n_deleted"] > 0
        finally:
            o.close()
        return want

    def trigger_states(self, host):
        out = {}
        for t in self.api("trigger.get", hostids=self.hosts[host],
                          output=["description", "value", "state"],
                          selectItems=["key_"]):
            key = t["items"][0]["key_"]
            if key == "dp.import.age":
                key += " never" if "ever" in t["description"] else " stale"
            if key == "dp.rows":
                continue  # nodata(): not driven here
            out[key] = t["value"] == "1"
        return out

    def wait_triggers(self, host, want, timeout=90):
        def ready():
            got = self.trigger_states(host)
            return got == want, {"got": got, "want": want}
        self.wait(ready, "%s: trigger states" % host, timeout)

    def history(self, itemid, after=0):
        """Zabbix stores the trap text without its header line and
        without the last newline: wait_trap() puts that back."""
        return self.api("history.get", history=2, itemids=[itemid],
                        output="extend", sortfield="clock",
                        sortorder="ASC", time_from=after)

    def trap_item(self, host, name):
        for i in self.items(host):
            if i["type"] == "17" and name in i["key_"]:
                return i["itemid"]
        self.fail("%s: no trap item for %s" % (host, name))

    def assert_only_cold_starts_unmatched(self):
        """The server logs each trap no item took; only snmpd's own
        coldStart (sent when each master starts) may be among them."""
        blocks = re.split(r"\n(?= *\d+:\d{8}:\d{6}\.\d{3} )",
                          self.server.text())
        unmatched = [b for b in blocks if "unmatched trap received" in b]
        self.assertGreaterEqual(len(unmatched), 2)  # one per master
        for b in unmatched:
            oid = re.search(r"\.1\.4\.1\.0 +type=6 +value=OID: (\S+)", b)
            self.assertIsNotNone(oid, b)
            self.assertRegex(oid.group(1), r"^(\.?(1|iso)\.3\.6\.1\.6\.3\.1\.1"
                             r"\.5\.1|(SNMPv2-MIB::)?coldStart)$", b)

    # -- the tests, in order -----------------------------------------------

    def test_1_import(self):
        self.assertEqual(self.imported, True)
        uuids = re.findall(r"uuid: (\S+)", template_text())
        self.assertEqual(len(uuids), 41)
        self.assertEqual(len(set(uuids)), 41)
        for u in uuids:
            self.assertRegex(u, UUID_V4)
        # The server's validation is real: the same template with its own
        # UUID of another version (and another name, so that nothing can
        # match the imported one) is refused.
        text = template_text()
        own = re.search(r"templates:\n +-\n +uuid: (\S+)", text).group(1)
        self.assertEqual(uuid.UUID(own).version, 4)
        bad = text.replace(own, own[:12] + "1" + own[13:], 1)
        bad = bad.replace("ConfigMgr distribution points by SNMP",
                          "dpagent uuid check")
        with self.assertRaises(zk.ApiError) as cm:
            self.api("configuration.import", format="yaml", source=bad,
                     rules={"templates": {"createMissing": True}})
        self.assertIn('Invalid parameter "/1/uuid": UUIDv4 is expected',
                      str(cm.exception))

    def test_2_subagent_items_and_values(self):
        items = self.wait_values(SUBAGENT, self.db1)
        polled = [k for k, i in items.items() if i["type"] == "20"]
        # 11 scalars, 4 servers x 6, 2 of the 6 packages x 8.
        self.assertEqual(len(polled), 11 + 4 * 6 + 2 * 8)
        self.assertEqual(sorted(k for k, i in items.items()
                                if i["type"] == "17"),
                         sorted(k for k in items if k.startswith(
                             "snmptrap[")))
        self.assertEqual(len([i for i in items.values()
                              if i["type"] == "17"]), 2)
        age = int(items["dp.import.age"]["lastvalue"])
        self.assertGreaterEqual(age, 0)
        self.assertLess(age, 600)
        # Value maps: the package items show the MIB's names.
        maps = dict((m["valuemapid"], m) for m in self.api(
            "valuemap.get", valuemapids=sorted(set(
                i["valuemapid"] for i in items.values())),
            output=["valuemapid", "name"], selectMappings="extend"))
        enums = {"dp.package.type": ("DISTRIBUTION-POINT-MIB::"
                                     "DpPackageTypeCode",
                                     mib_enum("dpPkgPackageType")),
                 "dp.package.objecttype": ("DISTRIBUTION-POINT-MIB::"
                                           "DpObjectTypeCode",
                                           mib_enum("dpPkgObjectTypeID"))}
        seen = 0
        for k, i in items.items():
            base = k.split("[")[0]
            if base not in enums:
                self.assertEqual(i["valuemapid"], "0", k)
                continue
            name, enum = enums[base]
            vm = maps[i["valuemapid"]]
            self.assertEqual(vm["name"], name)
            shown = dict((m["value"], m["newvalue"]) for m in vm["mappings"])
            self.assertEqual(shown[i["lastvalue"]], enum[i["lastvalue"]], k)
            seen += 1
        self.assertEqual(seen, 4)

    def test_3_triggers_follow_imports(self):
        self.wait_values(SUBAGENT, self.db1)
        before = self.expected_problems(self.db1)
        # The sample: PS200003 deleted on DP02, nothing else deleted.
        self.assertEqual(sorted(k for k, v in before.items() if v),
                         ["dp.rows.deleted", "dp.server.rows.deleted[2]"])
        self.wait_triggers(SUBAGENT, before)
        # An import: PS200003 back to none on DP02, PS100012 deleted on
        # DP01.
        recs = records()
        for r in recs:
            if r["PackageID"] == "PS200003" and "DP02" in r["ServerNALPath"]:
                r["Status"] = 0
            if r["PackageID"] == "PS100012" and "DP01" in r["ServerNALPath"]:
                r["Status"] = 3
        dpctl(self.db1, "import", write_json(
            os.path.join(self.tmp, "change.json"), recs))
        after = self.expected_problems(self.db1)
        self.assertEqual(sorted(k for k, v in after.items() if v),
                         ["dp.package.rows.deleted[1]", "dp.rows.deleted",
                          "dp.server.rows.deleted[1]"])
        self.wait_values(SUBAGENT, self.db1)
        self.wait_triggers(SUBAGENT, after)
        # And back.
        dpctl(self.db1, "import", SAMPLE)
        self.wait_values(SUBAGENT, self.db1)
        self.wait_triggers(SUBAGENT, before)

    def test_4_stale_import(self):
        macro = self.api("usermacro.get", hostids=self.hosts[SUBAGENT],
                         filter={"macro": "{$DP.IMPORT.MAXAGE}"},
                         output=["hostmacroid"])[0]["hostmacroid"]
        want = self.expected_problems(self.db1)
        self.wait_triggers(SUBAGENT, want)
        self.api("usermacro.update", hostmacroid=macro, value="1")
        self.wait_triggers(SUBAGENT, self.expected_problems(
            self.db1, maxage_exceeded=True))
        self.api("usermacro.update", hostmacroid=macro, value="3600")
        self.wait_triggers(SUBAGENT, want)

    def test_5_inmaster_never_imported_then_imported(self):
        def never():
            got = dict((i["key_"], i) for i in self.items(INMASTER))
            age = got.get("dp.import.age", {}).get("lastvalue")
            return (age == "-1" and got["dp.rows"]["lastclock"] != "0" and
                    got["dp.rows"]["lastvalue"] == "0"), got
        self.wait(never, "in-master host: dp.import.age -1, 0 rows")
        want = self.expected_problems(self.db2)
        self.assertEqual(sorted(k for k, v in want.items() if v),
                         ["dp.import.age never"])
        self.wait_triggers(INMASTER, want)
        dpctl(self.db2, "import", SAMPLE)
        items = self.wait_values(INMASTER, self.db2, timeout=90)
        self.assertEqual(len([i for i in items.values()
                              if i["type"] == "20"]), 11 + 4 * 6 + 2 * 8)
        self.wait_triggers(INMASTER, self.expected_problems(self.db2))

    def last_seq(self, db):
        import sqlite3
        con = sqlite3.connect(db)
        try:
            return con.execute("SELECT max(seq) FROM status_event"
                               ).fetchone()[0] or 0
        finally:
            con.close()

    def transition(self, db, sidx, pidx, status):
        dpstack.sql(db, ("UPDATE dp SET status = ? WHERE server_idx = ? "
                         "AND package_idx = ?", (status, sidx, pidx)))
        return self.last_seq(db)

    def wait_trap(self, host, name, needle, after):
        itemid = self.trap_item(host, name)

        def ready():
            vals = [h["value"] + "\n" for h in self.history(itemid, after)]
            return any(needle in v for v in vals), vals
        return self.wait(ready, "%s: %s trap with %r" % (host, name,
                                                         needle), 30)

    def test_6_traps_every_oid_form(self):
        # Each form in which snmptrapd writes the trap OID, and the line
        # Zabbix's receiver writes for it.
        forms = [
            ("default", [], "", "iso.3.6.1.4.1.32473.77.0.1"),
            ("numeric", ["-On"], "", ".1.3.6.1.4.1.32473.77.0.1"),
            ("standard-mibs", [], "SNMPv2-SMI",
             "SNMPv2-SMI::enterprises.32473.77.0.1"),
            ("our-mib", [], "DISTRIBUTION-POINT-MIB",
             "DISTRIBUTION-POINT-MIB::dpStatusChange"),
            ("full", ["-Of"], "", ".iso.3.6.1.4.1.32473.77.0.1"),
            ("full-names", ["-Of"], "DISTRIBUTION-POINT-MIB",
             ".iso.org.dod.internet.private.enterprises.dpEnterprise.dpMIB."
             "dpNotifications.dpStatusChange"),
        ]
        status = 1
        for name, opts, mibs, oid in forms:
            with self.subTest(form=name):
                self.trapd.start(name, opts, mibs)
                since = int(time.time()) - 1
                status = 2 if status == 1 else 1
                seq = self.transition(self.db1, 3, 4, status)
                # The event's own sequence number is in the trap text.
                vals = self.wait_trap(SUBAGENT, "dpStatusChange",
                                      "value=OID: %s\n" % oid, since)
                ours = [v for v in vals if "value=OID: %s\n" % oid in v]
                self.assertTrue(any("value=Gauge32: %d\n" % seq in v
                                    for v in ours), ours)
                self.assertIn("PS100057", ours[-1])
        self.trapd.start("default-again", [], "")
        self.assert_only_cold_starts_unmatched()

    def test_7_inmaster_traps_and_summary(self):
        since = int(time.time()) - 1
        seq = self.transition(self.db2, 1, 1, 2)
        self.wait_trap(INMASTER, "dpStatusChange",
                       "value=Gauge32: %d\n" % seq, since)
        # Three transitions at once, past notifyBacklog 2: one summary.
        dpstack.sql(self.db2,
                    "UPDATE dp SET status = 3 WHERE server_idx = 4")
        self.wait_trap(INMASTER, "dpStatusSummary",
                       "iso.3.6.1.4.1.32473.77.0.2", since)
        # Nothing of the in-master stack reached the subagent's host: the
        # two stacks send from 127.0.0.1 and 127.0.0.2.
        for name in ("dpStatusChange", "dpStatusSummary"):
            for h in self.history(self.trap_item(SUBAGENT, name), since):
                self.assertNotIn("127.0.0.2", h["value"])
        self.assert_only_cold_starts_unmatched()


if __name__ == "__main__":
    unittest.main(verbosity=2)
