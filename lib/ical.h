/* ical.h - writing iCalendar (RFC 5545) content lines and events.
 *
 * TEXT values are escaped (backslash, semicolon, comma; line breaks as \n;
 * other control characters dropped), every content line is folded so that
 * no physical line is longer than 75 octets without splitting a UTF-8
 * sequence, and every line ends with CRLF. */
#ifndef KOMPAS_ICAL_H
#define KOMPAS_ICAL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* One VEVENT. NULL string fields are left out as described. */
struct ical_event {
	const char *uid;          /* written as "UID:<uid escaped>@kompas" */
	const char *stamp;        /* DTSTAMP value, e.g. 20260101T120000Z */
	const char *starts;       /* DTSTART value: YYYYMMDDTHHMMSS, or YYYYMMDD when all_day */
	const char *ends;         /* DTEND value, likewise */
	bool all_day;             /* VALUE=DATE instead of TZID=Europe/Copenhagen */
	const char *summary;      /* SUMMARY (required) */
	const char *description;  /* DESCRIPTION part one, or NULL */
	const char *description2; /* DESCRIPTION part two after a blank line, or NULL */
	const char *location;     /* LOCATION part one, or NULL */
	const char *location2;    /* LOCATION part two after ", ", or NULL */
	const char *url;          /* URL (a URI: written unescaped), or NULL */
	const char *const *categories; /* CATEGORIES, ncategories values */
	size_t ncategories;
	bool transp;    /* write TRANSP (TRANSPARENT when all_day, else OPAQUE) */
	bool cancelled; /* STATUS:CANCELLED instead of STATUS:CONFIRMED */
};

/* Append s (NUL-terminated) to b as an iCalendar TEXT value: '\\', ';' and
 * ',' escaped with a backslash, CRLF, lone CR and LF as "\n", other control
 * characters (below 0x20, and 0x7F) dropped; other bytes copied. Cannot
 * fail. */
void ical_text(struct buf *b, const char *s);

/* Append the content line of len bytes (without its line break) to out,
 * folded: physical lines of at most 75 octets, continuations starting with
 * one space, each ended by CRLF. A cut never lands inside a UTF-8 sequence
 * (it moves back up to three octets); bytes that are not UTF-8 are cut at
 * the limit. Cannot fail. */
void ical_fold(struct buf *out, const char *line, size_t len);

/* Append the VEVENT e to out, from BEGIN:VEVENT to END:VEVENT. line is
 * scratch space (left empty). The uid, stamp, starts, ends and summary of
 * e must not be NULL. Cannot fail. */
void ical_event(struct buf *out, struct buf *line, const struct ical_event *e);

#endif
