# Embeds the migration files schema/sql/NNN_description.sql into a C++ source
# file, so a deployed binary carries its migrations.
#
#   cmake -DSQL_DIR=<dir with *.sql> -DOUTPUT=<generated .cpp> -P embed_migrations.cmake
#
# Each file becomes an array of byte values rather than a string literal: the
# bytes are kept exactly (CR, NUL, any delimiter), so the checksum recorded in
# atlas_schema_migrations equals `sha256sum schema/sql/<file>`, and no compiler
# limit on string literal length (64 KiB under -Wpedantic) applies however long
# a file grows. A misnamed file stops the build here, naming it.
cmake_minimum_required(VERSION 3.25)

if(NOT SQL_DIR OR NOT OUTPUT)
  message(FATAL_ERROR "embed_migrations.cmake: pass -DSQL_DIR=<dir> and -DOUTPUT=<file.cpp>")
endif()

file(GLOB sql_files LIST_DIRECTORIES false "${SQL_DIR}/*.sql")
list(SORT sql_files)

set(bytes_per_line 16)
string(REPEAT "....." ${bytes_per_line} one_line_pattern)  # "0xNN," is five characters

set(arrays "")
set(entries "")
set(index 0)
foreach(path IN LISTS sql_files)
  get_filename_component(name "${path}" NAME)
  if(NOT name MATCHES "^[0-9][0-9][0-9]_[A-Za-z0-9_-]+\\.sql$")
    message(FATAL_ERROR "migration file '${path}' is misnamed: name it NNN_description.sql "
                        "(three digits, then letters, digits, '_' or '-'), for example "
                        "002_worker_ledger.sql")
  endif()
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  if(size EQUAL 0)
    # A zero-length array is not valid C++; load_migrations() rejects the file at run time.
    string(APPEND entries "      {\"${name}\", std::string()},\n")
  else()
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    string(REGEX REPLACE "(${one_line_pattern})" "\\1\n    " bytes "${bytes}")
    string(REGEX REPLACE "[ \n]+$" "" bytes "${bytes}")
    string(APPEND arrays
      "// ${name}, ${size} bytes\n"
      "constexpr unsigned char kMigration${index}[] = {\n    ${bytes}\n};\n\n")
    string(APPEND entries
      "      {\"${name}\", std::string(reinterpret_cast<const char*>(kMigration${index}), "
      "sizeof(kMigration${index}))},\n")
  endif()
  math(EXPR index "${index} + 1")
endforeach()

set(source
"// Generated at build time by core/src/pg/embed_migrations.cmake from schema/sql/*.sql.
// Do not edit: change the .sql files, and the build regenerates this file.
#include <string>
#include <vector>

#include \"atlas/pg/migration.hpp\"

namespace atlas::pg {
namespace {

${arrays}}  // namespace

std::vector<MigrationFile> embedded_migration_files() {
  return {
${entries}  };
}

}  // namespace atlas::pg
")

file(WRITE "${OUTPUT}" "${source}")
