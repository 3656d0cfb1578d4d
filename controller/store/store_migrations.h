/*
 * store_migrations.h - the schema migrations embedded at build time from
 * state/migrations/NNNN_<what>.sql (see state/embed.cmake), in order.
 */
#ifndef DEPLOYCTL_STORE_MIGRATIONS_H
#define DEPLOYCTL_STORE_MIGRATIONS_H

#include <stddef.h>

struct store_migration {
	const char *name; /* file name without .sql; its number is the version */
	const char *sql;
};

extern const struct store_migration store_migrations[];
extern const size_t store_migrations_count;

#endif
