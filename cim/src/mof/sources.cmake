# Sources of the MOF compiler (part of wbem::cim).
target_sources(wbem_cim PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/lexer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/parser.cpp
  ${CMAKE_CURRENT_LIST_DIR}/compiler.cpp
)
