# One ctest case per SSHSIG vector made by ssh-keygen: tests/data/sshsig/msg*.sig.
file(GLOB sshsig_vectors CONFIGURE_DEPENDS ${CTS_TEST_DATA}/sshsig/msg*.sig)
foreach(f ${sshsig_vectors})
  get_filename_component(n ${f} NAME)
  string(REGEX REPLACE "\\.sig$" "" n ${n})
  add_test(NAME sshsig_vector_${n} COMMAND test_sshsig vector ${n})
  set_tests_properties(sshsig_vector_${n} PROPERTIES ENVIRONMENT "CMOCKA_MESSAGE_OUTPUT=stdout")
endforeach()
