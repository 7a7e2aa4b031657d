/* fuzz_csv.c - libFuzzer target: the CSV writer (lib/csv.c). The input is
 * split at NUL bytes into the fields of one record (C strings cannot hold
 * NUL; the statistics cells never do).
 *
 * Invariant checked: the record written parses back (RFC 4180, by the small
 * reader below) into exactly the same number of fields with the same bytes,
 * and ends at its CRLF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/csv.h"

#define MAX_FIELDS 64

/* Read one field at *pos of text (len bytes) into out; advance *pos past
 * it. Returns the byte after the field: ',' or '\r' (of the final CRLF), or
 * -1 when the text is not well-formed CSV. */
static int
read_field(const char *text, size_t len, size_t *pos, struct buf *out)
{
	size_t i = *pos;

	buf_reset(out);
	buf_append(out, "", 0);
	if (i < len && text[i] == '"') {
		for (i++;; i++) {
			if (i >= len)
				return -1;
			if (text[i] == '"') {
				if (i + 1 < len && text[i + 1] == '"') {
					buf_append(out, "\"", 1);
					i++;
					continue;
				}
				i++;
				break;
			}
			buf_append(out, text + i, 1);
		}
	} else {
		for (; i < len && text[i] != ',' && text[i] != '\r'; i++) {
			if (text[i] == '"' || text[i] == '\n')
				return -1;
			buf_append(out, text + i, 1);
		}
	}
	if (i >= len || (text[i] != ',' && text[i] != '\r'))
		return -1;
	*pos = i + 1;
	return text[i];
}

/* libFuzzer's entry point: one input, any bytes. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	const char *fields[MAX_FIELDS];
	size_t n = 0, pos = 0, k = 0;
	struct buf b, f;

	memcpy(in, data, size);
	in[size] = '\0';
	for (size_t i = 0; i <= size && n < MAX_FIELDS; i += strlen(in + i) + 1)
		fields[n++] = in + i;
	buf_init(&b);
	buf_init(&f);
	csv_record(&b, fields, n);
	for (;;) {
		int end = read_field(b.data, b.len, &pos, &f);

		if (end < 0 || k >= n || strcmp(f.data, fields[k]) != 0)
			abort();
		k++;
		if (end == '\r')
			break;
	}
	if (k != n || pos + 1 != b.len || b.data[pos] != '\n')
		abort();
	buf_cleanup(&b);
	buf_cleanup(&f);
	free(in);
	return 0;
}
