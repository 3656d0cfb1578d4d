/*
 * test_dirsrc_tree.c - a --dir build context with an empty directory in
 * it (a public project's empty src/): its id and tar are made, with no
 * qsort() of a NULL list (undefined behaviour, fatal under UBSan).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/source.h"

static void test_dirsrc_tree__empty_directory(void)
{
	char root[] = "/tmp/deployctl-dirsrc-tree.XXXXXX", path[256], id[41], again[41];
	struct err e = ERR_INIT;
	char *tar = NULL;
	size_t len = 0;

	CHECK(mkdtemp(root) != NULL);
	snprintf(path, sizeof(path), "%s/app", root);
	CHECK_INT(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/app/src", root);
	CHECK_INT(mkdir(path, 0755), 0);
	CHECK_INT(dirsrc_tree_id(id, root, "app", &e), 0);
	CHECK_INT(strlen(id), 40);
	CHECK_INT(dirsrc_tree_id(again, root, "app", &e), 0);
	CHECK_STR(id, again);
	/* the context itself empty */
	CHECK_INT(dirsrc_tree_id(id, root, "app/src", &e), 0);
	CHECK_INT(dirsrc_tar(&tar, &len, root, "app", 1 << 20, &e), 0);
	CHECK(tar != NULL && len > 0);
	free(tar);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/app", root);
	rmdir(path);
	rmdir(root);
}

int main(void)
{
	RUN(test_dirsrc_tree__empty_directory);
	return CHECK_DONE();
}
