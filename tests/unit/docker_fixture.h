/*
 * docker_fixture.h - the Engine's answers recorded in tests/fixtures/docker/
 * for the unit tests that decode them: found under DEPLOYCTL_TEST_DATA (set
 * by ctest), the current directory or tests/.
 */
#ifndef DEPLOYCTL_DOCKER_FIXTURE_H
#define DEPLOYCTL_DOCKER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "deployctl/buf.h"

/* The fixtures/docker directory (borrowed), or "." when it is nowhere (reported). */
static const char *fixture_dir(void)
{
	static char found[512];
	const char *dirs[] = { getenv("DEPLOYCTL_TEST_DATA"), ".", "tests" };
	char path[600];
	size_t i;
	FILE *f;

	for (i = 0; !found[0] && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i])
			continue;
		snprintf(path, sizeof(path), "%s/fixtures/docker/info.json", dirs[i]);
		if ((f = fopen(path, "re")) != NULL) {
			fclose(f);
			snprintf(found, sizeof(found), "%s/fixtures/docker", dirs[i]);
		}
	}
	if (!found[0])
		fprintf(stderr, "fixtures/docker not found\n");
	return found[0] ? found : ".";
}

/* Contents of fixtures/docker/<name> (new, NUL-terminated), or NULL (reported). */
static char *fixture(const char *name)
{
	char path[1024], chunk[4096];
	struct buf b;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "fixture %s not found\n", path);
		return NULL;
	}
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b);
}

#endif
