/*
 * store_containers.c - the containers a rollout created, renamed, stopped,
 * kept or removed (table release_containers), each written the moment it
 * happened, so the release record, the automatic rollback and `show`
 * describe what is really in Docker even when the apply dies half way.
 */
#include <stdlib.h>
#include <string.h>

#include "deployctl/store.h"
#include "store_internal.h"

/* One event and when it was recorded: the row store_row_write() binds. */
struct container_event_at {
	struct store_container_event e;
	const char *at;
};

static const struct store_col container_event_cols[] = {
	STORE_COL(UINT, struct container_event_at, e.action_seq),
	STORE_COL(TEXT, struct container_event_at, e.container_id),
	STORE_COL(TEXT, struct container_event_at, e.name),
	STORE_COL(TEXT, struct container_event_at, e.event),
	STORE_COL(TEXT, struct container_event_at, e.detail),
	STORE_COL(TEXT, struct container_event_at, at),
};
static const struct store_row_desc container_event_row = {
	.cols = container_event_cols,
	.ncols = STORE_NCOLS(container_event_cols),
	.fail = "cannot record container",
};

int store_release_container_add(struct store *s, int64_t release,
                                const struct store_container_event *e, struct err *err)
{
	static const char sql[] =
	        "INSERT INTO release_containers (release_id, seq, action_seq, container_id, name,"
	        " event, detail, at) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM"
	        " release_containers WHERE release_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7)";
	char now[STORE_TIME_SIZE];
	struct container_event_at row = { .e = *e, .at = now };

	store_now(now);
	return store_row_write(s, sql, release, &row, &container_event_row, err);
}

static const struct store_col container_cols[] = {
	STORE_COL(UINT, struct store_container_row, seq),
	STORE_COL(UINT, struct store_container_row, action_seq),
	STORE_COL(TEXT, struct store_container_row, container_id),
	STORE_COL(TEXT, struct store_container_row, name),
	STORE_COL(TEXT, struct store_container_row, event),
	STORE_COL(TEXT, struct store_container_row, detail),
	STORE_COL(TEXT, struct store_container_row, at),
};
static const struct store_row_desc container_rows = {
	sizeof(struct store_container_row), container_cols,
	STORE_NCOLS(container_cols),        "cannot read containers",
	"out of memory reading containers",
};

void store_container_rows_free(struct store_container_row *v, size_t n)
{
	store_rows_free(v, n, &container_rows);
}

int store_release_containers(struct store_container_row **out, size_t *n, struct store *s,
                             int64_t release, struct err *err)
{
	static const char sql[] = "SELECT seq, action_seq, container_id, name, event, detail, at"
	                          " FROM release_containers WHERE release_id = ?1 ORDER BY seq";

	return store_rows_by_release((void **)out, n, s, sql, release, &container_rows, err);
}
