# Writes a C++ source holding every migration as a raw string literal, so binaries carry their
# schema and need no source tree at run time. Run as:
#   cmake -DOUTPUT=out.cc "-DINPUTS=a.sql;b.sql" -P embed_migrations.cmake
# File names are NNNN_name.sql: NNNN is the version, name the description.
cmake_minimum_required(VERSION 3.25)

if(NOT OUTPUT)
  message(FATAL_ERROR "embed_migrations: OUTPUT is required")
endif()

set(entries "")
set(seen_versions "")
foreach(input IN LISTS INPUTS)
  get_filename_component(file_name "${input}" NAME)
  if(NOT file_name MATCHES "^([0-9]+)_([A-Za-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration file ${file_name}: expected NNNN_name.sql")
  endif()
  set(name "${CMAKE_MATCH_2}")
  # Strip leading zeros so the C++ literal is decimal, not octal.
  string(REGEX REPLACE "^0+" "" version "${CMAKE_MATCH_1}")
  if(version STREQUAL "")
    message(FATAL_ERROR "migration file ${file_name}: version 0 is reserved")
  endif()
  if(version IN_LIST seen_versions)
    message(FATAL_ERROR "migration file ${file_name}: version ${version} is used twice")
  endif()
  list(APPEND seen_versions "${version}")

  file(READ "${input}" sql)
  # A delimiter the text cannot end early: grow it until `)delimiter"` is absent.
  set(delimiter "gwsql")
  string(FIND "${sql}" ")${delimiter}\"" clash)
  while(NOT clash EQUAL -1)
    string(APPEND delimiter "_")
    string(FIND "${sql}" ")${delimiter}\"" clash)
  endwhile()
  string(APPEND entries
         "      {${version}, \"${name}\",\n       R\"${delimiter}(${sql})${delimiter}\"},\n")
endforeach()

set(content "// Generated at build time from migrations/*.sql; edit those files, not this one.
#include \"control_plane/store/migrator.h\"

namespace gw::cp {

const std::vector<Migration>& EmbeddedMigrations() {
  static const auto* const kMigrations = new std::vector<Migration>{
${entries}  };
  return *kMigrations;
}

}  // namespace gw::cp
")

# Only touch the output when it changes, so an unchanged schema rebuilds nothing.
file(WRITE "${OUTPUT}.tmp" "${content}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
