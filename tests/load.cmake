# load tests (see tests/CMakeLists.txt)
