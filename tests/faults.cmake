# faults tests (see tests/CMakeLists.txt)
