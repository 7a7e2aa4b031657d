/* sql_format.h - the SQL that formats a column as the API answers it,
 * defined once for every statement in api/.
 *
 * Each macro takes a column (or expression) as a string literal and expands
 * to a string literal, so statements stay compile-time constants:
 *   TS(col)   RFC 3339 UTC timestamp to the second, e.g. 2026-12-07T10:57:47Z
 *   TSUS(col) the same to the microsecond: a keyset cursor's time, which must
 *             order exactly as the column does
 *   DAY(col)  a date as YYYY-MM-DD
 *   HM(col)   a time of day as HH:MM (24 hours): an availability's start,
 *             or with col in local time an HSDS schedule's opening
 * and the iCalendar date-times of the feeds (RFC 5545):
 *   ICS_UTC(col)   in UTC, e.g. 20261207T105747Z (DTSTAMP, LAST-MODIFIED)
 *   ICS_LOCAL(col) as col is, without a zone, e.g. 20261207T115747 for
 *                  col "x AT TIME ZONE 'Europe/Copenhagen'" (DTSTART;TZID=)
 * A NULL column gives NULL (to_char is strict), which the result specs answer
 * as JSON null. */
#ifndef KOMPAS_SQL_FORMAT_H
#define KOMPAS_SQL_FORMAT_H

/* clang-format off */
#define TS(col)   "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TSUS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define DAY(col)  "to_char(" col ", 'YYYY-MM-DD')"
#define HM(col)   "to_char(" col ", 'HH24:MI')"
#define ICS_UTC(col)   "to_char(" col " AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"')"
#define ICS_LOCAL(col) "to_char(" col ", 'YYYYMMDD\"T\"HH24MISS')"
/* clang-format on */

#endif
