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
#
# This file serves both the source tree and third parties: it is installed
# with the SDK (find_package(sc-sdk)) and refers to no in-tree target unless
# it exists. Out of tree, SC_PLUGIN_INSTALL_DIR ("lib/sc") is relative to
# the plugin project's CMAKE_INSTALL_PREFIX: /usr/local/lib/sc by default,
# which sc searches first; a Debian package sets the prefix to /usr.
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
  # The manifest's "abi" is the ABI the module is written for; the library
  # reports the same minor (SC_PLUGIN_ABI_MINOR, defined below), so a module
  # keeps running on older 1.x hosts when built with newer headers. Catch a
  # manifest the headers cannot satisfy here rather than at the first run.
  string(JSON m_abi ERROR_VARIABLE err GET "${manifest_text}" abi)
  if(err OR NOT m_abi MATCHES "^([0-9]+)\\.([0-9]+)$")
    message(FATAL_ERROR "${arg_MANIFEST}: \"abi\" must be \"MAJOR.MINOR\", e.g. \"1.0\" (found \"${m_abi}\")")
  endif()
  set(m_abi_major "${CMAKE_MATCH_1}")
  set(m_abi_minor "${CMAKE_MATCH_2}")
  if(DEFINED SC_SDK_ABI_MAJOR AND DEFINED SC_SDK_ABI_MINOR)
    if(NOT m_abi_major EQUAL SC_SDK_ABI_MAJOR OR m_abi_minor GREATER SC_SDK_ABI_MINOR)
      message(FATAL_ERROR "${arg_MANIFEST}: \"abi\" is \"${m_abi}\" but the SDK headers are ABI "
                          "${SC_SDK_ABI_MAJOR}.${SC_SDK_ABI_MINOR}; use an SDK of ABI ${m_abi_major}.x, at least "
                          "${m_abi}, or write \"abi\": \"${SC_SDK_ABI_MAJOR}.${SC_SDK_ABI_MINOR}\"")
    endif()
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
    SC_MODULE_NAME="${name}" SC_MODULE_VERSION="${m_version}" SC_PLUGIN_ABI_MINOR=${m_abi_minor})
  target_link_libraries(${name} PRIVATE sc::sdk ${arg_LIBRARIES})
  if(TARGET sc_warnings)
    target_link_libraries(${name} PRIVATE sc_warnings sc_sanitizers)
  endif()
  # Refuse undefined symbols at link time: a plugin must not rely on the core.
  target_link_options(${name} PRIVATE "LINKER:--no-undefined")
  # Export the entry point alone: hidden visibility leaves the weak
  # instantiations of templates (std::regex, nlohmann::json...) exported,
  # where another library's copy could be bound to them.
  set(exports "${CMAKE_CURRENT_BINARY_DIR}/${name}.exports")
  file(WRITE "${exports}" "{\n  global: sc_plugin_entry;\n  local: *;\n};\n")
  target_link_options(${name} PRIVATE "LINKER:--version-script=${exports}")
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${exports}")

  configure_file("${arg_MANIFEST}" "${arg_OUTPUT_DIR}/${name}.json" COPYONLY)
  if(arg_NO_INSTALL)
    return()
  endif()
  install(TARGETS ${name} LIBRARY DESTINATION "${SC_PLUGIN_INSTALL_DIR}" COMPONENT "plugin-${name}")
  install(FILES "${arg_MANIFEST}" DESTINATION "${SC_PLUGIN_INSTALL_DIR}"
          RENAME "${name}.json" COMPONENT "plugin-${name}")
endfunction()
