# test_fuzz_replay: replays every committed fuzz input, tests/fuzz/corpus/<name>/
# and tests/fuzz/regress/<name>/, through the libFuzzer harness bodies
# (tests/fuzz/harness_<name>.c) with the normal compiler, so that a crash
# found once stays fixed without clang. The executable itself is created
# by tests/CMakeLists.txt (every tests/unit/test_*.c); `test_fuzz_replay NAME`
# replays one target only.
set(CTS_FUZZ_SRC ${CMAKE_SOURCE_DIR}/tests/fuzz)
target_sources(test_fuzz_replay PRIVATE
  ${CTS_FUZZ_SRC}/harness_common.c
  ${CTS_FUZZ_SRC}/harness_jcs.c
  ${CTS_FUZZ_SRC}/harness_changeset.c
  ${CTS_FUZZ_SRC}/harness_sshsig.c
  ${CTS_FUZZ_SRC}/harness_pubkey.c
  ${CTS_FUZZ_SRC}/harness_sheet.c
  ${CTS_FUZZ_SRC}/harness_text.c
  ${CTS_FUZZ_SRC}/harness_gittree.c
  ${CTS_FUZZ_SRC}/harness_html.c
  ${CTS_FUZZ_SRC}/harness_uireq.c)
target_link_libraries(test_fuzz_replay PRIVATE ctsui)
target_include_directories(test_fuzz_replay PRIVATE ${CTS_FUZZ_SRC})
target_compile_definitions(test_fuzz_replay PRIVATE CTS_FUZZ_DIR="${CTS_FUZZ_SRC}")
set_tests_properties(test_fuzz_replay PROPERTIES TIMEOUT 600)
