# security tests (see tests/CMakeLists.txt)
#
# dpagentd's privilege drop, the permission warnings of dpagentd and
# dpagent.so, and hostile input to the trap handler and the import script
# (tests/integration/test_security.py; what needs root is skipped, with
# its reason, when not run as root).
add_test(NAME integration_security COMMAND ${Python3_EXECUTABLE}
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_security.py)
set(_security_env "DP_BUILD_DIR=${CMAKE_BINARY_DIR}" ${DP_SNMPD_ENV})
set_tests_properties(integration_security PROPERTIES
	LABELS "integration;security" TIMEOUT 600
	ENVIRONMENT "${_security_env}")
