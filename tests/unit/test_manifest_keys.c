/*
 * test_manifest_keys.c - the service key table and docs/compose-keys.md say
 * the same: every key of the table has a row in the document's Services
 * table with the status its kind gives (rejected, ignored, supported), and
 * every key the document lists is in the table. A key added to one and
 * forgotten in the other fails here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "manifest_internal.h"

#define MAX_DOC_KEYS 256

struct doc_key {
	char key[64];
	char status[64];
};

/* The `key` cells and status of the "## Services" table. */
static size_t read_doc(struct doc_key *out, size_t max)
{
	const char *base = getenv("DEPLOYCTL_TEST_DATA");
	char path[1024], line[4096];
	bool in = false;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/../docs/compose-keys.md", base ? base : "tests");
	f = fopen(path, "re");
	CHECK(f != NULL);
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *cells, *status, *end, *p;

		if (!strncmp(line, "## ", 3)) {
			in = !strncmp(line, "## Services", 11);
			continue;
		}
		if (!in || line[0] != '|' || !strchr(line + 1, '|'))
			continue;
		cells = line + 1;
		end = strchr(cells, '|');
		*end = '\0';
		status = end + 1;
		if ((end = strchr(status, '|')))
			*end = '\0';
		while (*status == ' ')
			status++;
		for (p = status + strlen(status); p > status && p[-1] == ' '; p--)
			p[-1] = '\0';
		/* Each `key` of the first cell. */
		for (p = strchr(cells, '`'); p && n < max; p = strchr(end + 1, '`')) {
			end = strchr(p + 1, '`');
			if (!end)
				break;
			snprintf(out[n].key, sizeof(out[n].key), "%.*s", (int)(end - p - 1), p + 1);
			snprintf(out[n].status, sizeof(out[n].status), "%s", status);
			n++;
		}
	}
	fclose(f);
	return n;
}

static const char *status_of(const struct manifest_key *k)
{
	if (k->kind == MK_REFUSED)
		return "rejected";
	if (k->kind == MK_IGNORED)
		return "ignored";
	return NULL; /* supported, partly, or a mixed status the notes explain */
}

static void test_manifest_keys__doc_matches_table(void)
{
	static struct doc_key doc[MAX_DOC_KEYS];
	const struct manifest_key *k;
	size_t i, n = read_doc(doc, MAX_DOC_KEYS);

	CHECK(n > 50);
	for (k = manifest_service_keys(); k->key; k++) {
		const char *want = status_of(k);
		bool found = false;

		for (i = 0; i < n && !found; i++) {
			if (strcmp(doc[i].key, k->key))
				continue;
			found = true;
			if (want && strcmp(doc[i].status, want)) {
				fprintf(stderr, "key %s: docs say \"%s\", the table %s\n", k->key,
				        doc[i].status, want);
				CHECK(!"status differs");
			}
			if (!want && (!strcmp(doc[i].status, "rejected") ||
			              !strcmp(doc[i].status, "ignored"))) {
				fprintf(stderr, "key %s: docs say \"%s\", the table reads it\n",
				        k->key, doc[i].status);
				CHECK(!"status differs");
			}
		}
		if (!found)
			fprintf(stderr, "key %s is not in docs/compose-keys.md\n", k->key);
		CHECK(found);
	}
	for (i = 0; i < n; i++) {
		bool known = manifest_key_find(manifest_service_keys(), doc[i].key) ||
		             !strncmp(doc[i].key, "x-", 2);

		if (!known)
			fprintf(stderr, "docs/compose-keys.md lists %s, the table does not\n",
			        doc[i].key);
		CHECK(known);
	}
}

/* The table is what find looks up, and its plain rows name a field. */
static void test_manifest_keys__rows(void)
{
	const struct manifest_key *k;

	CHECK(manifest_key_find(manifest_service_keys(), "image") != NULL);
	CHECK(manifest_key_find(manifest_service_keys(), "imagee") == NULL);
	for (k = manifest_service_keys(); k->key; k++) {
		if (k->kind == MK_CUSTOM)
			CHECK(k->fn != NULL);
		if (k->kind == MK_REFUSED || k->kind == MK_IGNORED)
			CHECK(k->why != NULL);
		if (k->kind == MK_MAP)
			CHECK(k->sub != NULL);
		if (k->kind == MK_STRING && k->valid)
			CHECK(k->what != NULL);
		if (k[1].key && strcmp(k->key, k[1].key) >= 0) {
			fprintf(stderr, "%s before %s: keep the table sorted\n", k->key, k[1].key);
			CHECK(!"sorted");
		}
	}
}

int main(void)
{
	RUN(test_manifest_keys__doc_matches_table);
	RUN(test_manifest_keys__rows);
	return CHECK_DONE();
}
