# Turn the migration files into a C table of { "0001_init", sql } entries.
# Bytes are emitted as a char array, not a string literal, to stay clear of
# ISO C's 4095-character literal limit (-Woverlength-strings).
set(body "/* generated from state/migrations by state/embed.cmake; do not edit */\n")
string(APPEND body "#include <stddef.h>\n\n#include \"store_migrations.h\"\n\n")
set(n 0)
set(table "")
foreach(f ${FILES})
	get_filename_component(name ${f} NAME_WE)
	file(READ ${f} sql HEX)
	string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," sql "${sql}")
	string(APPEND body "static const char m${n}[] = { ${sql} 0 };\n")
	string(APPEND table "\t{ \"${name}\", m${n} },\n")
	math(EXPR n "${n} + 1")
endforeach()
string(APPEND body "\nconst struct store_migration store_migrations[] = {\n${table}\t{ NULL, NULL }\n};\n")
string(APPEND body "const size_t store_migrations_count = ${n};\n")
file(WRITE ${OUT} "${body}")
