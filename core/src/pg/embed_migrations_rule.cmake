# The build rule that runs embed_migrations.cmake: include() this file, then
#
#   atlas_embed_migrations(<dir with *.sql> <generated .cpp>)
#
# and add the generated file to a target. The source is regenerated when a
# migration changes, and also when one is added or removed: the glob re-runs
# at build time (CONFIGURE_DEPENDS) and the list of files is itself an input,
# written only when it changes. Without it, removing a file touched nothing
# the output depended on, and the removed migration stayed embedded.
set(ATLAS_EMBED_MIGRATIONS_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_migrations.cmake)

function(atlas_embed_migrations sql_dir output)
  file(GLOB migrations CONFIGURE_DEPENDS ${sql_dir}/*.sql)
  list(SORT migrations)
  list(JOIN migrations "\n" listing)
  set(inputs ${output}.inputs)
  file(CONFIGURE OUTPUT ${inputs} CONTENT "${listing}\n")
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DSQL_DIR=${sql_dir} -DOUTPUT=${output}
            -P ${ATLAS_EMBED_MIGRATIONS_SCRIPT}
    DEPENDS ${migrations} ${inputs} ${ATLAS_EMBED_MIGRATIONS_SCRIPT}
    COMMENT "Embedding ${sql_dir} migrations"
    VERBATIM)
endfunction()
