# The integrations driven in the real servers users run (issue 17), each
# started by its test on loopback from Debian's packages and stopped by
# PID: Zabbix 6.0 (a private PostgreSQL cluster, zabbix_server with the
# SNMP trapper, the frontend's API under php -S), Icinga 2, Nagios 4,
# Prometheus with the shipped alert rules, SNMPTT.  Label "servers", and
# each server's own name.
set(_servers_env "DP_BUILD_DIR=${CMAKE_BINARY_DIR}" ${DP_SNMPD_ENV})
foreach(t zabbix icinga nagios prometheus snmptt)
	add_test(NAME server_${t} COMMAND ${Python3_EXECUTABLE}
		${CMAKE_CURRENT_SOURCE_DIR}/integration/test_server_${t}.py)
	set_tests_properties(server_${t} PROPERTIES
		LABELS "integration;servers;${t}" TIMEOUT 900
		ENVIRONMENT "${_servers_env}")
endforeach()
