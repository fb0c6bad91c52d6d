#!/bin/sh
# test_mib.sh MIBDIR BASEMIBDIR
#
# Checks mibs/DISTRIBUTION-POINT-MIB.txt:
#   1. smilint -l 6 prints nothing (smilint exits 0 even on errors);
#   2. Net-SNMP's snmptranslate loads the module;
#   3. key objects have the exact OIDs (and accesses) other code relies on;
#   4. every SIZE limit equals the DP_MAX_* define in src/convert/dp_props.h.
# BASEMIBDIR holds SNMPv2-SMI, SNMPv2-TC and SNMPv2-CONF (fetched by the build,
# see cmake/BaseMibs.cmake).  The header is found as MIBDIR/../src/convert/
# dp_props.h unless DP_PROPS_H names it.  Exits non-zero and says why on any
# failure.
set -eu

me=${0##*/}
die() { printf '%s: FAIL: %s\n' "$me" "$*" >&2; exit 1; }

[ $# -eq 2 ] || { echo "usage: $me MIBDIR BASEMIBDIR" >&2; exit 2; }
mibdir=$1
basedir=$2
module=DISTRIBUTION-POINT-MIB
mibfile=$mibdir/$module.txt
props=${DP_PROPS_H:-$mibdir/../src/convert/dp_props.h}

[ -f "$mibfile" ] || die "no $mibfile"
[ -f "$props" ] || die "no $props (set DP_PROPS_H)"
for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF; do
	[ -f "$basedir/$m.mib" ] || die "no $basedir/$m.mib: build first" \
	    "(cmake --build fetches the base MIBs unless -DDP_BASE_MIBS=OFF;" \
	    "see cmake/BaseMibs.cmake)"
done
for t in smilint snmptranslate; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "$t not found (apt-get install smitools snmp)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_mib.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fails=0
fail() { printf '%s: FAIL: %s\n' "$me" "$*" >&2; fails=$((fails + 1)); }

# ---- 1. smilint -l 6 must be silent --------------------------------------
# Once as documented (system /etc/smi.conf, but no ~/.smirc that could hide
# messages), once with no configuration at all (-c /dev/null).
mkdir "$tmp/home"
rc=0
HOME=$tmp/home SMIPATH=$basedir:$mibdir \
    smilint -l 6 -s "$mibfile" >"$tmp/smilint" 2>&1 || rc=$?
rc2=0
SMIPATH=$basedir:$mibdir \
    smilint -c /dev/null -l 6 -s "$mibfile" >>"$tmp/smilint" 2>&1 || rc2=$?
if [ -s "$tmp/smilint" ] || [ "$rc" -ne 0 ] || [ "$rc2" -ne 0 ]; then
	cat "$tmp/smilint" >&2
	fail "smilint -l 6 is not silent (exit $rc, $rc2)"
fi
# Silence is only meaningful if libsmi did load the module.
rc=0
SMIPATH=$basedir:$mibdir smiquery -c /dev/null \
    node "$module::dpStatus" >"$tmp/smiquery" 2>&1 || rc=$?
grep -q 'OID: 1\.3\.6\.1\.4\.1\.32473\.77\.1\.4\.1\.18$' "$tmp/smiquery" || {
	cat "$tmp/smiquery" >&2
	fail "libsmi does not put $module::dpStatus at" \
	    "1.3.6.1.4.1.32473.77.1.4.1.18 (smiquery exit $rc)"
}

# ---- 2. Net-SNMP loads the module ----------------------------------------
# Hermetic: only our two directories, only our module, no snmp.conf, no
# MIBS/MIBDIRS from the environment, a private persistent directory; then
# nothing may be printed on stderr.
# (Net-SNMP announces on stderr each index directory it has to create.)
mkdir "$tmp/conf" "$tmp/persist" "$tmp/persist/cert_indexes" \
    "$tmp/persist/mib_indexes"
unset MIBS MIBDIRS
snmpt() {
	SNMPCONFPATH="$tmp/conf" SNMP_PERSISTENT_DIR="$tmp/persist" \
	    snmptranslate -M "$basedir:$mibdir" -m "$module" "$@"
}
rc=0
snmpt -Tp -IR dpMIB >"$tmp/tree" 2>"$tmp/tree.err" || rc=$?
if [ "$rc" -ne 0 ] || [ -s "$tmp/tree.err" ] ||
    ! grep -q 'dpMIB(77)' "$tmp/tree"; then
	cat "$tmp/tree.err" >&2
	die "snmptranslate cannot load $module cleanly (exit $rc)"
fi
# As users will run it: appended to the default search path and module list
# (the defaults may name modules this host lacks: stderr is not checked).
rc=0
SNMP_PERSISTENT_DIR="$tmp/persist" snmptranslate -M "+$basedir:$mibdir" \
    -m "+$module" -Tp -IR dpMIB >"$tmp/tree2" 2>"$tmp/tree2.err" || rc=$?
if [ "$rc" -ne 0 ] || ! cmp -s "$tmp/tree" "$tmp/tree2"; then
	cat "$tmp/tree2.err" >&2
	fail "snmptranslate -M+ -m+$module does not print the same tree" \
	    "(exit $rc)"
fi

# ---- 3. OIDs and accesses --------------------------------------------------
r=.1.3.6.1.4.1.32473.77
while read -r name oid; do
	rc=0
	got=$(snmpt -On "$module::$name" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || [ "$got" != "$oid" ]; then
		fail "$name is '$got', expected $oid"
	fi
done <<EOF
dpMIB			$r
dpNotifications		$r.0
dpStatusChange		$r.0.1
dpStatusSummary		$r.0.2
dpObjects		$r.1
dpScalars		$r.1.1
dpServerCount		$r.1.1.1
dpRowCount		$r.1.1.3
dpRowsNone		$r.1.1.4
dpRowsOther		$r.1.1.8
dpLastChange		$r.1.1.9
dpChangeCounter		$r.1.1.10
dpLastImport		$r.1.1.11
dpLastImportAge		$r.1.1.12
dpPendingWrites		$r.1.1.13
dpServerTable		$r.1.2
dpServerEntry		$r.1.2.1
dpServerIndex		$r.1.2.1.1
dpSrvNALPath		$r.1.2.1.2
dpSrvName		$r.1.2.1.3
dpSrvRowsOther		$r.1.2.1.10
dpPackageTable		$r.1.3
dpPackageIndex		$r.1.3.1.1
dpPkgPackageID		$r.1.3.1.2
dpPkgRowsOther		$r.1.3.1.13
dpTable			$r.1.4
dpEntry			$r.1.4.1
dpBitsEnabled		$r.1.4.1.1
dpISVData		$r.1.4.1.4
dpISVString		$r.1.4.1.6
dpLastRefreshTime	$r.1.4.1.7
dpPackageID		$r.1.4.1.9
dpRefreshNow		$r.1.4.1.11
dpServerNALPath		$r.1.4.1.14
dpSiteCode		$r.1.4.1.15
dpStatus		$r.1.4.1.18
dpPreviousStatus	$r.1.4.1.19
dpStatusChangeTime	$r.1.4.1.20
dpStatusEventSeq	$r.1.4.1.21
dpSummary		$r.1.5
dpSummaryTransitions	$r.1.5.1
dpSummaryFirstSeq	$r.1.5.2
dpSummaryLastSeq	$r.1.5.3
dpSummaryToNone		$r.1.5.4
dpSummaryToOther	$r.1.5.8
dpConformance		$r.2
dpCompliance		$r.2.1.1
dpNotificationGroup	$r.2.2.6
dpSummaryObjectsGroup	$r.2.2.7
dpSummaryNotificationGroup	$r.2.2.8
dpDistRows		$r.1.1.14
dpDistOther		$r.1.1.19
dpSrvDistRows		$r.1.2.1.11
dpSrvDistOther		$r.1.2.1.16
dpPkgDistRows		$r.1.3.1.14
dpPkgDistOther		$r.1.3.1.19
dpDistTable		$r.1.6
dpDistEntry		$r.1.6.1
dpDistPackageID		$r.1.6.1.1
dpDistState		$r.1.6.1.4
dpDistStateSince	$r.1.6.1.9
dpDistPreviousState	$r.1.6.1.10
dpDistStateEventSeq	$r.1.6.1.12
dpDistStateChange	$r.0.3
dpSummaryDistChanges	$r.1.5.9
dpSummaryDistRemoved	$r.1.5.15
dpDistGroup		$r.2.2.9
dpDistNotifyObjectsGroup	$r.2.2.10
dpDistNotificationGroup	$r.2.2.11
dpSummaryDistObjectsGroup	$r.2.2.12
EOF

while read -r name access; do
	got=$(snmpt -Td "$module::$name" 2>&1 |
	    sed -n 's/^[[:space:]]*MAX-ACCESS[[:space:]]*//p')
	[ "$got" = "$access" ] || fail "$name is '$got', expected $access"
done <<EOF
dpServerIndex		not-accessible
dpPackageIndex		not-accessible
dpStatus		read-only
dpISVString		read-write
dpRefreshNow		read-write
dpPreviousStatus	accessible-for-notify
dpStatusChangeTime	accessible-for-notify
dpStatusEventSeq	accessible-for-notify
dpSummaryTransitions	accessible-for-notify
dpSummaryFirstSeq	accessible-for-notify
dpSummaryLastSeq	accessible-for-notify
dpSummaryToNone		accessible-for-notify
dpSummaryToUpdated	accessible-for-notify
dpSummaryToAdded	accessible-for-notify
dpSummaryToDeleted	accessible-for-notify
dpSummaryToOther	accessible-for-notify
dpDistState		read-only
dpDistStateSince	read-only
dpDistPreviousState	accessible-for-notify
dpDistStateChangeTime	accessible-for-notify
dpDistStateEventSeq	accessible-for-notify
dpSummaryDistChanges	accessible-for-notify
dpSummaryDistRemoved	accessible-for-notify
EOF

got=$(snmpt -Td "$module::dpStatusChange" 2>&1 |
    sed -n 's/^[[:space:]]*OBJECTS[[:space:]]*//p')
want='{ dpStatus, dpPreviousStatus, dpPackageID, dpServerNALPath, dpSiteCode, dpStatusChangeTime, dpStatusEventSeq }'
[ "$got" = "$want" ] || fail "dpStatusChange OBJECTS are '$got'"

# src/agent/dp_notify.c sends these varbinds in this order.
got=$(snmpt -Td "$module::dpStatusSummary" 2>&1 |
    sed -n 's/^[[:space:]]*OBJECTS[[:space:]]*//p')
want='{ dpSummaryTransitions, dpSummaryFirstSeq, dpSummaryLastSeq, dpSummaryToNone, dpSummaryToUpdated, dpSummaryToAdded, dpSummaryToDeleted, dpSummaryToOther, dpSummaryDistChanges, dpSummaryDistToInstalled, dpSummaryDistToInProgress, dpSummaryDistToRetrying, dpSummaryDistToFailed, dpSummaryDistToOther, dpSummaryDistRemoved }'
[ "$got" = "$want" ] || fail "dpStatusSummary OBJECTS are '$got'"

got=$(snmpt -Td "$module::dpDistStateChange" 2>&1 |
    sed -n 's/^[[:space:]]*OBJECTS[[:space:]]*//p')
want='{ dpDistState, dpDistPreviousState, dpDistPackageID, dpDistServerNALPath, dpDistSiteCode, dpDistStateChangeTime, dpDistStateEventSeq }'
[ "$got" = "$want" ] || fail "dpDistStateChange OBJECTS are '$got'"

got=$(snmpt -Td "$module::dpDistEntry" 2>&1 |
    sed -n 's/^[[:space:]]*INDEX[[:space:]]*//p')
[ "$got" = '{ dpServerIndex, dpPackageIndex }' ] ||
    fail "dpDistEntry INDEX is '$got'"

got=$(snmpt -Td "$module::dpEntry" 2>&1 |
    sed -n 's/^[[:space:]]*INDEX[[:space:]]*//p')
[ "$got" = '{ dpServerIndex, dpPackageIndex }' ] ||
    fail "dpEntry INDEX is '$got'"

# ---- 4. SIZE limits = DP_MAX_* of dp_props.h -----------------------------
# DP_MAX_<NAME> <objects of the MIB whose SIZE must be (0..value)>
cat >"$tmp/map" <<EOF
PACKAGE_ID		dpPackageID dpPkgPackageID
NAL_PATH		dpServerNALPath dpSrvNALPath
SITE_CODE		dpSiteCode dpSrvSiteCode
SOURCE_SITE		dpSourceSite dpPkgSourceSite
SITE_NAME		dpSiteName dpPkgSiteName
ISV_STRING		dpISVString
RESOURCE_TYPE		dpResourceType
SECURE_OBJECT_ID	dpSecureObjectID dpPkgSecureObjectID
ISV_DATA		dpISVData
SERVER_NAME		dpSrvName
EOF
sed -n -e 's,/\*.*$,,' \
    -e 's/^[[:space:]]*#[[:space:]]*define[[:space:]]\{1,\}DP_MAX_\([A-Z0-9_]\{1,\}\)[[:space:]]\{1,\}\([0-9]\{1,\}\)[[:space:]]*$/\1 \2/p' \
    "$props" >"$tmp/defines"
[ -s "$tmp/defines" ] || die "no '#define DP_MAX_<NAME> <number>' in $props"
n_def=$(grep -c 'define[[:space:]]*DP_MAX_' "$props")
[ "$n_def" -eq "$(wc -l <"$tmp/defines")" ] ||
    fail "$props has DP_MAX_ defines this test cannot parse"

while read -r def value; do
	objs=$(awk -v d="$def" '$1 == d { $1 = ""; print }' "$tmp/map")
	[ -n "$objs" ] ||
	    { fail "DP_MAX_$def has no MIB object in $me's map"; continue; }
	for obj in $objs; do
		size=$(snmpt -Td "$module::$obj" 2>&1 |
		    sed -n 's/^[[:space:]]*SYNTAX[[:space:]].*(\([^)]*\)).*/\1/p')
		[ "$size" = "0..$value" ] ||
		    fail "$obj has SIZE '$size', DP_MAX_$def is $value"
	done
done <"$tmp/defines"
while read -r def objs; do
	grep -q "^$def " "$tmp/defines" ||
	    fail "DP_MAX_$def (for $objs) is not defined in $props"
done <"$tmp/map"

if [ "$fails" -ne 0 ]; then
	echo "$me: $fails check(s) failed" >&2
	exit 1
fi
echo "$me: OK ($module: smilint -l 6 silent, loads, OIDs and SIZEs match)"
