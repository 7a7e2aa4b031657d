/* ical.c - writing iCalendar (RFC 5545). */
#include "ical.h"

void
ical_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' || c == ';' || c == ',') {
			char esc[2] = {'\\', (char)c};

			buf_append(b, esc, 2);
		} else if (c == '\r') {
			buf_append_str(b, "\\n");
			if (s[1] == '\n')
				s++;
		} else if (c == '\n') {
			buf_append_str(b, "\\n");
		} else if (c >= 0x20 && c != 0x7f) {
			buf_append(b, s, 1);
		}
	}
}

static bool
is_continuation(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

void
ical_fold(struct buf *out, const char *line, size_t len)
{
	size_t pos = 0, room = 75;

	while (len - pos > room) {
		size_t cut = pos + room, back = 0;

		/* Move the cut before the lead byte of a UTF-8 sequence (at
		 * most three continuation bytes). More continuation bytes are
		 * not UTF-8: cut at the limit then, rather than walking back
		 * into the property name or, with nothing else, forever. */
		while (back < 3 && is_continuation(line[cut - back]))
			back++;
		if (!is_continuation(line[cut - back]))
			cut -= back;
		buf_append(out, line + pos, cut - pos);
		buf_append_str(out, "\r\n ");
		pos = cut;
		room = 74;
	}
	buf_append(out, line + pos, len - pos);
	buf_append_str(out, "\r\n");
}

/* Write the content line in line (reset afterwards) folded to out. */
static void
flush(struct buf *out, struct buf *line)
{
	ical_fold(out, line->data != NULL ? line->data : "", line->len);
	buf_reset(line);
}

static void
joined(struct buf *out, struct buf *line, const char *name, const char *a, const char *b,
       const char *sep)
{
	if (a == NULL && b == NULL)
		return;
	buf_append_str(line, name);
	if (a != NULL)
		ical_text(line, a);
	if (b != NULL) {
		if (a != NULL)
			buf_append_str(line, sep);
		ical_text(line, b);
	}
	flush(out, line);
}

void
ical_event(struct buf *out, struct buf *line, const struct ical_event *e)
{
	buf_append_str(out, "BEGIN:VEVENT\r\n");
	buf_append_str(line, "UID:");
	ical_text(line, e->uid);
	buf_append_str(line, "@kompas");
	flush(out, line);
	buf_appendf(line, "DTSTAMP:%s", e->stamp);
	flush(out, line);
	buf_appendf(line,
	            e->all_day ? "DTSTART;VALUE=DATE:%s" : "DTSTART;TZID=Europe/Copenhagen:%s",
	            e->starts);
	flush(out, line);
	buf_appendf(line, e->all_day ? "DTEND;VALUE=DATE:%s" : "DTEND;TZID=Europe/Copenhagen:%s",
	            e->ends);
	flush(out, line);
	buf_append_str(line, "SUMMARY:");
	ical_text(line, e->summary);
	flush(out, line);
	joined(out, line, "DESCRIPTION:", e->description, e->description2, "\\n\\n");
	joined(out, line, "LOCATION:", e->location, e->location2, "\\, ");
	if (e->url != NULL) {
		buf_append_str(line, "URL:");
		buf_append_str(line, e->url);
		flush(out, line);
	}
	if (e->ncategories > 0) {
		buf_append_str(line, "CATEGORIES:");
		for (size_t i = 0; i < e->ncategories; i++) {
			if (i > 0)
				buf_append_str(line, ",");
			ical_text(line, e->categories[i] != NULL ? e->categories[i] : "");
		}
		flush(out, line);
	}
	if (e->transp)
		buf_append_str(out, e->all_day ? "TRANSP:TRANSPARENT\r\n" : "TRANSP:OPAQUE\r\n");
	buf_append_str(out, e->cancelled ? "STATUS:CANCELLED\r\n" : "STATUS:CONFIRMED\r\n");
	buf_append_str(out, "END:VEVENT\r\n");
}
