# test_ui: the web interface's request pieces and HTML writer (src/ui).
target_link_libraries(test_ui PRIVATE ctsui)
