# The components: each directory holds include/, src/ and a thin main.cpp.
set(ATLAS_COMPONENTS worker router rag)

# atlas_component(): in a component's CMakeLists.txt, builds the library
# atlas_<dir> from src/**/*.cpp (public headers in include/, linking
# atlas_core) and, once main.cpp exists, the binary atlas-<dir> from it.
function(atlas_component)
  get_filename_component(name ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  if(NOT sources)
    return()  # nothing written yet
  endif()
  add_library(atlas_${name} STATIC ${sources})
  target_include_directories(atlas_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(atlas_${name} PUBLIC atlas_core)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/main.cpp)
    add_executable(atlas-${name} main.cpp)
    target_link_libraries(atlas-${name} PRIVATE atlas_${name})
  endif()
endfunction()

# atlas_link_components(TARGET): links TARGET with every component library
# that exists (tests and benchmarks use all of them).
function(atlas_link_components target)
  foreach(component IN LISTS ATLAS_COMPONENTS)
    if(TARGET atlas_${component})
      target_link_libraries(${target} PRIVATE atlas_${component})
    endif()
  endforeach()
endfunction()

# atlas_depend_on_binaries(TARGET): TARGET is built after every Atlas binary,
# for tests that run them.
function(atlas_depend_on_binaries target)
  add_dependencies(${target} atlasctl atlas-devbus)
  foreach(component IN LISTS ATLAS_COMPONENTS)
    if(TARGET atlas-${component})
      add_dependencies(${target} atlas-${component})
    endif()
  endforeach()
endfunction()
