/* text_cursor.c - "<base64url(text)>.<uuid>" list cursors (text_cursor.h). */
#include "text_cursor.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../lib/http.h"
#include "../lib/mem.h"
#include "../lib/problem.h"
#include "../lib/spec.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

bool
text_cursor_encode(const char *text, const char *id, char *out, size_t outlen)
{
	size_t n = strlen(text), b64 = sodium_base64_ENCODED_LEN(n, B64);

	if (strlen(id) != 36 || b64 + 37 > outlen)
		return false;
	sodium_bin2base64(out, b64, (const unsigned char *)text, n, B64);
	strcat(out, ".");
	strcat(out, id);
	return true;
}

char *
text_cursor_decode(const char *cursor, char id[37])
{
	const char *dot = strrchr(cursor, '.');
	size_t enc, len = 0;
	char *text;

	if (dot == NULL || strlen(dot + 1) != 36 || !spec_format_ok(SPEC_FMT_UUID, dot + 1))
		return NULL;
	enc = (size_t)(dot - cursor);
	text = xmalloc(enc + 1);
	if (sodium_base642bin((unsigned char *)text, enc, cursor, enc, NULL, &len, NULL, B64) !=
	        0 ||
	    memchr(text, '\0', len) != NULL) {
		free(text);
		return NULL;
	}
	text[len] = '\0';
	memcpy(id, dot + 1, 37);
	return text;
}

void
text_cursor_reply_invalid(struct http_request *rq)
{
	json_t *p =
	    problem_new(ERR_VALIDATION_FAILED, "The query parameters are invalid.", rq->request_id);

	problem_add_field_error(p, "cursor", ERR_FIELD_FORMAT, "must be a cursor from a next link");
	http_reply_problem_json(rq, p);
}
