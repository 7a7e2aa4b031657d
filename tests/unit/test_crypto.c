/* test_crypto.c - unit tests for lib/crypto.c: the key file, sealing of
 * personal data, tokens, blind indexes, normalisation, passwords, UUIDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/crypto.h"

/* ---- helpers ------------------------------------------------------------ */

/* 64 hex digits of the 32 bytes fill, fill+1, ... (distinct keys per fill). */
static void
hexkey(char out[65], unsigned char fill)
{
	unsigned char k[32];

	for (size_t i = 0; i < sizeof(k); i++)
		k[i] = (unsigned char)(fill + i);
	sodium_bin2hex(out, 65, k, sizeof(k));
}

/* A key file text: an index key and up to three data keys (id 0 = none). */
static char *
key_text(unsigned char index_fill, unsigned id1, unsigned char fill1, unsigned id2,
         unsigned char fill2, unsigned id3, unsigned char fill3)
{
	char *text = malloc(1024);
	char hex[65];
	size_t n = 0;

	assert_non_null(text);
	hexkey(hex, index_fill);
	n += (size_t)snprintf(text + n, 1024 - n, "index %s\n", hex);
	if (id1 != 0) {
		hexkey(hex, fill1);
		n += (size_t)snprintf(text + n, 1024 - n, "data %u %s\n", id1, hex);
	}
	if (id2 != 0) {
		hexkey(hex, fill2);
		n += (size_t)snprintf(text + n, 1024 - n, "data %u %s\n", id2, hex);
	}
	if (id3 != 0) {
		hexkey(hex, fill3);
		n += (size_t)snprintf(text + n, 1024 - n, "data %u %s\n", id3, hex);
	}
	return text;
}

/* Parse text that must be valid. */
static struct crypto_keys *
parse_ok(const char *text)
{
	struct crypto_keys *k = NULL;
	char err[256] = "";

	if (crypto_keys_parse(text, &k, err, sizeof(err)) != 0)
		fail_msg("refused valid keys: %s\n%s", err, text);
	assert_non_null(k);
	return k;
}

/* Keys with one index key (index_fill) and data keys as in key_text. */
static struct crypto_keys *
make_keys(unsigned char index_fill, unsigned id1, unsigned char fill1, unsigned id2,
          unsigned char fill2)
{
	char *text = key_text(index_fill, id1, fill1, id2, fill2, 0, 0);
	struct crypto_keys *k = parse_ok(text);

	free(text);
	return k;
}

/* text must be refused with exactly message in err and *out untouched. */
static void
expect_parse_error(const char *text, const char *message)
{
	struct crypto_keys *k = NULL;
	char err[256] = "";

	if (crypto_keys_parse(text, &k, err, sizeof(err)) != -1)
		fail_msg("accepted invalid keys:\n%s", text);
	assert_null(k);
	if (strcmp(err, message) != 0)
		fail_msg("for:\n%s\n got: %s\nwant: %s", text, err, message);
}

/* Open that must succeed with exactly the len bytes of want. */
static void
expect_open(const struct crypto_keys *k, const char *ad, const unsigned char *sealed, size_t slen,
            const void *want, size_t len)
{
	size_t plen = 12345;
	unsigned char *p = crypto_open(k, ad, sealed, slen, &plen);

	if (p == NULL)
		fail_msg("did not open a value sealed for %s", ad);
	assert_int_equal(plen, len);
	if (len > 0)
		assert_memory_equal(p, want, len);
	assert_int_equal(p[len], '\0');
	free(p);
}

/* Open that must fail: NULL, never garbage. */
static void
expect_no_open(const struct crypto_keys *k, const char *ad, const unsigned char *sealed,
               size_t slen)
{
	size_t plen = 12345;
	unsigned char *p = crypto_open(k, ad, sealed, slen, &plen);

	if (p != NULL) {
		free(p);
		fail_msg("opened a value that must not open (ad %s, %zu bytes)", ad, slen);
	}
}

#define ROW1 "request/0b7e6f2c-4a3b-4c8d-9e1f-2a3b4c5d6e7f"
#define ROW2 "request/5d1c0a9e-8b7f-4e6d-a5c4-b3a29180f7e6"

static const char name_plain[] = "Anna Ærøskøbing-Hansen";

/* ---- key file ----------------------------------------------------------- */

static void
test_parse_valid_with_comments(void **state)
{
	char text[1024], ih[65], d1[65], d2[65];
	struct crypto_keys *k;

	(void)state;
	hexkey(ih, 0x10);
	hexkey(d1, 0x20);
	hexkey(d2, 0x30);
	snprintf(text, sizeof(text),
	         "# Kompas key file\n"
	         "\n"
	         "   # an indented comment\n"
	         "index %s\n"
	         "\t\n"
	         "  data 1 %s\n"
	         "# the next key encrypts\n"
	         "data 2 %s",
	         ih, d1, d2);
	k = parse_ok(text);
	assert_int_equal(crypto_active_key_id(k), 2);
	crypto_keys_free(k);
	/* upper-case hex digits are hex digits too */
	for (char *p = ih; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(text, sizeof(text), "index %s\ndata 9 %s\n", ih, d1);
	k = parse_ok(text);
	assert_int_equal(crypto_active_key_id(k), 9);
	crypto_keys_free(k);
}

static void
test_parse_single_data_key(void **state)
{
	struct crypto_keys *k = make_keys(1, 1, 2, 0, 0);

	(void)state;
	assert_int_equal(crypto_active_key_id(k), 1);
	crypto_keys_free(k);
	crypto_keys_free(NULL); /* accepted */
}

static void
test_parse_missing_index(void **state)
{
	char text[256], d1[65];

	(void)state;
	hexkey(d1, 0x20);
	snprintf(text, sizeof(text), "# no index\ndata 1 %s\n", d1);
	expect_parse_error(text, "needs an 'index' key and at least one 'data' key");
	expect_parse_error("", "needs an 'index' key and at least one 'data' key");
	expect_parse_error("# only a comment\n\n",
	                   "needs an 'index' key and at least one 'data' key");
}

static void
test_parse_missing_data(void **state)
{
	char text[256], ih[65];

	(void)state;
	hexkey(ih, 0x10);
	snprintf(text, sizeof(text), "index %s\n# no data key\n", ih);
	expect_parse_error(text, "needs an 'index' key and at least one 'data' key");
}

static void
test_parse_bad_hex(void **state)
{
	char text[512], ih[65], d1[65];

	(void)state;
	hexkey(ih, 0x10);
	hexkey(d1, 0x20);
	d1[10] = 'g';
	snprintf(text, sizeof(text), "index %s\ndata 1 %s\n", ih, d1);
	expect_parse_error(text, "line 2: expected 'data <id 1-65535> <64 hex digits>'");
	hexkey(d1, 0x20);
	ih[63] = 'z';
	snprintf(text, sizeof(text), "# keys\nindex %s\ndata 1 %s\n", ih, d1);
	expect_parse_error(text, "line 2: expected one 'index <64 hex digits>' line");
	/* hex with a space in the middle is not 64 hex digits */
	hexkey(ih, 0x10);
	ih[32] = ' ';
	snprintf(text, sizeof(text), "index %s\ndata 1 %s\n", ih, d1);
	expect_parse_error(text, "line 1: expected one 'index <64 hex digits>' line");
}

static void
test_parse_wrong_length(void **state)
{
	char text[512], ih[65], d1[65];

	(void)state;
	hexkey(ih, 0x10);
	hexkey(d1, 0x20);
	/* 62 hex digits: a 31-byte key */
	snprintf(text, sizeof(text), "index %s\ndata 1 %.62s\n", ih, d1);
	expect_parse_error(text, "line 2: expected 'data <id 1-65535> <64 hex digits>'");
	/* 66 hex digits: a 33-byte key */
	snprintf(text, sizeof(text), "index %s\ndata 1 %sab\n", ih, d1);
	expect_parse_error(text, "line 2: expected 'data <id 1-65535> <64 hex digits>'");
	/* an odd number of digits */
	snprintf(text, sizeof(text), "index %.63s\ndata 1 %s\n", ih, d1);
	expect_parse_error(text, "line 1: expected one 'index <64 hex digits>' line");
	/* no key at all */
	snprintf(text, sizeof(text), "index %s\ndata 1\n", ih);
	expect_parse_error(text, "line 2: expected 'data <id 1-65535> <64 hex digits>'");
	snprintf(text, sizeof(text), "index\ndata 1 %s\n", d1);
	expect_parse_error(text, "line 1: expected one 'index <64 hex digits>' line");
}

static void
test_parse_duplicates(void **state)
{
	char *text;
	char buf[1024], ih[65];

	(void)state;
	text = key_text(0x10, 3, 0x20, 3, 0x30, 0, 0);
	expect_parse_error(text, "line 3: data key 3 appears twice");
	free(text);
	/* the same id with the same key is still a duplicate */
	text = key_text(0x10, 1, 0x20, 2, 0x30, 1, 0x20);
	expect_parse_error(text, "line 4: data key 1 appears twice");
	free(text);
	/* two index lines */
	text = key_text(0x10, 1, 0x20, 0, 0, 0, 0);
	hexkey(ih, 0x11);
	snprintf(buf, sizeof(buf), "%sindex %s\n", text, ih);
	expect_parse_error(buf, "line 3: expected one 'index <64 hex digits>' line");
	free(text);
}

static void
test_parse_id_range(void **state)
{
	struct crypto_keys *k;
	char *text;

	(void)state;
	{
		char buf[512], ih[65], d1[65];

		hexkey(ih, 0x10);
		hexkey(d1, 0x20);
		snprintf(buf, sizeof(buf), "index %s\ndata 0 %s\n", ih, d1);
		expect_parse_error(buf, "line 2: expected 'data <id 1-65535> <64 hex digits>'");
		snprintf(buf, sizeof(buf), "index %s\ndata 65536 %s\n", ih, d1);
		expect_parse_error(buf, "line 2: expected 'data <id 1-65535> <64 hex digits>'");
		snprintf(buf, sizeof(buf), "index %s\ndata -1 %s\n", ih, d1);
		expect_parse_error(buf, "line 2: expected 'data <id 1-65535> <64 hex digits>'");
		snprintf(buf, sizeof(buf), "index %s\ndata x %s\n", ih, d1);
		expect_parse_error(buf, "line 2: expected 'data <id 1-65535> <64 hex digits>'");
	}
	/* the bounds themselves are valid */
	text = key_text(0x10, 65535, 0x20, 1, 0x30, 0, 0);
	k = parse_ok(text);
	assert_int_equal(crypto_active_key_id(k), 65535);
	crypto_keys_free(k);
	free(text);
}

static void
test_parse_unknown_entry(void **state)
{
	char buf[512], ih[65], d1[65];

	(void)state;
	hexkey(ih, 0x10);
	hexkey(d1, 0x20);
	snprintf(buf, sizeof(buf), "index %s\ndata 1 %s\nsecret 2 %s\n", ih, d1, d1);
	expect_parse_error(buf, "line 3: unknown entry 'secret'");
}

static void
test_highest_id_is_active(void **state)
{
	struct crypto_keys *k;
	unsigned char *s;
	size_t len;
	char *text;

	(void)state;
	/* not in order in the file: the highest id wins, not the last line */
	text = key_text(0x10, 3, 0x20, 7, 0x30, 5, 0x40);
	k = parse_ok(text);
	assert_int_equal(crypto_active_key_id(k), 7);
	s = crypto_seal(k, ROW1 "/name", "x", 1, &len);
	assert_int_equal(crypto_sealed_key_id(s, len), 7);
	assert_int_equal(s[0], 0);
	assert_int_equal(s[1], 7);
	free(s);
	crypto_keys_free(k);
	free(text);
	/* ids above 255 are two big-endian bytes */
	text = key_text(0x10, 300, 0x20, 2, 0x30, 0, 0);
	k = parse_ok(text);
	assert_int_equal(crypto_active_key_id(k), 300);
	s = crypto_seal(k, ROW1 "/name", "x", 1, &len);
	assert_int_equal(s[0], 300 >> 8);
	assert_int_equal(s[1], 300 & 0xff);
	assert_int_equal(crypto_sealed_key_id(s, len), 300);
	free(s);
	crypto_keys_free(k);
	free(text);
}

/* ---- crypto_keys_load ---------------------------------------------------- */

static char *
write_key_file(const char *text, mode_t mode)
{
	const char *dir = getenv("KOMPAS_TEST_TMP");
	char *path = malloc(4096);
	size_t len = strlen(text);
	int fd;

	assert_non_null(path);
	snprintf(path, 4096, "%s/kompas-test-keys-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return path;
}

static void
test_load_refuses_readable_file(void **state)
{
	char *text = key_text(0x10, 1, 0x20, 0, 0, 0, 0);
	struct crypto_keys *k = NULL;
	char err[512] = "", want[600];
	char *path;

	(void)state;
	path = write_key_file(text, 0644);
	assert_int_equal(crypto_keys_load(path, &k, err, sizeof(err)), -1);
	assert_null(k);
	snprintf(want, sizeof(want),
	         "%s: group or others may read the key file (mode 0644); chmod 600 it (and keep "
	         "it out of backups readable by others)",
	         path);
	assert_string_equal(err, want);
	/* group-readable only is refused as well */
	assert_int_equal(chmod(path, 0640), 0);
	err[0] = '\0';
	assert_int_equal(crypto_keys_load(path, &k, err, sizeof(err)), -1);
	assert_null(k);
	snprintf(want, sizeof(want),
	         "%s: group or others may read the key file (mode 0640); chmod 600 it (and keep "
	         "it out of backups readable by others)",
	         path);
	assert_string_equal(err, want);
	unlink(path);
	free(path);
	free(text);
}

static void
test_load_accepts_private_file(void **state)
{
	char *text = key_text(0x10, 1, 0x20, 4, 0x30, 0, 0);
	struct crypto_keys *k = NULL, *parsed;
	char err[512] = "";
	unsigned char *s;
	size_t len;
	char *path;

	(void)state;
	path = write_key_file(text, 0600);
	if (crypto_keys_load(path, &k, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_non_null(k);
	assert_int_equal(crypto_active_key_id(k), 4);
	/* the loaded keys are those of the text */
	parsed = parse_ok(text);
	s = crypto_seal(k, ROW1 "/email", "a@b.dk", 6, &len);
	expect_open(parsed, ROW1 "/email", s, len, "a@b.dk", 6);
	free(s);
	crypto_keys_free(parsed);
	crypto_keys_free(k);
	unlink(path);
	free(path);
	free(text);
}

static void
test_load_errors_name_the_file(void **state)
{
	struct crypto_keys *k = NULL;
	char err[512] = "", want[600];
	char *path;

	(void)state;
	path = write_key_file("# empty\n", 0600);
	assert_int_equal(crypto_keys_load(path, &k, err, sizeof(err)), -1);
	assert_null(k);
	snprintf(want, sizeof(want), "%s: needs an 'index' key and at least one 'data' key", path);
	assert_string_equal(err, want);
	unlink(path);
	/* a missing file */
	err[0] = '\0';
	assert_int_equal(crypto_keys_load(path, &k, err, sizeof(err)), -1);
	assert_null(k);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	free(path);
}

/* ---- sealing ------------------------------------------------------------ */

static void
test_seal_open_round_trip(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	size_t len = 0, n = strlen(name_plain);
	unsigned char *s;

	(void)state;
	s = crypto_seal(k, ROW1 "/name", name_plain, n, &len);
	assert_non_null(s);
	assert_int_equal(len, n + CRYPTO_SEAL_OVERHEAD);
	assert_int_equal(CRYPTO_SEAL_OVERHEAD, 42);
	assert_int_equal(s[0], 0);
	assert_int_equal(s[1], 1);
	assert_int_equal(crypto_sealed_key_id(s, len), 1);
	/* the plaintext does not appear in the sealed value */
	assert_null(memmem(s, len, "Anna", 4));
	expect_open(k, ROW1 "/name", s, len, name_plain, n);
	free(s);
	crypto_keys_free(k);
}

static void
test_seal_empty_string(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	size_t len = 0;
	unsigned char *s;

	(void)state;
	s = crypto_seal(k, ROW1 "/notes", "", 0, &len);
	assert_int_equal(len, CRYPTO_SEAL_OVERHEAD);
	assert_int_equal(crypto_sealed_key_id(s, len), 1);
	expect_open(k, ROW1 "/notes", s, len, "", 0);
	/* even an empty value is bound to its place */
	expect_no_open(k, ROW1 "/name", s, len);
	s[len - 1] ^= 0x01;
	expect_no_open(k, ROW1 "/notes", s, len);
	free(s);
	crypto_keys_free(k);
}

static void
test_seal_4000_bytes_utf8(void **state)
{
	static const char *const chars[] = {"æ", "ø", "å", "Æ", "Ø", "Å", "ü", "ß"};
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	char text[4001];
	size_t n = 0, len = 0;
	unsigned char *s;

	(void)state;
	for (size_t i = 0; n < 4000; i++) {
		const char *c = i % 50 == 49 ? "\n\n" : chars[i % 8];

		memcpy(text + n, c, 2);
		n += 2;
	}
	text[n] = '\0';
	assert_int_equal(n, 4000);
	s = crypto_seal(k, ROW1 "/notes", text, n, &len);
	assert_int_equal(len, 4000 + 42);
	expect_open(k, ROW1 "/notes", s, len, text, n);
	free(s);
	crypto_keys_free(k);
}

static void
test_open_fails_on_any_flipped_bit(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	size_t n = strlen(name_plain), len = 0;
	unsigned char *s;

	(void)state;
	s = crypto_seal(k, ROW1 "/name", name_plain, n, &len);
	/* every bit of key id, nonce, ciphertext and tag */
	for (size_t byte = 0; byte < len; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			s[byte] ^= (unsigned char)(1u << bit);
			expect_no_open(k, ROW1 "/name", s, len);
			s[byte] ^= (unsigned char)(1u << bit);
		}
	}
	/* restored: opens again */
	expect_open(k, ROW1 "/name", s, len, name_plain, n);
	free(s);
	crypto_keys_free(k);
}

static void
test_open_fails_on_flipped_nonce_ciphertext_tag(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	size_t n = strlen(name_plain), len = 0;
	unsigned char *s;

	(void)state;
	s = crypto_seal(k, ROW1 "/name", name_plain, n, &len);
	/* nonce: bytes 2..25 */
	s[2 + 11] ^= 0x80;
	expect_no_open(k, ROW1 "/name", s, len);
	s[2 + 11] ^= 0x80;
	/* ciphertext: bytes 26..26+n-1 */
	s[CRYPTO_SEAL_HEADER] ^= 0x01;
	expect_no_open(k, ROW1 "/name", s, len);
	s[CRYPTO_SEAL_HEADER] ^= 0x01;
	/* tag: the last 16 bytes */
	s[len - 16] ^= 0x04;
	expect_no_open(k, ROW1 "/name", s, len);
	s[len - 16] ^= 0x04;
	expect_open(k, ROW1 "/name", s, len, name_plain, n);
	free(s);
	crypto_keys_free(k);
}

static void
test_open_fails_on_changed_key_id(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 2, 0x30);
	size_t n = strlen(name_plain), len = 0;
	unsigned char *s;

	(void)state;
	s = crypto_seal(k, ROW1 "/name", name_plain, n, &len);
	assert_int_equal(crypto_sealed_key_id(s, len), 2);
	/* claims to be sealed with key 1, which exists: must not open */
	s[1] = 1;
	assert_int_equal(crypto_sealed_key_id(s, len), 1);
	expect_no_open(k, ROW1 "/name", s, len);
	/* the high byte changed: id 258 is unknown */
	s[0] = 1;
	s[1] = 2;
	assert_int_equal(crypto_sealed_key_id(s, len), 258);
	expect_no_open(k, ROW1 "/name", s, len);
	/* id 0 is never a key */
	s[0] = 0;
	s[1] = 0;
	expect_no_open(k, ROW1 "/name", s, len);
	s[1] = 2;
	expect_open(k, ROW1 "/name", s, len, name_plain, n);
	free(s);
	crypto_keys_free(k);
}

static void
test_key_id_is_bound_even_with_equal_keys(void **state)
{
	/* the same key material under ids 1 and 2: only the associated data
	 * tells them apart, so the key id must be part of it */
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 2, 0x20);
	size_t n = strlen(name_plain), len = 0;
	unsigned char *s;

	(void)state;
	s = crypto_seal(k, ROW1 "/name", name_plain, n, &len);
	assert_int_equal(crypto_sealed_key_id(s, len), 2);
	expect_open(k, ROW1 "/name", s, len, name_plain, n);
	s[1] = 1;
	expect_no_open(k, ROW1 "/name", s, len);
	free(s);
	crypto_keys_free(k);
}

static void
test_open_fails_in_another_place(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	size_t n = strlen(name_plain), len = 0;
	unsigned char *s;

	(void)state;
	s = crypto_seal(k, ROW1 "/name", name_plain, n, &len);
	/* moving a ciphertext to another row */
	expect_no_open(k, ROW2 "/name", s, len);
	/* or to another field of the same row */
	expect_no_open(k, ROW1 "/notes", s, len);
	expect_no_open(k, ROW1 "/phone", s, len);
	/* the place must match exactly */
	expect_no_open(k, ROW1 "/name ", s, len);
	expect_no_open(k, ROW1 "/Name", s, len);
	expect_no_open(k, "", s, len);
	expect_no_open(k, "citizen/0b7e6f2c-4a3b-4c8d-9e1f-2a3b4c5d6e7f/name", s, len);
	expect_open(k, ROW1 "/name", s, len, name_plain, n);
	free(s);
	crypto_keys_free(k);
}

static void
test_open_fails_when_truncated(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	size_t n = strlen(name_plain), len = 0;
	unsigned char *s;

	(void)state;
	s = crypto_seal(k, ROW1 "/name", name_plain, n, &len);
	for (size_t cut = 0; cut < len; cut++)
		expect_no_open(k, ROW1 "/name", s, cut);
	/* shorter than the overhead: no key id either */
	assert_int_equal(crypto_sealed_key_id(s, CRYPTO_SEAL_OVERHEAD - 1), 0);
	assert_int_equal(crypto_sealed_key_id(s, 2), 0);
	assert_int_equal(crypto_sealed_key_id(s, 0), 0);
	assert_int_equal(crypto_sealed_key_id(s, CRYPTO_SEAL_OVERHEAD), 1);
	expect_no_open(k, ROW1 "/name", s, 0);
	free(s);
	crypto_keys_free(k);
}

static void
test_open_fails_with_unknown_key(void **state)
{
	struct crypto_keys *k5 = make_keys(0x10, 5, 0x20, 0, 0);
	struct crypto_keys *k1 = make_keys(0x10, 1, 0x20, 0, 0);
	struct crypto_keys *other = make_keys(0x10, 5, 0x21, 0, 0);
	size_t n = strlen(name_plain), len = 0;
	unsigned char *s;

	(void)state;
	s = crypto_seal(k5, ROW1 "/name", name_plain, n, &len);
	assert_int_equal(crypto_sealed_key_id(s, len), 5);
	/* key 5 is not in k1 (same key material under another id) */
	expect_no_open(k1, ROW1 "/name", s, len);
	/* id 5 with other key material */
	expect_no_open(other, ROW1 "/name", s, len);
	expect_open(k5, ROW1 "/name", s, len, name_plain, n);
	free(s);
	crypto_keys_free(k5);
	crypto_keys_free(k1);
	crypto_keys_free(other);
}

static void
test_rotation(void **state)
{
	struct crypto_keys *old = make_keys(0x10, 1, 0x20, 0, 0);
	struct crypto_keys *rotated = make_keys(0x10, 1, 0x20, 2, 0x30);
	size_t n = strlen(name_plain), len1 = 0, len2 = 0;
	unsigned char *s1, *s2;

	(void)state;
	assert_int_equal(crypto_active_key_id(old), 1);
	assert_int_equal(crypto_active_key_id(rotated), 2);
	s1 = crypto_seal(old, ROW1 "/name", name_plain, n, &len1);
	assert_int_equal(crypto_sealed_key_id(s1, len1), 1);
	/* the old value still opens after key 2 was added */
	expect_open(rotated, ROW1 "/name", s1, len1, name_plain, n);
	/* new values are sealed with key 2 */
	s2 = crypto_seal(rotated, ROW1 "/name", name_plain, n, &len2);
	assert_int_equal(crypto_sealed_key_id(s2, len2), 2);
	assert_int_equal(s2[0], 0);
	assert_int_equal(s2[1], 2);
	expect_open(rotated, ROW1 "/name", s2, len2, name_plain, n);
	/* which the old key set cannot open */
	expect_no_open(old, ROW1 "/name", s2, len2);
	/* the blind index and token hashes do not change with data keys */
	{
		unsigned char a[CRYPTO_HASH_BYTES], b[CRYPTO_HASH_BYTES];

		crypto_blind_index(old, "phone", "+4520304050", a);
		crypto_blind_index(rotated, "phone", "+4520304050", b);
		assert_memory_equal(a, b, sizeof(a));
		crypto_token_hash(old, "ks_abc", a);
		crypto_token_hash(rotated, "ks_abc", b);
		assert_memory_equal(a, b, sizeof(a));
	}
	free(s1);
	free(s2);
	crypto_keys_free(old);
	crypto_keys_free(rotated);
}

static void
test_seals_differ(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	size_t n = strlen(name_plain), len1 = 0, len2 = 0;
	unsigned char *s1, *s2;

	(void)state;
	s1 = crypto_seal(k, ROW1 "/name", name_plain, n, &len1);
	s2 = crypto_seal(k, ROW1 "/name", name_plain, n, &len2);
	assert_int_equal(len1, len2);
	/* same key id, different nonces, different ciphertexts */
	assert_memory_equal(s1, s2, 2);
	assert_memory_not_equal(s1 + 2, s2 + 2, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	assert_memory_not_equal(s1 + CRYPTO_SEAL_HEADER, s2 + CRYPTO_SEAL_HEADER,
	                        len1 - CRYPTO_SEAL_HEADER);
	expect_open(k, ROW1 "/name", s1, len1, name_plain, n);
	expect_open(k, ROW1 "/name", s2, len2, name_plain, n);
	free(s1);
	free(s2);
	crypto_keys_free(k);
}

/* ---- tokens and keyed hashes --------------------------------------------- */

static void
expect_token(const char *t, const char *prefix)
{
	size_t plen = strlen(prefix);

	assert_int_equal(strlen(t), plen + 43);
	assert_true(strlen(t) < CRYPTO_TOKEN_TEXT_MAX);
	assert_memory_equal(t, prefix, plen);
	for (const char *p = t + plen; *p; p++) {
		bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		          (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';

		if (!ok)
			fail_msg("token %s has '%c', not base64url", t, *p);
	}
}

static void
test_token_format(void **state)
{
	char a[CRYPTO_TOKEN_TEXT_MAX], b[CRYPTO_TOKEN_TEXT_MAX], c[CRYPTO_TOKEN_TEXT_MAX];

	(void)state;
	crypto_token_new("ks_", a, sizeof(a));
	crypto_token_new("ks_", b, sizeof(b));
	expect_token(a, "ks_");
	expect_token(b, "ks_");
	assert_string_not_equal(a, b);
	/* a 7-character prefix fits the buffer */
	crypto_token_new("kpk_abc", c, sizeof(c));
	expect_token(c, "kpk_abc");
	crypto_token_new("", c, sizeof(c));
	expect_token(c, "");
	/* 32 random bytes: no two of many tokens are equal */
	{
		char seen[64][CRYPTO_TOKEN_TEXT_MAX];

		for (int i = 0; i < 64; i++) {
			crypto_token_new("t_", seen[i], sizeof(seen[i]));
			expect_token(seen[i], "t_");
			for (int j = 0; j < i; j++)
				assert_string_not_equal(seen[i], seen[j]);
		}
	}
}

static void
test_token_hash(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	struct crypto_keys *k_same = make_keys(0x10, 7, 0x70, 0, 0);
	struct crypto_keys *other = make_keys(0x11, 1, 0x20, 0, 0);
	unsigned char h1[CRYPTO_HASH_BYTES], h2[CRYPTO_HASH_BYTES], h3[CRYPTO_HASH_BYTES];
	char t[CRYPTO_TOKEN_TEXT_MAX], t2[CRYPTO_TOKEN_TEXT_MAX];

	(void)state;
	crypto_token_new("ks_", t, sizeof(t));
	crypto_token_hash(k, t, h1);
	crypto_token_hash(k, t, h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_true(crypto_hash_equal(h1, h2));
	/* the same index key in another key file: the same hash */
	crypto_token_hash(k_same, t, h3);
	assert_true(crypto_hash_equal(h1, h3));
	/* another index key: another hash */
	crypto_token_hash(other, t, h3);
	assert_memory_not_equal(h1, h3, sizeof(h1));
	assert_false(crypto_hash_equal(h1, h3));
	/* another token: another hash */
	crypto_token_new("ks_", t2, sizeof(t2));
	crypto_token_hash(k, t2, h3);
	assert_false(crypto_hash_equal(h1, h3));
	/* one byte of difference is enough for crypto_hash_equal */
	memcpy(h3, h1, sizeof(h1));
	h3[CRYPTO_HASH_BYTES - 1] ^= 1;
	assert_false(crypto_hash_equal(h1, h3));
	/* a token hash is not a blind index of the same text */
	crypto_blind_index(k, "token", t, h3);
	assert_false(crypto_hash_equal(h1, h3));
	crypto_keys_free(k);
	crypto_keys_free(k_same);
	crypto_keys_free(other);
}

static void
test_blind_index(void **state)
{
	struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
	struct crypto_keys *other = make_keys(0x11, 1, 0x20, 0, 0);
	unsigned char a[CRYPTO_HASH_BYTES], b[CRYPTO_HASH_BYTES];

	(void)state;
	crypto_blind_index(k, "phone", "+4520304050", a);
	crypto_blind_index(k, "phone", "+4520304050", b);
	assert_true(crypto_hash_equal(a, b));
	/* another value */
	crypto_blind_index(k, "phone", "+4520304051", b);
	assert_false(crypto_hash_equal(a, b));
	/* another index key */
	crypto_blind_index(other, "phone", "+4520304050", b);
	assert_false(crypto_hash_equal(a, b));
	/* another kind with the same value */
	crypto_blind_index(k, "email", "+4520304050", b);
	assert_false(crypto_hash_equal(a, b));
	/* kind and value are separated: ("phone", "x") is not ("phon", "ex") */
	crypto_blind_index(k, "phone", "x", a);
	crypto_blind_index(k, "phon", "ex", b);
	assert_false(crypto_hash_equal(a, b));
	/* the hash is not the value */
	crypto_blind_index(k, "email", "anna@example.dk", a);
	assert_null(memmem(a, sizeof(a), "anna", 4));
	crypto_keys_free(k);
	crypto_keys_free(other);
}

/* ---- normalisation -------------------------------------------------------- */

static void
expect_email(const char *in, const char *want)
{
	char out[64];

	memset(out, 'x', sizeof(out));
	if (crypto_normalise_email(in, out, sizeof(out)) != 0)
		fail_msg("refused e-mail '%s'", in);
	assert_string_equal(out, want);
}

static void
test_normalise_email(void **state)
{
	char small[8];

	(void)state;
	expect_email("anna@example.dk", "anna@example.dk");
	expect_email("  Anna.Hansen@Example.DK \t\n", "anna.hansen@example.dk");
	expect_email("ANNA@EXAMPLE.DK", "anna@example.dk");
	/* inner spaces are not removed: only the ends are trimmed */
	expect_email(" a b@c.dk ", "a b@c.dk");
	assert_int_equal(crypto_normalise_email("", small, sizeof(small)), -1);
	assert_int_equal(crypto_normalise_email(" \t\n ", small, sizeof(small)), -1);
	/* 7 characters + NUL fit in 8, 8 do not */
	assert_int_equal(crypto_normalise_email(" A@B.DKX ", small, sizeof(small)), 0);
	assert_string_equal(small, "a@b.dkx");
	assert_int_equal(crypto_normalise_email("a@b.dkxy", small, sizeof(small)), -1);
}

static void
expect_phone(const char *in, const char *want)
{
	char out[32];

	memset(out, 'x', sizeof(out));
	if (crypto_normalise_phone(in, out, sizeof(out)) != 0)
		fail_msg("refused phone '%s'", in);
	if (strcmp(out, want) != 0)
		fail_msg("phone '%s': got %s, want %s", in, out, want);
}

static void
expect_bad_phone(const char *in)
{
	char out[32] = "";

	if (crypto_normalise_phone(in, out, sizeof(out)) != -1)
		fail_msg("accepted phone '%s' as %s", in, out);
}

static void
test_normalise_phone(void **state)
{
	char small[12];

	(void)state;
	/* Danish 8-digit numbers get +45 */
	expect_phone("20 30 40 50", "+4520304050");
	expect_phone("20304050", "+4520304050");
	expect_phone("2030-4050", "+4520304050");
	/* 0045 becomes +45 */
	expect_phone("0045 2030 4050", "+4520304050");
	expect_phone("004520304050", "+4520304050");
	/* + is kept */
	expect_phone("+45 20 30 40 50", "+4520304050");
	expect_phone("+46 70 123 45 67", "+46701234567");
	expect_phone("(+45) 20.30.40.50", "+4520304050");
	expect_phone("0046 70 123 45 67", "+46701234567");
	/* the country code written without + or 00 */
	expect_phone("45 20 30 40 50", "+4520304050");
	/* all formats of one number give one blind index */
	{
		struct crypto_keys *k = make_keys(0x10, 1, 0x20, 0, 0);
		const char *forms[] = {"20304050", "20 30 40 50", "+45 20 30 40 50",
		                       "0045 20304050"};
		unsigned char first[CRYPTO_HASH_BYTES], h[CRYPTO_HASH_BYTES];
		char norm[32];

		for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
			assert_int_equal(crypto_normalise_phone(forms[i], norm, sizeof(norm)), 0);
			crypto_blind_index(k, "phone", norm, i == 0 ? first : h);
			if (i > 0)
				assert_true(crypto_hash_equal(first, h));
		}
		crypto_keys_free(k);
	}
	/* too few digits */
	expect_bad_phone("1234567");
	expect_bad_phone("+45 12345");
	expect_bad_phone("0045 12345");
	/* a Danish number has eight digits after +45 */
	expect_bad_phone("+45 123456");
	expect_bad_phone("+45 20 30 40 50 6");
	expect_bad_phone("");
	expect_bad_phone("phone me");
	expect_bad_phone("+");
	/* too many digits for the working buffer */
	expect_bad_phone("1234567890123456789012345678901234567890");
	/* the output must fit: "+4520304050" is 11 characters + NUL */
	assert_int_equal(crypto_normalise_phone("20304050", small, sizeof(small)), 0);
	assert_string_equal(small, "+4520304050");
	assert_int_equal(crypto_normalise_phone("20304050", small, 11), -1);
	assert_int_equal(crypto_normalise_phone("+46701234567", small, 12), -1);
}

/* ---- passwords ---------------------------------------------------------- */

/* The argon2id hash of the test fixtures' password (interactive limits). */
static const char fixture_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$"
                                   "joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A";

static void
test_password_hash_verify(void **state)
{
	char h1[crypto_pwhash_STRBYTES], h2[crypto_pwhash_STRBYTES];

	(void)state;
	assert_int_equal(crypto_password_hash("correct horse battery", h1), 0);
	assert_memory_equal(h1, "$argon2id$", 10);
	assert_true(crypto_password_verify(h1, "correct horse battery"));
	assert_false(crypto_password_verify(h1, "correct horse batterY"));
	assert_false(crypto_password_verify(h1, "correct horse battery "));
	assert_false(crypto_password_verify(h1, ""));
	assert_false(crypto_password_needs_rehash(h1));
	/* a random salt: the same password hashes differently, both verify */
	assert_int_equal(crypto_password_hash("correct horse battery", h2), 0);
	assert_string_not_equal(h1, h2);
	assert_true(crypto_password_verify(h2, "correct horse battery"));
	/* a known hash */
	assert_true(crypto_password_verify(fixture_hash, "kompas-demo-2026"));
	assert_false(crypto_password_verify(fixture_hash, "kompas-demo-2025"));
	assert_false(crypto_password_needs_rehash(fixture_hash));
	/* garbage is never a match */
	assert_false(crypto_password_verify("not a hash", "not a hash"));
	assert_false(crypto_password_verify("", ""));
	assert_true(crypto_password_needs_rehash("not a hash"));
}

static void
test_password_needs_rehash(void **state)
{
	char weak[crypto_pwhash_STRBYTES];
	const char *pw = "s3cret-æøå";

	(void)state;
	assert_int_equal(crypto_pwhash_str(weak, pw, strlen(pw), crypto_pwhash_OPSLIMIT_MIN,
	                                   crypto_pwhash_MEMLIMIT_MIN),
	                 0);
	/* still valid, but made with other limits */
	assert_true(crypto_password_verify(weak, pw));
	assert_false(crypto_password_verify(weak, "s3cret-aeoa"));
	assert_true(crypto_password_needs_rehash(weak));
	/* interactive operations with less memory: the limits differ */
	assert_int_equal(crypto_pwhash_str(weak, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                                   crypto_pwhash_MEMLIMIT_MIN),
	                 0);
	assert_true(crypto_password_needs_rehash(weak));
}

/* ---- UUIDs ------------------------------------------------------------------ */

static void
test_uuid_v4(void **state)
{
	char prev[37] = "";

	(void)state;
	for (int n = 0; n < 200; n++) {
		char u[37];

		memset(u, 'x', sizeof(u));
		crypto_uuid_v4(u);
		assert_int_equal(strlen(u), 36);
		for (int i = 0; i < 36; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23) {
				assert_int_equal(u[i], '-');
				continue;
			}
			if (!((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f')))
				fail_msg("uuid %s: '%c' at %d is not lower-case hex", u, u[i], i);
		}
		/* version 4 */
		assert_int_equal(u[14], '4');
		/* variant 10xx: 8, 9, a or b */
		if (strchr("89ab", u[19]) == NULL)
			fail_msg("uuid %s: variant nibble '%c'", u, u[19]);
		assert_string_not_equal(u, prev);
		memcpy(prev, u, sizeof(u));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_valid_with_comments),
	    cmocka_unit_test(test_parse_single_data_key),
	    cmocka_unit_test(test_parse_missing_index),
	    cmocka_unit_test(test_parse_missing_data),
	    cmocka_unit_test(test_parse_bad_hex),
	    cmocka_unit_test(test_parse_wrong_length),
	    cmocka_unit_test(test_parse_duplicates),
	    cmocka_unit_test(test_parse_id_range),
	    cmocka_unit_test(test_parse_unknown_entry),
	    cmocka_unit_test(test_highest_id_is_active),
	    cmocka_unit_test(test_load_refuses_readable_file),
	    cmocka_unit_test(test_load_accepts_private_file),
	    cmocka_unit_test(test_load_errors_name_the_file),
	    cmocka_unit_test(test_seal_open_round_trip),
	    cmocka_unit_test(test_seal_empty_string),
	    cmocka_unit_test(test_seal_4000_bytes_utf8),
	    cmocka_unit_test(test_open_fails_on_any_flipped_bit),
	    cmocka_unit_test(test_open_fails_on_flipped_nonce_ciphertext_tag),
	    cmocka_unit_test(test_open_fails_on_changed_key_id),
	    cmocka_unit_test(test_key_id_is_bound_even_with_equal_keys),
	    cmocka_unit_test(test_open_fails_in_another_place),
	    cmocka_unit_test(test_open_fails_when_truncated),
	    cmocka_unit_test(test_open_fails_with_unknown_key),
	    cmocka_unit_test(test_rotation),
	    cmocka_unit_test(test_seals_differ),
	    cmocka_unit_test(test_token_format),
	    cmocka_unit_test(test_token_hash),
	    cmocka_unit_test(test_blind_index),
	    cmocka_unit_test(test_normalise_email),
	    cmocka_unit_test(test_normalise_phone),
	    cmocka_unit_test(test_password_hash_verify),
	    cmocka_unit_test(test_password_needs_rehash),
	    cmocka_unit_test(test_uuid_v4),
	};

	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
