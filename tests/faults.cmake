# faults tests (see tests/CMakeLists.txt)
#
# Fault injection against the real programs (tests/integration/
# test_faults_*.py, helpers in faultkit.py; what they assert is
# doc/faults.md): the master killed and restarted under a walk, a long
# writer, a restored backup (master); dpagentd killed in a SET storm,
# dpctl import killed or out of disk (crash); unusable databases (open);
# a database deleted or replaced under the daemon, a second dpagentd
# (replace, also against dpagent.so in snmpd).
# About 90 s together on a loaded machine.  RUN_SERIAL: they time
# answers against busyTimeout and agentXTimeout.
foreach(t master crash open replace)
	add_test(NAME faults_${t} COMMAND ${Python3_EXECUTABLE}
		${CMAKE_CURRENT_SOURCE_DIR}/integration/test_faults_${t}.py)
	set_tests_properties(faults_${t} PROPERTIES LABELS faults
		TIMEOUT 300 RUN_SERIAL TRUE
		ENVIRONMENT "DP_BUILD_DIR=${CMAKE_BINARY_DIR}")
endforeach()
add_test(NAME faults_replace_dlmod COMMAND ${Python3_EXECUTABLE}
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_faults_replace.py)
set_tests_properties(faults_replace_dlmod PROPERTIES LABELS "faults;dlmod"
	TIMEOUT 300 RUN_SERIAL TRUE ENVIRONMENT "${DP_DLMOD_ENV}")
