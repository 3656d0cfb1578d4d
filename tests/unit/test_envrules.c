/*
 * test_envrules.c - envrules_check(): every rule passing and failing, the
 * fallback to services' environment, locations, and that no message ever
 * quotes a value; plus the x-deployctl.env example loaded from YAML.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/envrules.h"
#include "deployctl/manifest.h"

static const char file_name[] = "manifests/app.yml";

struct fixture {
	struct project p;
	struct kvv vars;
	struct errlist errs;
};

static void fx_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	errlist_init(&f->errs);
}

static void fx_done(struct fixture *f)
{
	model_project_release(&f->p);
	kvv_free(&f->vars);
}

/* A rule with no checks, at line/col; the caller sets what it needs. */
static struct env_rule *rule_add(struct fixture *f, const char *key, unsigned line)
{
	struct env_rule *r;

	f->p.env_rules = realloc(f->p.env_rules, (f->p.nenv_rules + 1) * sizeof(*r));
	if (!f->p.env_rules)
		abort();
	r = &f->p.env_rules[f->p.nenv_rules++];
	memset(r, 0, sizeof(*r));
	r->key = strdup(key);
	r->loc.file = file_name;
	r->loc.line = line;
	r->loc.col = 5;
	r->min_length = -1;
	r->max_length = -1;
	return r;
}

static struct service *service_add(struct fixture *f, const char *name)
{
	struct service *s;

	f->p.services = realloc(f->p.services, (f->p.nservices + 1) * sizeof(*s));
	if (!f->p.services)
		abort();
	s = &f->p.services[f->p.nservices++];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	return s;
}

/* Run the rules with KEY set to value in vars (NULL: unset). */
static int run1(struct fixture *f, const char *key, const char *value)
{
	errlist_init(&f->errs);
	if (value)
		kvv_set(&f->vars, key, value);
	return envrules_check(&f->errs, &f->p, &f->vars);
}

static const char *line(const struct fixture *f, size_t i, char *buf, size_t size)
{
	if (i >= f->errs.n)
		return "(none)";
	return err_format(buf, size, &f->errs.items[i]);
}

/* No message of the run quotes value. */
static int leaks(const struct fixture *f, const char *value)
{
	size_t i;

	for (i = 0; i < f->errs.n; i++)
		if (strstr(f->errs.items[i].msg, value))
			return 1;
	return 0;
}

static void test_envrules__required(void)
{
	struct fixture f;
	char b[1024];

	fx_init(&f);
	rule_add(&f, "DATABASE_URL", 4)->required = true;
	CHECK_INT(run1(&f, "DATABASE_URL", NULL), 1);
	CHECK_STR(line(&f, 0, b, sizeof(b)),
	          "manifests/app.yml:4:5: x-deployctl.env.DATABASE_URL: required but not set (in "
	          "an --env-file, the environment or a service's environment)");
	CHECK_INT(f.errs.items[0].code, ERR_INVALID);
	CHECK_INT(run1(&f, "DATABASE_URL", ""), 1);
	CHECK_STR(line(&f, 0, b, sizeof(b)),
	          "manifests/app.yml:4:5: x-deployctl.env.DATABASE_URL: required but empty");
	CHECK_INT(run1(&f, "DATABASE_URL", "x"), 0);
	CHECK_INT(f.errs.n, 0);
	fx_done(&f);
}

static void test_envrules__optional_unset_or_empty(void)
{
	struct fixture f;
	struct env_rule *r;

	fx_init(&f);
	r = rule_add(&f, "REDIS_URL", 5);
	r->url = true;
	r->min_length = 10;
	CHECK_INT(run1(&f, "REDIS_URL", NULL), 0);
	CHECK_INT(run1(&f, "REDIS_URL", ""), 0);
	CHECK_INT(run1(&f, "REDIS_URL", "nope"), 2);
	fx_done(&f);
}

static void test_envrules__min_length(void)
{
	struct fixture f;
	char b[1024];

	fx_init(&f);
	rule_add(&f, "JWT_SECRET", 4)->min_length = 32;
	CHECK_INT(run1(&f, "JWT_SECRET", "short-secret"), 1);
	CHECK_STR(line(&f, 0, b, sizeof(b)), "manifests/app.yml:4:5: x-deployctl.env.JWT_SECRET: "
	                                     "too short (12 characters, at least 32)");
	CHECK(!leaks(&f, "short-secret"));
	CHECK_INT(run1(&f, "JWT_SECRET", "0123456789abcdef0123456789abcdef"), 0);
	/* Characters, not bytes: 31 two-byte characters are still too short. */
	CHECK_INT(run1(&f, "JWT_SECRET", "ééééééééééééééééééééééééééééééé"), 1);
	CHECK(strstr(f.errs.items[0].msg, "(31 characters") != NULL);
	fx_done(&f);
}

static void test_envrules__max_length(void)
{
	struct fixture f;
	char b[1024];

	fx_init(&f);
	rule_add(&f, "NAME", 7)->max_length = 5;
	CHECK_INT(run1(&f, "NAME", "abcde"), 0);
	CHECK_INT(run1(&f, "NAME", "abcdef"), 1);
	CHECK_STR(
	        line(&f, 0, b, sizeof(b)),
	        "manifests/app.yml:7:5: x-deployctl.env.NAME: too long (6 characters, at most 5)");
	CHECK(!leaks(&f, "abcdef"));
	fx_done(&f);
}

static void test_envrules__pattern(void)
{
	struct fixture f;
	char b[1024];

	fx_init(&f);
	rule_add(&f, "REGION", 3)->pattern = strdup("[a-z]{2}-[a-z]+-[0-9]");
	CHECK_INT(run1(&f, "REGION", "eu-west-1"), 0);
	CHECK_INT(run1(&f, "REGION", "EU-west-1"), 1);
	CHECK_STR(line(&f, 0, b, sizeof(b)), "manifests/app.yml:3:5: x-deployctl.env.REGION: the "
	                                     "value does not match the pattern");
	/* Anchored: a match inside the value is not enough. */
	CHECK_INT(run1(&f, "REGION", "xeu-west-1"), 1);
	CHECK_INT(run1(&f, "REGION", "eu-west-12"), 1);
	CHECK(!leaks(&f, "eu-west-12"));
	/* Alternation is grouped before anchoring. */
	free(f.p.env_rules[0].pattern);
	f.p.env_rules[0].pattern = strdup("a|b");
	CHECK_INT(run1(&f, "REGION", "a"), 0);
	CHECK_INT(run1(&f, "REGION", "ab"), 1);
	free(f.p.env_rules[0].pattern);
	f.p.env_rules[0].pattern = strdup("(unclosed");
	CHECK_INT(run1(&f, "REGION", "a"), 1);
	CHECK(strstr(f.errs.items[0].msg, "x-deployctl.env.REGION: invalid pattern: ") != NULL);
	fx_done(&f);
}

static void test_envrules__url(void)
{
	static const char *const bad[] = { "localhost:5432",   "postgres:/x", "postgres://",
		                           "postgres:///db",   "://host",     "1abc://host",
		                           "postgres://a b/c", "postgres//x" };
	struct fixture f;
	struct env_rule *r;
	char b[1024];
	size_t i;

	fx_init(&f);
	r = rule_add(&f, "DATABASE_URL", 5);
	r->url = true;
	strv_push(&r->url_schemes, "postgresql");
	strv_push(&r->url_schemes, "postgres");
	CHECK_INT(run1(&f, "DATABASE_URL", "postgres://u:pw@db:5432/app"), 0);
	CHECK_INT(run1(&f, "DATABASE_URL", "PostgreSQL://db/app"), 0);
	CHECK_INT(run1(&f, "DATABASE_URL", "postgresql://db"), 0);
	CHECK_INT(run1(&f, "DATABASE_URL", "mysql://u:hunter2@db/app"), 1);
	CHECK_STR(line(&f, 0, b, sizeof(b)),
	          "manifests/app.yml:5:5: x-deployctl.env.DATABASE_URL: the URL's scheme is not "
	          "allowed (allowed: postgresql, postgres)");
	CHECK(!leaks(&f, "hunter2"));
	CHECK(!leaks(&f, "mysql"));
	/* A scheme that only starts like an allowed one is not allowed. */
	CHECK_INT(run1(&f, "DATABASE_URL", "postgresqlx://db"), 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(run1(&f, "DATABASE_URL", bad[i]), 1);
		CHECK_STR(line(&f, 0, b, sizeof(b)),
		          "manifests/app.yml:5:5: "
		          "x-deployctl.env.DATABASE_URL: the value is not a "
		          "URL (scheme://host...)");
	}
	/* No schemes listed: any scheme. */
	strv_free(&r->url_schemes);
	CHECK_INT(run1(&f, "DATABASE_URL", "mysql+ssl.v2-x://db"), 0);
	CHECK_INT(run1(&f, "DATABASE_URL", "not a url"), 1);
	fx_done(&f);
}

static void test_envrules__one_of(void)
{
	struct fixture f;
	struct env_rule *r;
	char b[1024];

	fx_init(&f);
	r = rule_add(&f, "LOG_LEVEL", 6);
	strv_push(&r->one_of, "debug");
	strv_push(&r->one_of, "info");
	strv_push(&r->one_of, "warn");
	strv_push(&r->one_of, "error");
	CHECK_INT(run1(&f, "LOG_LEVEL", "warn"), 0);
	CHECK_INT(run1(&f, "LOG_LEVEL", "verbose"), 1);
	CHECK_STR(line(&f, 0, b, sizeof(b)),
	          "manifests/app.yml:6:5: x-deployctl.env.LOG_LEVEL: the "
	          "value is not one of: debug, info, warn, error");
	CHECK(!leaks(&f, "verbose"));
	/* Exact comparison. */
	CHECK_INT(run1(&f, "LOG_LEVEL", "INFO"), 1);
	fx_done(&f);
}

static void test_envrules__several_problems_one_value(void)
{
	struct fixture f;
	struct env_rule *r;

	fx_init(&f);
	r = rule_add(&f, "API_TOKEN", 2);
	r->min_length = 20;
	r->pattern = strdup("[A-Z]+");
	CHECK_INT(run1(&f, "API_TOKEN", "lower"), 2);
	CHECK(!leaks(&f, "lower"));
	fx_done(&f);
}

static void test_envrules__services_environment(void)
{
	struct fixture f;
	struct env_rule *r;
	char b[1024];

	fx_init(&f);
	r = rule_add(&f, "LOG_LEVEL", 6);
	strv_push(&r->one_of, "info");
	r->required = true;
	kvv_set(&service_add(&f, "api")->env, "LOG_LEVEL", "loud");
	service_add(&f, "db");
	kvv_set(&service_add(&f, "worker")->env, "LOG_LEVEL", "info");
	CHECK_INT(run1(&f, "LOG_LEVEL", NULL), 1);
	CHECK_STR(line(&f, 0, b, sizeof(b)),
	          "manifests/app.yml:6:5: x-deployctl.env.LOG_LEVEL: services.api.environment: the "
	          "value is not one of: info");
	CHECK(!leaks(&f, "loud"));
	/* Two services wrong: one problem each. */
	kvv_set(&f.p.services[2].env, "LOG_LEVEL", "");
	CHECK_INT(run1(&f, "LOG_LEVEL", NULL), 2);
	CHECK_STR(line(&f, 1, b, sizeof(b)), "manifests/app.yml:6:5: x-deployctl.env.LOG_LEVEL: "
	                                     "services.worker.environment: required but empty");
	/* The interpolation variable, when set, is what is checked. */
	CHECK_INT(run1(&f, "LOG_LEVEL", "info"), 0);
	fx_done(&f);
}

static void test_envrules__no_rules(void)
{
	struct fixture f;

	fx_init(&f);
	service_add(&f, "api");
	CHECK_INT(run1(&f, "X", "y"), 0);
	CHECK_INT(envrules_check(&f.errs, &f.p, NULL), 0);
	CHECK_INT(f.errs.n, 0);
	fx_done(&f);
}

/* The example, verbatim, through the manifest loader. */
static const char example[] = "name: demo\n"
                              "x-deployctl:\n"
                              "  env:\n"
                              "    JWT_SECRET: {required: true, min_length: 32}\n"
                              "    DATABASE_URL: {required: true, url: {schemes: [postgresql, "
                              "postgres]}}\n"
                              "    REDIS_URL: {url: {schemes: [redis]}}\n"
                              "    LOG_LEVEL: {one_of: [debug, info, warn, error]}\n"
                              "services:\n"
                              "  api:\n"
                              "    image: demo/api:1\n"
                              "    environment:\n"
                              "      LOG_LEVEL: verbose\n";

/* Load example with vars (NULL-terminated KEY, VALUE pairs) and check it. */
static int example_run(struct errlist *errs, const char *const *kv)
{
	const char *names[] = { file_name }, *texts[] = { example };
	struct manifest_vars mv;
	struct manifest_opts mo = { .dir = "manifests" };
	struct errlist lerrs, lwarns;
	struct project *p = NULL;
	int n = -1;

	manifest_vars_init(&mv);
	for (; kv && kv[0]; kv += 2)
		kvv_set(&mv.vars, kv[0], kv[1]);
	mo.vars = &mv;
	errlist_init(&lerrs);
	errlist_init(&lwarns);
	errlist_init(errs);
	if (manifest_load_texts(&p, names, texts, 1, NULL, &mo, &lerrs, &lwarns) == 0 &&
	    p->nenv_rules == 4) {
		n = envrules_check(errs, p, &mv.vars);
	} else {
		char b[1024];

		fprintf(stderr, "example did not load: %zu rules, %zu errors: %s\n",
		        p ? p->nenv_rules : 0, lerrs.n,
		        lerrs.n ? err_format(b, sizeof(b), &lerrs.items[0]) : "");
	}
	model_project_free(p);
	manifest_vars_release(&mv);
	return n;
}

static void test_envrules__example_yaml(void)
{
	static const char *const good[] = { "JWT_SECRET",
		                            "0123456789abcdef0123456789abcdef",
		                            "DATABASE_URL",
		                            "postgresql://app:pw@db:5432/app",
		                            "REDIS_URL",
		                            "redis://cache:6379/0",
		                            "LOG_LEVEL",
		                            "info",
		                            NULL };
	static const char *const bad[] = { "JWT_SECRET",
		                           "twelve-chars",
		                           "DATABASE_URL",
		                           "mysql://root:hunter2@db/app",
		                           "REDIS_URL",
		                           "http://cache",
		                           NULL };
	struct errlist errs;
	char b[1024];
	size_t i;

	CHECK_INT(example_run(&errs, good), 0);
	/* LOG_LEVEL is not a variable here: the service's value is checked. */
	CHECK_INT(example_run(&errs, bad), 4);
	errlist_sort(&errs);
	for (i = 0; i < errs.n; i++) {
		CHECK(strstr(errs.items[i].msg, "twelve-chars") == NULL);
		CHECK(strstr(errs.items[i].msg, "hunter2") == NULL);
		CHECK(strstr(errs.items[i].msg, "verbose") == NULL);
		CHECK_STR(errs.items[i].src, file_name);
	}
	CHECK_STR(errs.n > 0 ? err_format(b, sizeof(b), &errs.items[0]) : "",
	          "manifests/app.yml:4:5: x-deployctl.env.JWT_SECRET: too short (12 characters, at "
	          "least 32)");
	CHECK_INT(errs.n > 1 ? errs.items[1].line : 0, 5);
	CHECK(errs.n > 1 && strstr(errs.items[1].msg, "DATABASE_URL: the URL's scheme is not "
	                                              "allowed (allowed: postgresql, postgres)"));
	CHECK(errs.n > 2 && strstr(errs.items[2].msg, "REDIS_URL: the URL's scheme is not allowed "
	                                              "(allowed: redis)"));
	CHECK(errs.n > 3 && strstr(errs.items[3].msg, "LOG_LEVEL: services.api.environment: the "
	                                              "value is not one of: debug, info, warn, "
	                                              "error"));
	/* Required keys unset. */
	CHECK_INT(example_run(&errs, NULL), 3);
	errlist_sort(&errs);
	CHECK(errs.n > 0 && strstr(errs.items[0].msg, "JWT_SECRET: required but not set"));
	CHECK(errs.n > 1 && strstr(errs.items[1].msg, "DATABASE_URL: required but not set"));
}

int main(void)
{
	RUN(test_envrules__required);
	RUN(test_envrules__optional_unset_or_empty);
	RUN(test_envrules__min_length);
	RUN(test_envrules__max_length);
	RUN(test_envrules__pattern);
	RUN(test_envrules__url);
	RUN(test_envrules__one_of);
	RUN(test_envrules__several_problems_one_value);
	RUN(test_envrules__services_environment);
	RUN(test_envrules__no_rules);
	RUN(test_envrules__example_yaml);
	return CHECK_DONE();
}
