/*
 * store_migrate.c - schema migrations: state/migrations/NNNN_<what>.sql,
 * embedded at build time, applied in order. Each runs in its own
 * BEGIN IMMEDIATE .. COMMIT together with PRAGMA user_version = NNNN, so a
 * crash leaves the database at the previous version, never half-migrated.
 */
#include <limits.h>
#include <stdio.h>

#include "store_internal.h"

/* The leading digits of a migration name ("0001_init" -> 1); -1 if none. */
static long store_migration_number(const char *name)
{
	long v = 0;
	const char *p;

	if (!name || *name < '0' || *name > '9')
		return -1;
	for (p = name; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

static int store_migration_apply(struct store *s, const struct store_migration *m, long number,
                                 struct err *err)
{
	struct store_tx tx;
	char pragma[64];
	int rc;

	rc = store_tx_begin(&tx, s, err);
	if (rc)
		return rc;
	/* another deployctl may have migrated while we waited for the lock */
	if (store_schema_version(s) >= number) {
		rc = store_tx_commit(&tx, s, err);
		goto out;
	}
	if (sqlite3_exec(s->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_STORE, "database '%s': migration '%s' failed: %s", s->path,
		             m->name, sqlite3_errmsg(s->db));
		goto out;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %ld", number);
	rc = store_exec(s, pragma, err);
	if (rc)
		goto out;
	rc = store_tx_commit(&tx, s, err);
out:
	store_tx_rollback(&tx, s);
	return rc;
}

long store_migrations_latest(const struct store_migration *m, size_t n)
{
	return n ? store_migration_number(m[n - 1].name) : 0;
}

int store_migrate(struct store *s, const struct store_migration *m, size_t n, struct err *err)
{
	long current, last = 0, number;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		number = store_migration_number(m[i].name);
		if (number <= last)
			return err_set(err, ERR_STORE,
			               "migration '%s' is out of order or has no number",
			               m[i].name ? m[i].name : "(null)");
		last = number;
	}
	current = store_schema_version(s);
	if (current < 0)
		return store_fail(s, err, "cannot read schema version");
	if (current > last)
		return err_set(
		        err, ERR_STORE,
		        "database '%s': database schema %ld is newer than this deployctl (%ld)",
		        s->path, current, last);
	for (i = 0; i < n; i++) {
		number = store_migration_number(m[i].name);
		if (number <= current)
			continue;
		rc = store_migration_apply(s, &m[i], number, err);
		if (rc)
			return rc;
	}
	return 0;
}
