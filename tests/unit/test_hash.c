/*
 * test_hash.c - keyed fingerprints and the state directory's key file:
 * the same key gives the same fingerprint, another key another one, the
 * key file is made 0600 once and refused when loose, a symlink or garbage,
 * and fingerprints of releases made before keys existed are still known.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/hash.h"

static char *tmpdir_new(void)
{
	char tmpl[] = "/tmp/deployctl-test-hash-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static void test_hash__fingerprint_keyed(void)
{
	struct hash_key a = { { 0 } }, b = { { 0 } };
	char fa[HASH_FINGERPRINT_SIZE], fa2[HASH_FINGERPRINT_SIZE], fb[HASH_FINGERPRINT_SIZE];
	char legacy[HASH_FINGERPRINT_SIZE], hex[HASH_HEX_LEN + 1];
	struct err err = ERR_INIT;

	b.k[0] = 1;
	hash_fingerprint(fa, &a, "hunter2");
	hash_fingerprint(fa2, &a, "hunter2");
	hash_fingerprint(fb, &b, "hunter2");
	CHECK_STR(fa, fa2);
	CHECK(strcmp(fa, fb) != 0);
	CHECK_INT(strlen(fa), 17);
	CHECK(!strncmp(fa, "hmac:", 5));
	CHECK(hash_is_fingerprint(fa));
	/* the first 12 hex digits of HMAC-SHA256(key, value) */
	hash_hmac_hex(hex, &a, "hunter2", 7);
	CHECK(!strncmp(fa + 5, hex, 12));
	/* an unkeyed sha256 of the secret is not what is stored any more */
	hash_sha256_hex(hex, "hunter2", 7);
	CHECK(strncmp(fa + 5, hex, 12) != 0);
	/* fingerprints made before keys existed are still recognised, without the key */
	hash_fingerprint_legacy(legacy, "hunter2");
	CHECK(!strncmp(legacy, "sha256:", 7));
	CHECK(!strncmp(legacy + 7, hex, 12));
	CHECK(hash_is_fingerprint(legacy));
	CHECK(hash_fingerprint_matches(legacy, &b, "hunter2"));
	CHECK(hash_fingerprint_matches(fa, &a, "hunter2"));
	CHECK(!hash_fingerprint_matches(fa, &b, "hunter2"));
	CHECK(!hash_fingerprint_matches(fa, &a, "hunter3"));
	CHECK(!hash_is_fingerprint("hmac:0123"));
	CHECK(!hash_is_fingerprint("hmac:0123456789aX"));
	CHECK(!hash_is_fingerprint("md5:0123456789ab"));
	/* two random keys differ */
	CHECK_INT(hash_key_random(&a, &err), 0);
	CHECK_INT(hash_key_random(&b, &err), 0);
	CHECK(memcmp(a.k, b.k, HASH_KEY_SIZE) != 0);
}

static void test_hash__key_file(void)
{
	char *dir = tmpdir_new(), path[512], other[512];
	struct hash_key k1, k2;
	struct err err = ERR_INIT;
	struct stat st;
	mode_t old;

	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/fingerprint.key", dir);
	/* made 0600 whatever the umask */
	old = umask(0);
	CHECK_INT(hash_key_load(&k1, path, &err), 0);
	umask(old);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_size, 2 * HASH_KEY_SIZE + 1);
	/* the same key next time: fingerprints are stable across runs */
	CHECK_INT(hash_key_load(&k2, path, &err), 0);
	CHECK(!memcmp(k1.k, k2.k, HASH_KEY_SIZE));
	/* no temporary file left behind */
	snprintf(other, sizeof(other), "%s/fingerprint.key.%ld.tmp", dir, (long)getpid());
	CHECK(access(other, F_OK) < 0 && errno == ENOENT);

	/* readable by others: refused */
	CHECK_INT(chmod(path, 0640), 0);
	CHECK_INT(hash_key_load(&k2, path, &err), ERR_INVALID);
	CHECK(strstr(err.msg, "0600") != NULL);
	err_clear(&err);
	CHECK_INT(chmod(path, 0600), 0);

	/* a planted symlink is never followed, not even to create the key */
	CHECK_INT(unlink(path), 0);
	snprintf(other, sizeof(other), "%s/elsewhere", dir);
	CHECK_INT(symlink(other, path), 0);
	CHECK_INT(hash_key_load(&k2, path, &err), ERR_INVALID);
	err_clear(&err);
	CHECK(access(other, F_OK) < 0);
	CHECK_INT(unlink(path), 0);

	/* garbage is not a key */
	write_file(path, "not a key\n", 0600);
	CHECK_INT(hash_key_load(&k2, path, &err), ERR_INVALID);
	err_clear(&err);
	CHECK_INT(unlink(path), 0);
	rmdir(dir);
	free(dir);
}

/* RFC 4231 vectors, through the kept keyed context, a re-key and the long-key path. */
static void test_hash__hmac_rfc4231(void)
{
	static const char jefe[] =
	        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	static const char big[] =
	        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
	static const char msg6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	unsigned char key6[131];
	char hex[HASH_HEX_LEN + 1];
	int i;

	memset(key6, 0xaa, sizeof(key6));
	for (i = 0; i < 3; i++) {
		hash_hmac_sha256_hex(hex, "Jefe", 4, "what do ya want for nothing?", 28);
		CHECK_STR(hex, jefe);
		hash_hmac_sha256_hex(hex, key6, sizeof(key6), msg6, strlen(msg6));
		CHECK_STR(hex, big);
	}
	/* Another key between two uses of the first: each gives its own. */
	hash_hmac_sha256_hex(hex, "Jefe", 4, "what do ya want for nothing?", 28);
	CHECK_STR(hex, jefe);
	hash_hmac_sha256_hex(hex, "Jeff", 4, "what do ya want for nothing?", 28);
	CHECK(strcmp(hex, jefe) != 0);
	hash_hmac_sha256_hex(hex, "Jefe", 4, "what do ya want for nothing?", 28);
	CHECK_STR(hex, jefe);
}

int main(void)
{
	RUN(test_hash__hmac_rfc4231);
	RUN(test_hash__fingerprint_keyed);
	RUN(test_hash__key_file);
	return CHECK_DONE();
}
