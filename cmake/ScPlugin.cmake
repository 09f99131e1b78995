# sc_add_plugin(NAME [MANIFEST file] [OUTPUT_DIR dir] [NO_INSTALL] SOURCES src... [LIBRARIES lib...])
#
# Builds the module plugin NAME: a MODULE library NAME.so with only
# sc_plugin_entry exported, and its manifest copied beside it as NAME.json,
# both in SC_PLUGIN_OUTPUT_DIR (build tree) and installed into
# SC_PLUGIN_INSTALL_DIR under the component "plugin-NAME".
#
# The manifest is the single source of the module's name and version: they
# reach the code as SC_MODULE_NAME and SC_MODULE_VERSION, so the descriptor
# can never disagree with the manifest.
include_guard(GLOBAL)

if(NOT DEFINED SC_PLUGIN_OUTPUT_DIR)
  set(SC_PLUGIN_OUTPUT_DIR "${CMAKE_BINARY_DIR}/lib/sc")
endif()
if(NOT DEFINED SC_PLUGIN_INSTALL_DIR)
  set(SC_PLUGIN_INSTALL_DIR "lib/sc")
endif()

function(sc_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_INSTALL" "MANIFEST;OUTPUT_DIR" "SOURCES;LIBRARIES")
  if(NOT arg_MANIFEST)
    set(arg_MANIFEST "${CMAKE_CURRENT_SOURCE_DIR}/manifest.json")
  endif()
  if(NOT arg_OUTPUT_DIR)
    set(arg_OUTPUT_DIR "${SC_PLUGIN_OUTPUT_DIR}")
  endif()
  if(NOT name MATCHES "^[a-z][a-z0-9-]*$")
    message(FATAL_ERROR "sc_add_plugin: \"${name}\" is not a valid module name "
                        "(lower-case letters, digits and '-', starting with a letter)")
  endif()
  file(READ "${arg_MANIFEST}" manifest_text)
  string(JSON m_name ERROR_VARIABLE err GET "${manifest_text}" name)
  if(err OR NOT m_name STREQUAL name)
    message(FATAL_ERROR "${arg_MANIFEST}: \"name\" must be \"${name}\" (found \"${m_name}\")")
  endif()
  string(JSON m_version ERROR_VARIABLE err GET "${manifest_text}" version)
  if(err)
    message(FATAL_ERROR "${arg_MANIFEST}: \"version\" is missing")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${arg_MANIFEST}")

  add_library(${name} MODULE ${arg_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "${name}"
    LIBRARY_OUTPUT_DIRECTORY "${arg_OUTPUT_DIR}"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_definitions(${name} PRIVATE
    SC_MODULE_NAME="${name}" SC_MODULE_VERSION="${m_version}")
  target_link_libraries(${name} PRIVATE sc::sdk ${arg_LIBRARIES})
  if(TARGET sc_warnings)
    target_link_libraries(${name} PRIVATE sc_warnings sc_sanitizers)
  endif()
  # Refuse undefined symbols at link time: a plugin must not rely on the core.
  target_link_options(${name} PRIVATE "LINKER:--no-undefined")

  configure_file("${arg_MANIFEST}" "${arg_OUTPUT_DIR}/${name}.json" COPYONLY)
  if(arg_NO_INSTALL)
    return()
  endif()
  install(TARGETS ${name} LIBRARY DESTINATION "${SC_PLUGIN_INSTALL_DIR}" COMPONENT "plugin-${name}")
  install(FILES "${arg_MANIFEST}" DESTINATION "${SC_PLUGIN_INSTALL_DIR}"
          RENAME "${name}.json" COMPONENT "plugin-${name}")
endfunction()
