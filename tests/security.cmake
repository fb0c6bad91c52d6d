# security tests (see tests/CMakeLists.txt)
