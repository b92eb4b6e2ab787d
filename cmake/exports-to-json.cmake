# cmake -DIN=src/exports.txt -DOUT=exported_functions.json -P exports-to-json.cmake
#
# src/exports.txt lists the C functions the JS side calls, one `_symbol` per
# line (blank lines and `#` comments allowed). emcc 3.1.6 takes the list as
# -sEXPORTED_FUNCTIONS=@file holding a JSON array. _malloc and _free are always
# exported (the JS side moves bytes in and out with them). The output is only
# rewritten when its content changes, so an unchanged list relinks nothing.

set(symbols _malloc _free)
if(EXISTS "${IN}")
  file(STRINGS "${IN}" lines)
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "#.*$" "" line "${line}")
    string(STRIP "${line}" line)
    if(line STREQUAL "")
      continue()
    endif()
    if(NOT line MATCHES "^_[A-Za-z_][A-Za-z0-9_]*$")
      message(FATAL_ERROR "${IN}: `${line}` is not an exported C symbol (expected `_name`)")
    endif()
    list(APPEND symbols "${line}")
  endforeach()
endif()
list(REMOVE_DUPLICATES symbols)
list(JOIN symbols "\",\"" joined)
set(json "[\"${joined}\"]\n")

if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL json)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${json}")
