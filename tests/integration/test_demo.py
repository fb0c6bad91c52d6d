#!/usr/bin/env python3
"""README's first command, scripts/demo.sh, in its one-shot form: it must
serve the bundled sample and end with a walk of dpTable, then stop what it
started."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import dpstack  # noqa: E402


class Demo(unittest.TestCase):
    def test_demo_oneshot(self):
        port = dpstack.free_udp_port()
        env = dict(os.environ, DP_SKIP_BUILD="1", DEMO_ONESHOT="1",
                   DEMO_PORT=str(port),
                   DP_BUILD_DIR=os.path.abspath(dpstack.BUILD))
        r = subprocess.run([os.path.join(dpstack.SOURCE, "scripts",
                                         "demo.sh")],
                           capture_output=True, text=True, env=env,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout
        self.assertIn("SNMP table: DISTRIBUTION-POINT-MIB::dpServerTable",
                      out)
        self.assertIn("SNMP table: DISTRIBUTION-POINT-MIB::dpPackageTable",
                      out)
        # The distribution health of the sample: two failed, one
        # retrying, and which.
        self.assertIn("rows 24: installed 18, in progress 2, retrying 1, "
                      "failed 2, other 1\n", out)
        listed = out[out.index("not installed (dpDistState)"):
                     out.index("== snmpwalk")].splitlines()[1:]
        self.assertEqual([x.split() for x in listed if x], [
            ["1.5", "PS10005A", "DP01.corp.contoso.com", "contentUpdating"],
            ["2.2", "PS100034", "DP02.corp.contoso.com", "installFailed"],
            ["3.4", "PS100057", "DP03.branch.contoso.com",
             "contentMonitoring"],
            ["3.6", "PS200003", "DP03.branch.contoso.com",
             "installRetrying"],
            ["4.3", "PS100041", "DP04.corp.contoso.com", "installPending"],
            ["4.4", "PS100057", "DP04.corp.contoso.com", "removalFailed"]])
        walk = [x for x in out.splitlines()
                if x.startswith("DISTRIBUTION-POINT-MIB::dp")]
        self.assertEqual(len(walk), 24 * 20)
        self.assertEqual(walk[0], "DISTRIBUTION-POINT-MIB::dpBitsEnabled.1.1"
                         " = INTEGER: true(1)")
        self.assertEqual(walk[-1], "DISTRIBUTION-POINT-MIB::"
                         "dpISVStringPending.4.6 = INTEGER: false(2)")
        # Nothing left listening on the demo's port.
        r = subprocess.run(["snmpget", "-v2c", "-c", "public", "-t", "1",
                            "-r", "0", "127.0.0.1:%d" % port,
                            ".1.3.6.1.2.1.1.3.0"], capture_output=True)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
