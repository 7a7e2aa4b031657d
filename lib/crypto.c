/* crypto.c - keys, tokens, blind indexes, sealing and passwords. */
#include "crypto.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "mem.h"

#define KEY_BYTES 32

struct data_key {
	unsigned id;
	unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
};

struct crypto_keys {
	unsigned char index_key[crypto_generichash_KEYBYTES];
	bool have_index;
	struct data_key data[CRYPTO_MAX_DATA_KEYS];
	size_t ndata;
	size_t active; /* position in data[] of the highest id */
};

/* Allocate keys in guarded, locked memory (not swapped, wiped on free). */
static struct crypto_keys *
keys_alloc(void)
{
	struct crypto_keys *k = sodium_malloc(sizeof(*k));

	if (k == NULL)
		abort();
	memset(k, 0, sizeof(*k));
	return k;
}

void
crypto_keys_free(struct crypto_keys *keys)
{
	if (keys != NULL)
		sodium_free(keys);
}

static int
parse_hex_key(const char *hex, unsigned char out[KEY_BYTES])
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (strlen(hex) != 2 * KEY_BYTES)
		return -1;
	if (sodium_hex2bin(out, KEY_BYTES, hex, 2 * KEY_BYTES, NULL, &bin_len, &end) != 0 ||
	    bin_len != KEY_BYTES || *end != '\0')
		return -1;
	return 0;
}

int
crypto_keys_parse(const char *text, struct crypto_keys **out, char *err, size_t errlen)
{
	struct crypto_keys *k = keys_alloc();
	const char *p = text;
	unsigned lineno = 0;

	while (*p != '\0') {
		char line[256], word[16], hex[160];
		size_t len = strcspn(p, "\n");
		unsigned id = 0;
		char *s;
		int n;

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "line %u: too long", lineno);
			goto fail;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (p[len] == '\n');
		for (s = line; isspace((unsigned char)*s); s++)
			;
		if (*s == '\0' || *s == '#')
			continue;
		if (sscanf(s, "%15s", word) != 1)
			continue;
		if (strcmp(word, "index") == 0) {
			n = sscanf(s, "%15s %159s", word, hex);
			if (n != 2 || k->have_index || parse_hex_key(hex, k->index_key) != 0) {
				snprintf(err, errlen,
				         "line %u: expected one 'index <64 hex digits>' line",
				         lineno);
				goto fail;
			}
			k->have_index = true;
		} else if (strcmp(word, "data") == 0) {
			n = sscanf(s, "%15s %u %159s", word, &id, hex);
			if (n != 3 || id < 1 || id > 65535 || k->ndata == CRYPTO_MAX_DATA_KEYS ||
			    parse_hex_key(hex, k->data[k->ndata].key) != 0) {
				snprintf(err, errlen,
				         "line %u: expected 'data <id 1-65535> <64 hex digits>'",
				         lineno);
				goto fail;
			}
			for (size_t i = 0; i < k->ndata; i++) {
				if (k->data[i].id == id) {
					snprintf(err, errlen, "line %u: data key %u appears twice",
					         lineno, id);
					goto fail;
				}
			}
			k->data[k->ndata].id = id;
			if (k->ndata == 0 || id > k->data[k->active].id)
				k->active = k->ndata;
			k->ndata++;
		} else {
			snprintf(err, errlen, "line %u: unknown entry '%s'", lineno, word);
			goto fail;
		}
	}
	if (!k->have_index || k->ndata == 0) {
		snprintf(err, errlen, "needs an 'index' key and at least one 'data' key");
		goto fail;
	}
	*out = k;
	return 0;
fail:
	crypto_keys_free(k);
	return -1;
}

int
crypto_keys_load(const char *path, struct crypto_keys **out, char *err, size_t errlen)
{
	char reason[200];
	struct stat st;
	struct buf b;
	char chunk[1024];
	size_t n;
	FILE *f;
	int rc;

	memset(&st, 0, sizeof(st));
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen,
		         "%s: group or others may read the key file (mode %04o); chmod 600 it (and "
		         "keep it out of backups readable by others)",
		         path, (unsigned)(st.st_mode & 07777));
		fclose(f);
		return -1;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < 65536)
		buf_append(&b, chunk, n);
	fclose(f);
	rc = crypto_keys_parse(b.data ? b.data : "", out, reason, sizeof(reason));
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, reason);
	sodium_memzero(chunk, sizeof(chunk));
	if (b.data != NULL)
		sodium_memzero(b.data, b.cap);
	buf_cleanup(&b);
	return rc;
}

unsigned
crypto_active_key_id(const struct crypto_keys *keys)
{
	return keys->data[keys->active].id;
}

void
crypto_token_new(const char *prefix, char *out, size_t outlen)
{
	unsigned char rnd[CRYPTO_TOKEN_BYTES];
	char enc[64];
	size_t plen = strnlen(prefix, 7);

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(enc, sizeof(enc), rnd, sizeof(rnd),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, outlen, "%.*s%s", (int)plen, prefix, enc);
	sodium_memzero(rnd, sizeof(rnd));
}

void
crypto_token_hash(const struct crypto_keys *keys, const char *token,
                  unsigned char out[CRYPTO_HASH_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, keys->index_key, sizeof(keys->index_key), CRYPTO_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)"token\0", 6);
	crypto_generichash_update(&st, (const unsigned char *)token, strlen(token));
	crypto_generichash_final(&st, out, CRYPTO_HASH_BYTES);
}

void
crypto_blind_index(const struct crypto_keys *keys, const char *kind, const char *normalised,
                   unsigned char out[CRYPTO_HASH_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, keys->index_key, sizeof(keys->index_key), CRYPTO_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)"blind\0", 6);
	crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
	crypto_generichash_update(&st, (const unsigned char *)normalised, strlen(normalised));
	crypto_generichash_final(&st, out, CRYPTO_HASH_BYTES);
}

int
crypto_normalise_email(const char *in, char *out, size_t outlen)
{
	size_t len, j = 0;

	while (isspace((unsigned char)*in))
		in++;
	len = strlen(in);
	while (len > 0 && isspace((unsigned char)in[len - 1]))
		len--;
	if (len == 0 || len >= outlen)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[j++] = (char)tolower((unsigned char)in[i]);
	out[j] = '\0';
	return 0;
}

int
crypto_normalise_phone(const char *in, char *out, size_t outlen)
{
	char digits[32];
	const char *d = digits;
	size_t n = 0;
	bool plus = false;

	for (const char *p = in; *p; p++) {
		if (*p == '+' && n == 0 && !plus)
			plus = true;
		else if (isdigit((unsigned char)*p)) {
			if (n + 1 >= sizeof(digits))
				return -1;
			digits[n++] = *p;
		}
	}
	digits[n] = '\0';
	if (!plus && n > 2 && strncmp(d, "00", 2) == 0) {
		d += 2;
		n -= 2;
		plus = true;
	}
	if (!plus && n == 10 && strncmp(d, "45", 2) == 0) {
		/* "45 20 30 40 50": the country code without + or 00 */
		d += 2;
		n -= 2;
	}
	if (n < 8)
		return -1;
	if (plus && strncmp(d, "45", 2) == 0 && n != 10)
		return -1; /* Danish numbers have eight digits */
	if ((size_t)snprintf(out, outlen, "%s%s", plus ? "+" : (n == 8 ? "+45" : ""), d) >= outlen)
		return -1;
	return 0;
}

/* Associated data: the place and the key id, so neither can be swapped. */
static void
make_ad(struct buf *b, const char *ad, unsigned key_id)
{
	buf_init(b);
	buf_appendf(b, "kompas-v1/%u/%s", key_id, ad);
}

unsigned char *
crypto_seal(const struct crypto_keys *keys, const char *ad, const void *pt, size_t len,
            size_t *outlen)
{
	const struct data_key *dk = &keys->data[keys->active];
	unsigned char *out = xmalloc(len + CRYPTO_SEAL_OVERHEAD);
	unsigned long long clen = 0;
	struct buf a;

	out[0] = (unsigned char)(dk->id >> 8);
	out[1] = (unsigned char)(dk->id & 0xff);
	randombytes_buf(out + 2, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	make_ad(&a, ad, dk->id);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + CRYPTO_SEAL_HEADER, &clen, pt, len,
	                                           (const unsigned char *)a.data, a.len, NULL,
	                                           out + 2, dk->key);
	buf_cleanup(&a);
	*outlen = CRYPTO_SEAL_HEADER + (size_t)clen;
	return out;
}

unsigned
crypto_sealed_key_id(const void *sealed, size_t len)
{
	const unsigned char *s = sealed;

	if (len < CRYPTO_SEAL_OVERHEAD)
		return 0;
	return ((unsigned)s[0] << 8) | s[1];
}

unsigned char *
crypto_open(const struct crypto_keys *keys, const char *ad, const void *sealed, size_t len,
            size_t *outlen)
{
	const unsigned char *s = sealed;
	unsigned id = crypto_sealed_key_id(sealed, len);
	const struct data_key *dk = NULL;
	unsigned long long plen = 0;
	unsigned char *out;
	struct buf a;
	int rc;

	for (size_t i = 0; id != 0 && i < keys->ndata; i++)
		if (keys->data[i].id == id)
			dk = &keys->data[i];
	if (dk == NULL)
		return NULL;
	out = xmalloc(len - CRYPTO_SEAL_OVERHEAD + 1);
	make_ad(&a, ad, id);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
	    out, &plen, NULL, s + CRYPTO_SEAL_HEADER, len - CRYPTO_SEAL_HEADER,
	    (const unsigned char *)a.data, a.len, s + 2, dk->key);
	buf_cleanup(&a);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	out[plen] = '\0';
	*outlen = (size_t)plen;
	return out;
}

int
crypto_password_hash(const char *password, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str(out, password, strlen(password),
	                         crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                         crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
	           ? 0
	           : -1;
}

bool
crypto_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool
crypto_password_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

bool
crypto_hash_equal(const unsigned char a[CRYPTO_HASH_BYTES],
                  const unsigned char b[CRYPTO_HASH_BYTES])
{
	return sodium_memcmp(a, b, CRYPTO_HASH_BYTES) == 0;
}

void
crypto_uuid_v4(char out[37])
{
	unsigned char b[16];
	char hex[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	sodium_bin2hex(hex, sizeof(hex), b, sizeof(b));
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}
