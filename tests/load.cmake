# load tests (see tests/CMakeLists.txt)

# Load (issue 7): four snmpbulkwalk loops, a snapshot import every 3 s and a
# GET prober against dpagentd on 20 000 generated rows for DP_LOAD_SECONDS
# (120 by default); prints a figures table (doc/load.md).  Needs
# bench/gen_export, which the default target builds.
add_test(NAME integration_load COMMAND ${Python3_EXECUTABLE}
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_load.py)
set_tests_properties(integration_load PROPERTIES LABELS load TIMEOUT 600
	ENVIRONMENT "DP_BUILD_DIR=${CMAKE_BINARY_DIR}")

# valgrind memcheck over the integration suites' dpagentd (DP_VALGRIND=1 in
# dpstack.py): each dpagentd must stop on SIGTERM with exit 0, i.e. no
# memcheck error and no definite leak (tests/valgrind.supp: one leak inside
# libnetsnmp, explained there).  What cannot run under valgrind skips itself with its reason.
# Registered whether or not valgrind is installed: without it they fail
# and say so, rather than pass unchecked.
foreach(t agent set notify)
	add_test(NAME integration_${t}_valgrind COMMAND ${Python3_EXECUTABLE}
		${CMAKE_CURRENT_SOURCE_DIR}/integration/test_${t}.py)
	set_tests_properties(integration_${t}_valgrind PROPERTIES
		LABELS "integration;valgrind" TIMEOUT 900
		ENVIRONMENT "DP_BUILD_DIR=${CMAKE_BINARY_DIR};DP_VALGRIND=1")
endforeach()
