/* sql_format.h - the SQL that formats a column as the API answers it,
 * defined once for every statement in api/.
 *
 * Each macro takes a column (or expression) as a string literal and expands
 * to a string literal, so statements stay compile-time constants:
 *   TS(col)   RFC 3339 UTC timestamp to the second, e.g. 2026-12-07T10:57:47Z
 *   TSUS(col) the same to the microsecond: a keyset cursor's time, which must
 *             order exactly as the column does
 *   DAY(col)  a date as YYYY-MM-DD
 * A NULL column gives NULL (to_char is strict), which the result specs answer
 * as JSON null. */
#ifndef KOMPAS_SQL_FORMAT_H
#define KOMPAS_SQL_FORMAT_H

/* clang-format off */
#define TS(col)   "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TSUS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define DAY(col)  "to_char(" col ", 'YYYY-MM-DD')"
/* clang-format on */

#endif
