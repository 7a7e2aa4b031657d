/* text_cursor.h - list cursors for keysets ordered by text (a name) and an
 * id: "<base64url of the text>.<uuid>". Opaque to clients, who take them
 * from the next link; any text fits (the name may hold '_', '/', spaces). */
#ifndef KOMPAS_TEXT_CURSOR_H
#define KOMPAS_TEXT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

struct http_request;

/* Longest cursor made for a text of at most 1000 bytes. */
#define TEXT_CURSOR_MAX 1400

/* Write the cursor for (text, id) into out (TEXT_CURSOR_MAX bytes). Returns
 * false when it does not fit. */
bool text_cursor_encode(const char *text, const char *id, char *out, size_t outlen);

/* Split a cursor into its text (a new string, caller frees) and id (37
 * bytes). Returns NULL when cursor is not one of ours. */
char *text_cursor_decode(const char *cursor, char id[37]);

/* Answer 422 validation_failed for a malformed "cursor" parameter. */
void text_cursor_reply_invalid(struct http_request *rq);

#endif
