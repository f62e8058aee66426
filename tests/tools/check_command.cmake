# Runs one command and checks its exit status, stdout and stderr; a mismatch fails the test.
#   cmake -DEXPECT_EXIT=<status> [-DEXPECT_STDOUT=<regex>] [-DEXPECT_STDERR=<regex>] -P check_command.cmake
#         -- <command> <args>...
# A stream without a regex must be empty. One trailing newline is removed before matching, so ^...$ spans
# the whole output.

cmake_minimum_required(VERSION 3.25)

set(command "")
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_separator)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
if(NOT command)
  message(FATAL_ERROR "check_command.cmake: no command after '--'")
endif()

execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX REPLACE "\n$" "" out "${out}")
string(REGEX REPLACE "\n$" "" err "${err}")
string(REPLACE ";" " " shown "${command}")
set(report "command: ${shown}\nexit status: ${status}\nstdout: [${out}]\nstderr: [${err}]")

if(NOT status STREQUAL EXPECT_EXIT)
  message(FATAL_ERROR "expected exit status ${EXPECT_EXIT}\n${report}")
endif()
foreach(stream IN ITEMS out err)
  if(stream STREQUAL "out")
    set(regex "${EXPECT_STDOUT}")
  else()
    set(regex "${EXPECT_STDERR}")
  endif()
  if(regex STREQUAL "" AND NOT ${stream} STREQUAL "")
    message(FATAL_ERROR "expected empty std${stream}\n${report}")
  elseif(NOT regex STREQUAL "" AND NOT ${stream} MATCHES "${regex}")
    message(FATAL_ERROR "std${stream} does not match '${regex}'\n${report}")
  endif()
endforeach()
