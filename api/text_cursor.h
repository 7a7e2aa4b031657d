/* text_cursor.h - list cursors for keysets ordered by text (a name) and an
 * id: "<base64url of the text>.<uuid>". Opaque to clients, who take them
 * from the next link; any text fits (the name may hold '_', '/', spaces).
 * A list declares one as its struct list_cursor (lib/list.h):
 *
 *   static const struct list_cursor things_cursor = TEXT_CURSOR("name", "id");
 *
 * columns: the texts (more than one joined by '/', as "kind/name_da"), the
 * id last; decoded, the cursor's parts are those columns' values in order
 * (LIST_CURSOR(0), ...). */
#ifndef KOMPAS_TEXT_CURSOR_H
#define KOMPAS_TEXT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "../lib/list.h"

/* Longest cursor made for a text of at most 1000 bytes. */
#define TEXT_CURSOR_MAX LIST_CURSOR_MAX

/* list_cursor flags: refuse a cursor whose text is empty (a text that is
 * not UTF-8 is refused by every text cursor). */
#define TEXT_CURSOR_STRICT 1u

/* list_cursor encode hook: the cursor of row's columns (c->columns). */
bool text_cursor_encode_row(const struct list_cursor *c, const PGresult *res, int row, char *out,
                            size_t outlen);

/* list_cursor decode hook: the parts of cursor, one per column of c
 * (the text split at its first '/'s, the id last); false when cursor is not
 * one of ours (no '.', a malformed uuid or base64, a text that is not
 * UTF-8 or holds a NUL, too few '/', and with TEXT_CURSOR_STRICT an empty
 * text). */
bool text_cursor_decode_parts(const struct list_cursor *c, const char *cursor,
                              struct list_cursor_parts *parts);

/* A text cursor of the given columns (the id last) whose malformed value is
 * answered "The query parameters are invalid." / "must be a cursor from a
 * next link". */
#define TEXT_CURSOR(...)                                                                           \
	{                                                                                          \
		.encode = text_cursor_encode_row, .decode = text_cursor_decode_parts,              \
		.columns = {__VA_ARGS__}, .detail = "The query parameters are invalid.",           \
		.message = "must be a cursor from a next link"                                     \
	}

#endif
