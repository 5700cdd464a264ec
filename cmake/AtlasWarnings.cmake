# Warnings and sanitizers, applied through the interface target atlas_options
# that every Atlas target links. -Wnull-dereference is left out: with g++ 12
# at -O2 it fires inside Boost.Asio, libstdc++ streams and nlohmann/json
# iterators (false positives), which -Werror would turn into failures.
add_library(atlas_options INTERFACE)
target_compile_options(atlas_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wformat=2
  -Wimplicit-fallthrough)
if(ATLAS_WERROR)
  target_compile_options(atlas_options INTERFACE -Werror)
endif()

if(ATLAS_SANITIZE)
  string(REPLACE "," ";" _atlas_sanitizers "${ATLAS_SANITIZE}")
  foreach(_s IN LISTS _atlas_sanitizers)
    if(NOT _s MATCHES "^(address|undefined|thread|leak)$")
      message(FATAL_ERROR "ATLAS_SANITIZE: unknown sanitizer '${_s}' "
                          "(use address,undefined or thread)")
    endif()
  endforeach()
  if("thread" IN_LIST _atlas_sanitizers AND "address" IN_LIST _atlas_sanitizers)
    message(FATAL_ERROR "ATLAS_SANITIZE: thread cannot be combined with address")
  endif()
  target_compile_options(atlas_options INTERFACE
    -fsanitize=${ATLAS_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(atlas_options INTERFACE -fsanitize=${ATLAS_SANITIZE})
endif()
