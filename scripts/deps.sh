#!/usr/bin/env bash
# Installs everything dpagent needs to build, test and run its demo on
# Debian 12.  Needs root (or sudo); does nothing when all is present.
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libsqlite3-dev sqlite3 libjansson-dev libcsv-dev check
      libsnmp-dev snmpd snmp snmptrapd smitools
      clang valgrind
      python3 python3-yaml ca-certificates procps
      libsnmp-perl prometheus-snmp-exporter php-cli zabbix-frontend-php
      # The real servers of the integration tests (tests/servers.cmake):
      # Zabbix 6.0 on a private PostgreSQL, Icinga 2, Nagios 4,
      # Prometheus, SNMPTT.  Installing them starts no service here.
      zabbix-server-pgsql postgresql php-pgsql icinga2 nagios4
      prometheus snmptt)
# The IETF base MIBs come from the npm registry's net-snmp package at build
# time; any npm will do (the machine's own, or Debian's).
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
echo "deps: installing ${missing[*]}" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
