/*
 * smoke_net.c - one attempt of a smoke check from inside a project network
 * (x-deployctl.smoke[].service / .network, for services that publish no
 * port): a one-off container of the check's image (curl, or any image
 * whose curl takes these options) on the check's network runs
 * `curl -sS -i --max-time N [-X METHOD | -I] -- URL` (curl the entrypoint,
 * whatever the image's own), through the runner
 * release jobs use (oneoff.c: labels, owner, removal, leftovers), and its
 * output, the response head and body as curl prints them, is parsed into
 * the struct httpc_resp the verdict of a check on this host reads.
 */
#include "deployctl/smoke_net.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/cmd_deploy.h"

/* Seconds a check's container may take on top of the request's own timeout (create, start). */
#define SMOKE_NET_GRACE_NS (10LL * 1000000000LL)
/* Output lines read back: a response of up to the body cap. */
#define SMOKE_NET_LOG_LINES 100000u

/* The end of the line at p (its '\n', or the end), and the line's length without "\r". */
static const char *line_end(const char *p, const char *end, size_t *len)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *e = nl ? nl : end;

	*len = (size_t)(e - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return nl ? nl + 1 : end;
}

/* "HTTP/1.1 200 OK" -> 200; 0 when the line is no status line. */
static long status_of(const char *p, size_t len)
{
	char num[4];
	const char *sp;

	if (len < 10 || strncmp(p, "HTTP/", 5)) /* "HTTP/2 200" */
		return 0;
	sp = memchr(p, ' ', len);
	if (!sp || (size_t)(sp - p) + 4 > len)
		return 0;
	memcpy(num, sp + 1, 3);
	num[3] = '\0';
	if (!isdigit((unsigned char)num[0]) || !isdigit((unsigned char)num[1]) ||
	    !isdigit((unsigned char)num[2]))
		return 0;
	return strtol(num, NULL, 10);
}

/* The value of header want in the line p (len bytes), trimmed, into *out (new); 1 if found. */
static int header_value(char **out, const char *p, size_t len, const char *want)
{
	size_t n = strlen(want);
	const char *v, *e = p + len;

	if (len <= n || p[n] != ':' || strncasecmp(p, want, n))
		return 0;
	for (v = p + n + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*out = strndup(v, (size_t)(e - v));
	return *out ? 1 : ERR_NOMEM;
}

int smoke_net_parse(struct httpc_resp *out, const char *text, size_t len, const char *want,
                    size_t max_body)
{
	const char *p = text, *end = text + len, *next;
	size_t n;
	long st;

	httpc_resp_release(out);
	/* Each head: a status line, headers, a blank line; 1xx heads precede the answer. */
	for (;;) {
		next = line_end(p, end, &n);
		st = status_of(p, n);
		if (!st)
			return ERR_INVALID;
		out->status = st;
		free(out->header);
		out->header = NULL;
		for (p = next; p < end; p = next) {
			next = line_end(p, end, &n);
			if (!n)
				break;
			if (want && !out->header && header_value(&out->header, p, n, want) < 0)
				return ERR_NOMEM;
		}
		p = next;
		if (st >= 200 || p >= end || strncmp(p, "HTTP/", 5))
			break;
	}
	n = (size_t)(end - p);
	out->truncated = n > max_body;
	out->body_len = out->truncated ? max_body : n;
	out->body = strndup(p, out->body_len);
	return out->body ? 0 : ERR_NOMEM;
}

/* curl's arguments (its entrypoint is curl): method, timeout and URL. */
static int curl_argv(struct strv *argv, const struct smoke_check *k)
{
	char secs[32];

	snprintf(secs, sizeof(secs), "%.3f", (double)k->timeout_ns / 1e9);
	if (strv_push(argv, "-sS") < 0 || strv_push(argv, "-i") < 0 ||
	    strv_push(argv, "--max-time") < 0 || strv_push(argv, secs) < 0)
		return ERR_NOMEM;
	if (!strcmp(k->method, "HEAD")) {
		if (strv_push(argv, "-I") < 0)
			return ERR_NOMEM;
	} else if (strcmp(k->method, "GET") &&
	           (strv_push(argv, "-X") < 0 || strv_push(argv, k->method) < 0)) {
		return ERR_NOMEM;
	}
	return strv_push(argv, "--") < 0 || strv_push(argv, k->url) < 0 ? ERR_NOMEM : 0;
}

/* curl's own line about a failure ("curl: (7) Failed to connect ..."), or a summary. */
static void curl_failure(struct err *err, const struct smoke_check *k, const char *output, int code)
{
	const char *line = output ? strstr(output, "curl: (") : NULL;
	size_t n = line ? strcspn(line, "\r\n") : 0;

	if (code == 28)
		err_set(err, ERR_IO, "no answer within %lld ms",
		        (long long)(k->timeout_ns / 1000000));
	else if (line)
		err_set(err, ERR_IO, "%.*s", (int)(n > 200 ? 200 : n), line);
	else
		err_set(err, ERR_IO, "the HTTP client in %s exited with %d and no response",
		        k->image, code);
}

/* The check's container as a service model: image, command, one network. */
static int check_service(struct service *s, struct svc_network *net, char *name,
                         const struct smoke_check *k)
{
	memset(s, 0, sizeof(*s));
	memset(net, 0, sizeof(*net));
	net->name = k->network;
	s->name = name;
	s->image = k->image;
	s->networks = net;
	s->nnetworks = 1;
	s->stop_grace_ns = -1;
	/* curl whatever the image's own entrypoint: curlimages/curl's, or an app image's */
	s->has_entrypoint = s->has_command = true;
	if (strv_push(&s->entrypoint, "curl") < 0)
		return ERR_NOMEM;
	return curl_argv(&s->command, k);
}

int smoke_net_request(struct httpc_resp *out, struct smoke_net *sn, const struct smoke_check *k,
                      const char *want, size_t max_body, struct err *err)
{
	struct oneoff_outcome res = { 0 };
	struct service s;
	struct svc_network net;
	char label[160], name[512], who[200];
	int rc;

	if (!sn || !sn->oo.docker)
		return err_set(err, ERR_IO, "a check from inside network '%s' needs Docker",
		               k->network);
	/* Not a name a service can have (':'), so no service's DNS name is ever this container's.
	 */
	snprintf(label, sizeof(label), "smoke:%s", k->name);
	snprintf(name, sizeof(name), "%s-smoke-%s-%ld-%u", sn->oo.project->name, k->name,
	         (long)getpid(), ++sn->seq);
	rc = check_service(&s, &net, label, k);
	if (rc < 0) {
		strv_free(&s.command);
		strv_free(&s.entrypoint);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	snprintf(who, sizeof(who), "smoke %s", k->name);
	rc = oneoff_image(&sn->oo, &s, who, sn->quiet, err);
	if (rc == 0)
		rc = oneoff_networks(&sn->oo, &s, err);
	if (rc == 0)
		rc = oneoff_run(&res, &sn->oo, &s, name, label, k->timeout_ns + SMOKE_NET_GRACE_NS,
		                SMOKE_NET_LOG_LINES, err);
	if (rc == 0 && res.exit_code != 0)
		curl_failure(err, k, res.output, res.exit_code);
	else if (rc == 0 &&
	         smoke_net_parse(out, res.output ? res.output : "",
	                         res.output ? strlen(res.output) : 0, want, max_body) < 0)
		err_set(err, ERR_IO, "the HTTP client in %s printed no HTTP response", k->image);
	rc = err->code ? err->code : 0;
	free(s.image_id);
	strv_free(&s.command);
	strv_free(&s.entrypoint);
	oneoff_outcome_release(&res);
	return rc;
}

void smoke_net_print_planned(const struct deploy *dp, struct ctx *ctx, FILE *f)
{
	const struct project *p = dp->project;
	struct err ignored = ERR_INIT;
	size_t i, k;

	for (i = 0; ctx->docker && dp->plan.n && i < p->nsmoke; i++) {
		const char *refs[1] = { p->smoke[i].image };
		char *ids[1] = { NULL };

		if (!p->smoke[i].network || deploy_pull_noted(dp, dp->project->njobs, refs[0]))
			continue;
		for (k = 0; k < i && !(p->smoke[k].network && !strcmp(p->smoke[k].image, refs[0]));
		     k++)
			;
		if (k < i || docker_image_resolve(ids, ctx->docker, refs, 1, &ignored) < 0)
			continue;
		if (!ids[0])
			fprintf(f,
			        "note: image %s: not present, apply will pull it (smoke check %s)\n",
			        refs[0], p->smoke[i].name);
		free(ids[0]);
	}
}
