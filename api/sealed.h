/* sealed.h - opening and sealing one field of personal data with the
 * server's keys (app.keys), bound to its place "<table>/<row id>/<field>"
 * (docs/conventions.md, Data). */
#ifndef KOMPAS_SEALED_H
#define KOMPAS_SEALED_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

/* The sealed bytea column `column` of row `row` of res, opened as bound to
 * place: a new JSON string, or JSON null when the column is SQL NULL (or
 * the plaintext is not UTF-8). Returns NULL when the value does not open
 * (tampered with, moved to another place, or sealed with an unknown key):
 * the caller logs which row and answers 500. Plaintext copies are wiped.
 * Aborts (logged, lib/row.h) when res has no such column. */
json_t *sealed_json(const PGresult *res, int row, const char *column, const char *place);

/* plain (len bytes) sealed bound to place, as a bytea parameter in text
 * format (db_bytea_param). Returns a new string (caller frees). */
char *sealed_param(const char *place, const char *plain, size_t len);

#endif
