/*
 * test_projects_conf.c - projects.yml: defaults and per-project values,
 * and errors that name file:line:col and the key path.
 */
#include <unistd.h>

#include "check.h"
#include "deployctl/projects.h"

static const char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/deployctl-projects-%ld.yml", (long)getpid());
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_projects_conf__values_and_defaults(void)
{
	struct projects_conf c;
	struct err err = ERR_INIT;
	const char *path = write_tmp("defaults: {interval: 2m, self_heal: true}\n"
	                             "projects:\n"
	                             "  shop:\n"
	                             "    repo: https://git.example.com/shop.git\n"
	                             "    branch: main\n"
	                             "    manifests: deploy\n"
	                             "    env_files: [/etc/deployctl/shop.env]\n"
	                             "    profiles: [web, jobs]\n"
	                             "    interval: 500ms\n"
	                             "    self_heal: false\n"
	                             "  blog:\n"
	                             "    repo: /srv/git/blog.git\n");

	CHECK(path != NULL);
	CHECK_INT(projects_conf_load(&c, path, &err), 0);
	CHECK_INT(c.n, 2);
	CHECK_STR(c.v[0].name, "shop");
	CHECK_STR(c.v[0].repo, "https://git.example.com/shop.git");
	CHECK_STR(c.v[0].branch, "main");
	CHECK_STR(c.v[0].manifests, "deploy");
	CHECK_INT(c.v[0].env_files.n, 1);
	CHECK_INT(c.v[0].profiles.n, 2);
	CHECK_INT(c.v[0].interval_ms, 500);
	CHECK(!c.v[0].self_heal);
	CHECK_STR(c.v[1].name, "blog");
	CHECK(c.v[1].branch == NULL);
	CHECK_INT(c.v[1].interval_ms, 120000);
	CHECK(c.v[1].self_heal);
	projects_conf_release(&c);
	unlink(path);
}

static void check_error(const char *text, const char *want)
{
	struct projects_conf c;
	struct err err = ERR_INIT;
	char line[1024];
	const char *path = write_tmp(text), *got;

	CHECK_INT(projects_conf_load(&c, path, &err), ERR_INVALID);
	got = err_format(line, sizeof(line), &err);
	/* the path is the temporary file's: compare what follows it */
	CHECK(strncmp(got, path, strlen(path)) == 0);
	CHECK_STR(got + strlen(path), want);
	projects_conf_release(&c);
	unlink(path);
}

static void test_projects_conf__errors(void)
{
	check_error("projects:\n  shop:\n    repo: x\n    interval: soon\n",
	            ":4:15: projects.shop.interval: expected a duration such as 5s, 500ms or 2m");
	check_error("projects:\n  shop:\n    branch: main\n",
	            ":2:3: projects.shop: repo: is required");
	check_error(
	        "projects:\n  shop:\n    repo: x\n    self-heal: true\n",
	        ":4:5: projects.shop.self-heal: unknown key (repo, branch, manifests, env_files, "
	        "profiles, interval, self_heal)");
	check_error("projects:\n  Shop!:\n    repo: x\n",
	            ":2:3: projects.Shop!: not a project name (letters, digits, '_', '.' and '-', "
	            "starting with a letter or digit)");
	check_error("project:\n  shop: {repo: x}\n",
	            ":1:1: project: unknown top-level key (projects, defaults)");
	check_error("projects: {}\n",
	            ":1:11: projects: expected a mapping of one or more projects");
	check_error(
	        "defaults: {interval: 0s}\nprojects: {a: {repo: x}}\n",
	        ":1:22: defaults.interval: expected a duration from 1ms to 24h, such as 5s, 500ms "
	        "or 2m");
}

int main(void)
{
	RUN(test_projects_conf__values_and_defaults);
	RUN(test_projects_conf__errors);
	return CHECK_DONE();
}
