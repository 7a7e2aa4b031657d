/* fuzz_ical.c - libFuzzer target: the iCalendar writer (lib/ical.c). The
 * input's first byte holds flags, the rest is split at NUL bytes into the
 * text fields of one event (summary, description, association, address,
 * postal code, place, a URL, then categories). The URL is used only when it
 * passes the check the API applies on the way in (SPEC_FMT_URL).
 *
 * Invariants checked: every physical line ends with CRLF and has at most 75
 * octets before it; no other CR or LF; no control characters; continuation
 * lines start with a space; unfolded, the SUMMARY value unescapes to the
 * summary with control characters dropped and line breaks as LF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/ical.h"
#include "../../lib/spec.h"

#define MAX_PARTS 16

static void
check_lines(const struct buf *out)
{
	size_t start = 0;

	if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		abort();
	for (size_t i = 0; i < out->len; i++) {
		unsigned char c = (unsigned char)out->data[i];

		if (c == '\r') {
			if (i + 1 >= out->len || out->data[i + 1] != '\n' || i - start > 75)
				abort();
			i++;
			start = i + 1;
		} else if (c == '\n' || c < 0x20 || c == 0x7f) {
			abort();
		}
	}
}

/* The unfolded value of the first line starting with name, unescaped. */
static void
unfolded_value(const struct buf *out, const char *name, struct buf *val)
{
	const char *p = strstr(out->data, name);
	struct buf raw;

	if (p == NULL)
		abort();
	buf_init(&raw);
	buf_append(&raw, "", 0);
	for (p += strlen(name); !(p[0] == '\r' && p[1] == '\n' && p[2] != ' '); p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ')
			p += 2;
		else
			buf_append(&raw, p, 1);
	}
	buf_reset(val);
	buf_append(val, "", 0);
	for (const char *q = raw.data; *q; q++) {
		if (*q == '\\') {
			q++;
			if (*q == '\0' || strchr("\\;,n", *q) == NULL)
				abort(); /* only these escapes are written */
			buf_append(val, *q == 'n' ? "\n" : q, 1);
			continue;
		}
		if (*q == ';' || *q == ',')
			abort(); /* unescaped TEXT separator */
		buf_append(val, q, 1);
	}
	buf_cleanup(&raw);
}

/* What SUMMARY should hold: control characters gone, CR LF / CR as LF. */
static void
expected_text(const char *s, struct buf *want)
{
	buf_reset(want);
	buf_append(want, "", 0);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\r') {
			buf_append(want, "\n", 1);
			if (s[1] == '\n')
				s++;
		} else if (c == '\n' || (c >= 0x20 && c != 0x7f)) {
			buf_append(want, s, 1);
		}
	}
}

/* libFuzzer's entry point: one input, any bytes. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[MAX_PARTS];
	size_t n = 0;
	unsigned flags;
	char *in;
	struct ical_event e;
	struct buf out, line, got, want;

	if (size < 1)
		return 0;
	flags = data[0];
	in = malloc(size);
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	for (size_t i = 0; i < size && n < MAX_PARTS; i += strlen(in + i) + 1)
		part[n++] = in + i;
	for (size_t i = n; i < MAX_PARTS; i++)
		part[i] = NULL;
	memset(&e, 0, sizeof(e));
	e.uid = "0b6f3c7e-2d4a-4c1e-9b8a-1f2e3d4c5b6a";
	e.stamp = "20260101T120000Z";
	e.all_day = (flags & 1) != 0;
	e.starts = e.all_day ? "20260102" : "20260102T100000";
	e.ends = e.all_day ? "20260103" : "20260102T120000";
	e.transp = (flags & 2) != 0;
	e.cancelled = (flags & 4) != 0;
	e.summary = part[0];
	e.description = part[1];
	e.description2 = part[2];
	e.location = (flags & 8) ? part[5] : part[3];
	e.location2 = (flags & 8) ? NULL : part[4];
	e.url = part[6] != NULL && spec_format_ok(SPEC_FMT_URL, part[6]) ? part[6] : NULL;
	e.categories = n > 7 ? part + 7 : NULL;
	e.ncategories = n > 7 ? n - 7 : 0;
	if ((flags & 16) != 0)
		e.uid = part[0]; /* the guide feed's UIDs are escaped text */
	buf_init(&out);
	buf_init(&line);
	buf_init(&got);
	buf_init(&want);
	ical_event(&out, &line, &e);
	if (line.len != 0 || strncmp(out.data, "BEGIN:VEVENT\r\n", 14) != 0 || out.len < 12 ||
	    strcmp(out.data + out.len - 12, "END:VEVENT\r\n") != 0)
		abort();
	check_lines(&out);
	unfolded_value(&out, "\r\nSUMMARY:", &got);
	expected_text(e.summary, &want);
	if (strcmp(got.data, want.data) != 0)
		abort();
	buf_cleanup(&out);
	buf_cleanup(&line);
	buf_cleanup(&got);
	buf_cleanup(&want);
	free(in);
	return 0;
}
