/*
 * test_pull_cause.c - a failed pull's message, as the daemon words it, says
 * whether the registry could not be reached: then the error names that,
 * not missing credentials.
 */
#include "check.h"
#include "docker_internal.h"

static void test_pull_cause__network_failures_are_named(void)
{
	/* Recorded from Engine 20.10. */
	CHECK_STR(
	        docker_pull_cause("Get \"https://deployctl-missing.invalid/v2/\": dial tcp: lookup "
	                          "deployctl-missing.invalid on 10.255.255.53:53: no such host"),
	        "does not resolve (no such host)");
	CHECK_STR(docker_pull_cause("Get \"https://r.example/v2/\": dial tcp: lookup r.example on "
	                            "127.0.0.53:53: server misbehaving"),
	          "does not resolve (the DNS server failed)");
	CHECK_STR(
	        docker_pull_cause("Get \"http://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: "
	                          "connection refused"),
	        "refuses connections");
	CHECK_STR(docker_pull_cause(
	                  "Get \"https://10.1.2.3/v2/\": dial tcp 10.1.2.3:443: i/o timeout"),
	          "does not answer (timed out)");
}

static void test_pull_cause__registry_answers_are_not_network_failures(void)
{
	CHECK(docker_pull_cause("unauthorized: authentication required") == NULL);
	CHECK(docker_pull_cause("manifest for r/x:1 not found: manifest unknown") == NULL);
	CHECK(docker_pull_cause("pull access denied for x, repository does not exist") == NULL);
	CHECK(docker_pull_cause(NULL) == NULL);
}

int main(void)
{
	RUN(test_pull_cause__network_failures_are_named);
	RUN(test_pull_cause__registry_answers_are_not_network_failures);
	return CHECK_DONE();
}
