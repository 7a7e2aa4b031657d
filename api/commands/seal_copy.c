/* seal_copy.c - `kompasd seal-requests`: seal citizens' contact details for
 * a bulk load, as a filter between two COPY streams.
 *
 * Personal fields are sealed in C with the data key of the key file and
 * bound to their row and field (lib/crypto.h), so SQL alone cannot make
 * them. A bulk load (the benchmark's national dataset, an import from
 * another system) writes the plain values in PostgreSQL's COPY text format,
 *
 *   id <TAB> name <TAB> phone <TAB> email <TAB> address <TAB> notes
 *
 * (\N for absent values), pipes them through this command, and copies its
 * output into a staging table:
 *
 *   id <TAB> name_sealed <TAB> phone_sealed <TAB> email_sealed <TAB>
 *   address_sealed <TAB> notes_sealed <TAB> phone_bidx <TAB> email_bidx
 *
 * (bytea as \\x<hex>). The sealed values and blind indexes are exactly what
 * POST /v1/requests stores for the same row id and values. Nothing is
 * written to the database here and no value is logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/spec.h"
#include "../app.h"

#define NFIELDS 5
static const char *const fields[NFIELDS] = {"name", "phone", "email", "address", "notes"};

/* Undo COPY text escaping of one field in place (\t, \n, \\ and the other
 * single-letter escapes; other backslashes are kept as they are). Returns
 * false for the NULL marker \N. */
static bool
copy_unescape(char *s)
{
	char *w = s;

	if (strcmp(s, "\\N") == 0)
		return false;
	for (char *r = s; *r; r++) {
		if (*r != '\\' || r[1] == '\0') {
			*w++ = *r;
			continue;
		}
		r++;
		switch (*r) {
		case 't':
			*w++ = '\t';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'v':
			*w++ = '\v';
			break;
		default:
			*w++ = *r;
			break;
		}
	}
	*w = '\0';
	return true;
}

/* Write bytes as a COPY text bytea value (\\x followed by hex). */
static void
put_bytea(FILE *out, const unsigned char *b, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	fputs("\\\\x", out);
	for (size_t i = 0; i < len; i++) {
		fputc(hex[b[i] >> 4], out);
		fputc(hex[b[i] & 15], out);
	}
}

static void
put_blind(FILE *out, const struct crypto_keys *keys, const char *kind, const char *norm)
{
	unsigned char h[CRYPTO_HASH_BYTES];

	fputc('\t', out);
	if (norm == NULL) {
		fputs("\\N", out);
		return;
	}
	crypto_blind_index(keys, kind, norm, h);
	put_bytea(out, h, sizeof(h));
}

/* One input line (without its newline) to one output line. Returns 0, or
 * -1 with the reason printed (the line number, never a value). */
static int
seal_line(const struct crypto_keys *keys, char *line, unsigned long lineno, FILE *out)
{
	char *col[1 + NFIELDS], *rest = line, place[96], phone[64], email[300];
	const char *pnorm = NULL, *enorm = NULL;
	int n = 0;

	/* strsep keeps empty fields (strtok would merge two tabs) */
	while (rest != NULL && n <= NFIELDS)
		col[n++] = strsep(&rest, "\t");
	if (n != 1 + NFIELDS || rest != NULL || !spec_format_ok(SPEC_FMT_UUID, col[0])) {
		fprintf(stderr, "kompasd: line %lu: expected a request id and %d fields\n", lineno,
		        NFIELDS);
		return -1;
	}
	fputs(col[0], out);
	for (int i = 0; i < NFIELDS; i++) {
		char *v = col[1 + i];
		unsigned char *sealed;
		size_t len;

		fputc('\t', out);
		if (!copy_unescape(v)) {
			fputs("\\N", out);
			continue;
		}
		if (i == 1) {
			if (crypto_normalise_phone(v, phone, sizeof(phone)) != 0) {
				fprintf(stderr, "kompasd: line %lu: the phone number is not one\n",
				        lineno);
				return -1;
			}
			pnorm = phone;
		}
		if (i == 2 && crypto_normalise_email(v, email, sizeof(email)) == 0)
			enorm = email;
		snprintf(place, sizeof(place), "request/%s/%s", col[0], fields[i]);
		sealed = crypto_seal(keys, place, v, strlen(v), &len);
		put_bytea(out, sealed, len);
		free(sealed);
		sodium_memzero(v, strlen(v));
	}
	put_blind(out, keys, "phone", pnorm);
	put_blind(out, keys, "email", enorm);
	fputc('\n', out);
	return 0;
}

int
cmd_seal_requests(const struct config *cfg, FILE *in, FILE *out)
{
	struct crypto_keys *keys = NULL;
	char err[512], *line = NULL;
	unsigned long lineno = 0;
	size_t cap = 0;
	ssize_t len;
	int rc = 1;

	if (crypto_keys_load(cfg->key_file, &keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "kompasd: key file refused: %s\n", err);
		return 1;
	}
	while ((len = getline(&line, &cap, in)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (seal_line(keys, line, lineno, out) != 0)
			goto out;
	}
	if (ferror(in) || fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "kompasd: seal-requests: read or write error\n");
		goto out;
	}
	rc = 0;
out:
	if (line != NULL) {
		sodium_memzero(line, cap);
		free(line);
	}
	crypto_keys_free(keys);
	return rc;
}
