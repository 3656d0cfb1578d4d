/*
 * source.c - repository-relative path rules shared by every manifest
 * source: nothing may escape the repository root.
 */
#include "deployctl/source.h"

#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"

void source_list_free(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

bool source_is_manifest_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

int source_check_path(const char *path, struct err *err)
{
	const char *p = path;

	if (!*path)
		return err_set(err, ERR_INVALID, "empty path");
	if (path[0] == '/')
		return err_set(err, ERR_INVALID,
		               "path '%s' is absolute; it must be inside the repository", path);
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return err_set(err, ERR_INVALID, "path '%s' escapes the repository", path);
		p += len;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* source_join(), and with root_ok the root itself is "." rather than refused. */
static int join(char **out, const char *base, const char *rel, bool root_ok, struct err *err)
{
	struct buf joined, norm;
	const char *p;
	size_t *stack = NULL, depth = 0;
	int rc;

	buf_init(&joined, 4096);
	buf_init(&norm, 4096);
	if (rel[0] == '/') {
		rc = err_set(err, ERR_INVALID,
		             "path '%s' is absolute; it must be inside the repository", rel);
		goto out;
	}
	if ((base && *base && (buf_puts(&joined, base) < 0 || buf_putc(&joined, '/') < 0)) ||
	    buf_puts(&joined, rel) < 0) {
		rc = err_set(err, ERR_INVALID, "path '%s' is too long", rel);
		goto out;
	}
	stack = calloc(joined.len + 1, sizeof(*stack));
	if (!stack) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Walk the elements; ".." pops the last one kept, and may not pop past the root. */
	for (p = joined.ptr; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (!depth) {
				rc = err_set(err, ERR_INVALID, "path '%s' escapes the repository",
				             rel);
				goto out;
			}
			norm.len = stack[--depth];
			norm.ptr[norm.len] = '\0';
		} else {
			stack[depth++] = norm.len;
			if ((norm.len && buf_putc(&norm, '/') < 0) || buf_add(&norm, p, len) < 0) {
				rc = err_set(err, ERR_NOMEM, "out of memory");
				goto out;
			}
		}
		p += len;
		while (*p == '/')
			p++;
	}
	if (!norm.len && !root_ok) {
		rc = err_set(err, ERR_INVALID, "path '%s' names the repository root, not a file",
		             rel);
		goto out;
	}
	*out = norm.len ? buf_detach(&norm) : strdup(".");
	rc = *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
out:
	free(stack);
	buf_release(&joined);
	buf_release(&norm);
	return rc;
}

int source_join(char **out, const char *base, const char *rel, struct err *err)
{
	return join(out, base, rel, false, err);
}

int source_join_dir(char **out, const char *base, const char *rel, struct err *err)
{
	return join(out, base, rel, true, err);
}

void source_entries_free(struct source_entry *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}
