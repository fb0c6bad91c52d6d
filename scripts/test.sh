#!/usr/bin/env bash
# The whole test suite: installs what is missing, then
#   1. builds with -Werror in build/ and runs every CTest test there: unit,
#      MIB, integration (both modes), faults, load, security, and valgrind
#      memcheck over the integration dpagentd, and the real servers
#      (Zabbix, Icinga 2, Nagios, Prometheus, SNMPTT);
#   2. builds with -fsanitize=address,undefined in build-asan/ and runs the
#      suite again (all but the valgrind, load and real-server tests: the
#      servers check our configuration files, and the same stacks run
#      under the sanitizers in the other suites);
#   3. runs each libFuzzer target for 20 s (scripts/fuzz.sh).
#   scripts/test.sh [extra ctest arguments, for step 1 only]
# DP_TEST_STEPS="1 2 3" (default) chooses the steps.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
steps=${DP_TEST_STEPS:-1 2 3}
jobs=$(nproc)
t0=$SECONDS
step() { echo "== test.sh: $* ($((SECONDS - t0)) s)" >&2; }

case " $steps " in *" 1 "*)
	step "1: build/ (-Werror), every test"
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDP_WERROR=ON
	cmake --build build -j"$jobs"
	ctest --test-dir build --output-on-failure -j"$jobs" "$@"
esac
case " $steps " in *" 2 "*)
	step "2: build-asan/ (ASan + UBSan), the suite without valgrind, load, servers"
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDP_WERROR=ON \
	    -DDP_SANITIZE=ON
	cmake --build build-asan -j"$jobs"
	ctest --test-dir build-asan --output-on-failure -j"$jobs" \
	    -LE 'valgrind|load|servers'
esac
case " $steps " in *" 3 "*)
	step "3: libFuzzer targets, 20 s each"
	bash scripts/fuzz.sh 20
esac
step "all passed"
