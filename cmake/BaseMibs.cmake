# The IETF base modules that DISTRIBUTION-POINT-MIB imports (SNMPv2-SMI,
# SNMPv2-TC, SNMPv2-CONF) are not in Debian main (only in non-free
# snmp-mibs-downloader), and we do not commit copies.  They are fetched at
# BUILD time from the npm package net-snmp, pinned by version and SHA-512,
# and put into ${DP_BASE_MIB_DIR}, which tests/CMakeLists.txt hands to the
# mib_lint test.
#
# File names: the modules are installed as <MODULE>.mib.  libsmi (SMIPATH)
# looks a module up as <MODULE> with the extensions "", .my, .smiv1, .smiv2,
# .sming, .mib and .txt, so .mib is found; Net-SNMP (-M) reads every file of
# a directory and takes the module name from the file's contents, so any name
# works.  Nothing else (in particular not the npm tarball) may be put into
# ${DP_BASE_MIB_DIR}: Net-SNMP would try to parse it.
#
# Options:
#   DP_BASE_MIBS       fetch the base MIBs (default: ${BUILD_TESTING}; only
#                      the mib_lint test needs them)
#   DP_NET_SNMP_TGZ    use this already downloaded net-snmp-3.29.2.tgz instead
#                      of running npm (offline builds); its SHA-512 is checked
#
# This file is also the build-time script: the custom command below runs it
# with `cmake -P` (the CMAKE_SCRIPT_MODE_FILE branch).

set(DP_NET_SNMP_VERSION 3.29.2)
# = npm view net-snmp@3.29.2 dist.integrity, in hex.
set(DP_NET_SNMP_SHA512
	657432acf6b2094699c64c5706f1310188e4bd9b0f0c1614a4af258c8ceb0396bf8c1c98478444aff8696e577dc09d2d0abf1dfe933ba52a200c2d01fecca25d)
set(DP_BASE_MIB_MODULES SNMPv2-SMI SNMPv2-TC SNMPv2-CONF)

if(CMAKE_SCRIPT_MODE_FILE)
	# ---- build time: cmake -DWORK_DIR=... -DOUT_DIR=... [-DNPM=...]
	#      [-DTGZ=...] -P BaseMibs.cmake
	foreach(v WORK_DIR OUT_DIR)
		if(NOT DEFINED ${v})
			message(FATAL_ERROR "BaseMibs.cmake: ${v} not set")
		endif()
	endforeach()
	set(pkg "net-snmp@${DP_NET_SNMP_VERSION}")
	set(tgz "${WORK_DIR}/net-snmp-${DP_NET_SNMP_VERSION}.tgz")
	file(MAKE_DIRECTORY "${WORK_DIR}")

	if(TGZ)
		configure_file("${TGZ}" "${tgz}" COPYONLY)
	elseif(EXISTS "${tgz}")
		file(SHA512 "${tgz}" have)
		if(NOT have STREQUAL DP_NET_SNMP_SHA512)
			file(REMOVE "${tgz}")
		endif()
	endif()
	if(NOT EXISTS "${tgz}")
		if(NOT NPM)
			message(FATAL_ERROR "BaseMibs.cmake: npm is needed to "
				"fetch ${pkg} (install npm, or pass "
				"-DDP_NET_SNMP_TGZ=/path/to/net-snmp-"
				"${DP_NET_SNMP_VERSION}.tgz)")
		endif()
		execute_process(
			COMMAND "${NPM}" pack "${pkg}" --ignore-scripts
				--update-notifier=false
			WORKING_DIRECTORY "${WORK_DIR}"
			RESULT_VARIABLE rc
			OUTPUT_VARIABLE out
			ERROR_VARIABLE out)
		if(NOT rc EQUAL 0 OR NOT EXISTS "${tgz}")
			message(FATAL_ERROR "BaseMibs.cmake: `npm pack ${pkg}` "
				"failed (${rc}) in ${WORK_DIR}:\n${out}")
		endif()
	endif()

	file(SHA512 "${tgz}" have)
	if(NOT have STREQUAL DP_NET_SNMP_SHA512)
		message(FATAL_ERROR "BaseMibs.cmake: ${tgz} has SHA-512 ${have}, "
			"expected ${DP_NET_SNMP_SHA512} (${pkg} from "
			"registry.npmjs.org)")
	endif()

	set(ex "${WORK_DIR}/extract")
	file(REMOVE_RECURSE "${ex}")
	set(members)
	foreach(m IN LISTS DP_BASE_MIB_MODULES)
		list(APPEND members "package/lib/mibs/${m}.mib")
	endforeach()
	file(ARCHIVE_EXTRACT INPUT "${tgz}" DESTINATION "${ex}"
		PATTERNS ${members})
	file(MAKE_DIRECTORY "${OUT_DIR}")
	foreach(m IN LISTS DP_BASE_MIB_MODULES)
		set(src "${ex}/package/lib/mibs/${m}.mib")
		if(NOT EXISTS "${src}")
			message(FATAL_ERROR "BaseMibs.cmake: ${pkg} has no "
				"lib/mibs/${m}.mib")
		endif()
		file(RENAME "${src}" "${OUT_DIR}/${m}.mib")
		# The tarball's members are dated 1985: give the outputs the
		# time of this build so that the build system sees them
		# up to date.
		file(TOUCH "${OUT_DIR}/${m}.mib")
	endforeach()
	file(REMOVE_RECURSE "${ex}")
	return()
endif()

# ---- configure time
set(DP_BASE_MIB_DIR ${CMAKE_BINARY_DIR}/base-mibs)

option(DP_BASE_MIBS
	"Fetch SNMPv2-SMI/-TC/-CONF from npm net-snmp@${DP_NET_SNMP_VERSION} at build time (for the mib_lint test)"
	${BUILD_TESTING})
set(DP_NET_SNMP_TGZ "" CACHE FILEPATH
	"Pre-downloaded net-snmp-${DP_NET_SNMP_VERSION}.tgz to use instead of npm")

if(DP_BASE_MIBS)
	if(DP_NET_SNMP_TGZ)
		if(NOT EXISTS "${DP_NET_SNMP_TGZ}")
			message(FATAL_ERROR "DP_NET_SNMP_TGZ=${DP_NET_SNMP_TGZ} "
				"does not exist")
		endif()
		set(_dp_npm "")
		set(_dp_fetch_with "${DP_NET_SNMP_TGZ}")
	else()
		find_program(DP_NPM_EXECUTABLE npm)
		if(NOT DP_NPM_EXECUTABLE)
			message(FATAL_ERROR
				"npm not found. The build fetches the IETF base MIBs "
				"(SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF) from the npm "
				"package net-snmp@${DP_NET_SNMP_VERSION}: install npm "
				"(apt-get install npm), or pass "
				"-DDP_NET_SNMP_TGZ=/path/to/net-snmp-"
				"${DP_NET_SNMP_VERSION}.tgz, or turn the mib_lint "
				"test's base MIBs off with -DDP_BASE_MIBS=OFF.")
		endif()
		set(_dp_npm "${DP_NPM_EXECUTABLE}")
		set(_dp_fetch_with "npm pack")
	endif()

	set(_dp_base_mib_files)
	foreach(_m IN LISTS DP_BASE_MIB_MODULES)
		list(APPEND _dp_base_mib_files "${DP_BASE_MIB_DIR}/${_m}.mib")
	endforeach()
	list(JOIN DP_BASE_MIB_MODULES ", " _dp_names)
	add_custom_command(
		OUTPUT ${_dp_base_mib_files}
		COMMAND ${CMAKE_COMMAND}
			"-DWORK_DIR=${CMAKE_BINARY_DIR}/base-mibs-download"
			"-DOUT_DIR=${DP_BASE_MIB_DIR}"
			"-DNPM=${_dp_npm}"
			"-DTGZ=${DP_NET_SNMP_TGZ}"
			-P "${CMAKE_CURRENT_LIST_FILE}"
		DEPENDS "${CMAKE_CURRENT_LIST_FILE}"
		COMMENT "Fetching ${_dp_names} from net-snmp@${DP_NET_SNMP_VERSION} (${_dp_fetch_with})"
		VERBATIM)
	add_custom_target(dp_base_mibs ALL DEPENDS ${_dp_base_mib_files})
	unset(_m)
	unset(_dp_names)
	unset(_dp_npm)
	unset(_dp_fetch_with)
endif()
