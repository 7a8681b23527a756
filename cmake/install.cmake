# install.cmake: `cmake --install build` rules, included at the end of the
# top-level CMakeLists.txt so every target already exists.
#
# Installs the programs (those that are built so far), the tapset library
# into STAPJIT_TAPSET_INSTALL_DIR and the man page.  Installs nothing else:
# the component libraries are static and private to the programs.

foreach(prog stapjit stapjit-run)
  if(TARGET ${prog})
    install(TARGETS ${prog} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# The trailing slash installs the folder's contents, not the folder itself.
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/tapsets/
  DESTINATION ${STAPJIT_TAPSET_INSTALL_DIR}
  PATTERN "CMakeLists.txt" EXCLUDE
  PATTERN "README*" EXCLUDE)

install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/doc/stapjit.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
