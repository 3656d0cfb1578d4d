/*
 * cmd_project.c - what the day-two commands (ps, logs, exec, restart)
 * share: which project they act on, and its live containers, picked by
 * service and replica from one list call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd.h"
#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/reconcile.h"

int cmd_pick_project(char **out, struct ctx *ctx, const char *given)
{
	struct store_release *v = NULL;
	struct err err = ERR_INIT;
	size_t n = 0;

	if (given) {
		*out = strdup(given);
		return *out ? EXIT_OK : EXIT_FAILED;
	}
	if (store_release_list(&v, &n, ctx->store, NULL, 1, &err) < 0) {
		cmd_report(&err);
		return EXIT_STATE;
	}
	*out = n ? strdup(v[0].project) : NULL;
	store_release_list_free(v, n);
	if (!*out) {
		fprintf(stderr, "deployctl: no releases yet; name the project with --project\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int container_cmp(const void *a, const void *b)
{
	const struct docker_container *x = a, *y = b;
	int c = strcmp(x->service ? x->service : "", y->service ? y->service : "");

	return c ? c : (x->replica > y->replica) - (x->replica < y->replica);
}

static bool named(char **services, int nservices, const char *service)
{
	int i;

	if (!nservices)
		return true;
	for (i = 0; service && i < nservices; i++)
		if (!strcmp(services[i], service))
			return true;
	return false;
}

int cmd_live_containers(struct docker_container **out, size_t *n, struct ctx *ctx,
                        const char *project, char **services, int nservices, unsigned replica)
{
	struct docker_container *c = NULL, *live = NULL;
	struct err err = ERR_INIT;
	size_t i, k = 0, nc = 0;
	int s;

	if (docker_container_list(&c, &nc, ctx->docker, project, &err) < 0) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	live = calloc(nc + 1, sizeof(*live));
	if (!live) {
		docker_container_list_free(c, nc);
		fprintf(stderr, "deployctl: out of memory\n");
		return EXIT_FAILED;
	}
	/* Keep the live ones asked for; retained ones belong to earlier releases. */
	for (i = 0; i < nc; i++)
		if (c[i].service && !reconcile_is_retained(c[i].name) &&
		    named(services, nservices, c[i].service) &&
		    (!replica || c[i].replica == replica)) {
			live[k++] = c[i];
			memset(&c[i], 0, sizeof(c[i])); /* moved */
		}
	docker_container_list_free(c, nc);
	c = live;
	if (k)
		qsort(c, k, sizeof(*c), container_cmp);
	for (s = 0; s < nservices; s++) {
		bool found = false;

		for (i = 0; i < k && !found; i++)
			found = !strcmp(c[i].service, services[s]);
		if (!found) {
			if (replica)
				fprintf(stderr, "deployctl: %s has no container %s#%u\n", project,
				        services[s], replica);
			else
				fprintf(stderr, "deployctl: %s has no container of service '%s'\n",
				        project, services[s]);
			docker_container_list_free(c, k);
			return EXIT_USAGE;
		}
	}
	*out = c;
	*n = k;
	return EXIT_OK;
}

int cmd_project_open(char **project, bool *swarm, struct ctx *ctx, const char *given)
{
	int ex = cmd_open_store(ctx);

	*swarm = false;
	if (ex == EXIT_OK)
		ex = cmd_pick_project(project, ctx, given);
	if (ex == EXIT_OK)
		ex = cmd_open_docker(ctx);
	if (ex == EXIT_OK)
		ex = deploy_swarm_project(swarm, ctx, *project);
	return ex;
}

int cmd_project_containers(char **project, struct docker_container **out, size_t *n,
                           struct ctx *ctx, const char *given, char **services, int nservices,
                           unsigned replica)
{
	bool swarm;
	int ex = cmd_project_open(project, &swarm, ctx, given);

	if (ex == EXIT_OK)
		ex = cmd_live_containers(out, n, ctx, *project, services, nservices, replica);
	return ex;
}
