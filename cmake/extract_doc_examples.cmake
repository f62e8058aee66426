# Turns the ```cpp code blocks of one docs page into a Catch2 test source, so that every example
# in docs/ is compiled and run exactly as printed.
#   cmake -DPAGE=docs/x.md -DOUTPUT=x_examples.cpp -P extract_doc_examples.cmake
# A block whose first line is `// file scope` is placed at namespace scope (type definitions);
# every other block becomes the body of one TEST_CASE, with `using namespace wbem;` in effect.
# A page includes the headers it needs beyond <wbem/namespace.hpp> in a `// file scope` block.
# Plain string searches, not CMake lists: code is full of ';' and '[' that lists would mangle.
cmake_minimum_required(VERSION 3.25)
file(READ "${PAGE}" text)
get_filename_component(page_name "${PAGE}" NAME_WE)

set(out "// Generated from ${PAGE} by cmake/extract_doc_examples.cmake. Do not edit.\n")
string(APPEND out "#include <catch2/catch.hpp>\n#include <wbem/namespace.hpp>\n#include <wbem/status.hpp>\n")
string(APPEND out "#include <memory>\n#include <string>\n#include <vector>\nusing namespace wbem;\n")
set(rest "\n${text}")
set(count 0)
while(TRUE)
  string(FIND "${rest}" "\n```cpp\n" start)
  if(start EQUAL -1)
    break()
  endif()
  math(EXPR body "${start} + 8")
  string(SUBSTRING "${rest}" ${body} -1 rest)
  string(FIND "${rest}" "\n```" end)
  if(end EQUAL -1)
    message(FATAL_ERROR "${PAGE}: unterminated ```cpp block")
  endif()
  string(SUBSTRING "${rest}" 0 ${end} block)
  math(EXPR after "${end} + 4")
  string(SUBSTRING "${rest}" ${after} -1 rest)
  math(EXPR count "${count} + 1")
  if(block MATCHES "^// file scope")
    string(APPEND out "\n${block}\n")
  else()
    string(APPEND out "\nTEST_CASE(\"docs/${page_name}.md example ${count}\") {\n${block}\n}\n")
  endif()
endwhile()
if(count EQUAL 0)
  message(FATAL_ERROR "${PAGE}: no ```cpp examples")
endif()
file(WRITE "${OUTPUT}.tmp" "${out}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
