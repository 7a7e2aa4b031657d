/* csv.h - writing CSV (RFC 4180) into a buffer.
 *
 * Fields are quoted only when needed (a comma, a double quote, CR or LF in
 * them), quotes inside are doubled; records end with CRLF. Bytes are copied
 * as they are (the caller supplies UTF-8). */
#ifndef KOMPAS_CSV_H
#define KOMPAS_CSV_H

#include <stddef.h>

#include "buf.h"

/* Append the NUL-terminated s to b as one CSV field (no separator). A field
 * that holds ',', '"', CR or LF is written in double quotes with each '"'
 * doubled; any other field is written verbatim. Cannot fail. */
void csv_field(struct buf *b, const char *s);

/* Append one record of n fields (NULL counts as the empty field), separated
 * by commas and ended by CRLF. Cannot fail. */
void csv_record(struct buf *b, const char *const *fields, size_t n);

#endif
