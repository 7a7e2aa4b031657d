/* feeds.c - read-only public feeds of a centre for other systems: an
 * iCalendar (RFC 5545) feed of the public events (GET /v1/events.ics), and
 * a guide's private calendar behind a token (GET /v1/guides/calendar/...).
 *
 * The feed shows what the public listing GET /v1/public/events shows (the
 * view event_public), with the same filters; cancelled occurrences stay in
 * it as STATUS:CANCELLED so calendars that subscribed remove them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/ical.h"
#include "../../lib/mem.h"
#include "../../lib/problem.h"
#include "../../lib/spec.h"
#include "../../lib/static.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "../sql_format.h"

#define LOCAL_TZ "'Europe/Copenhagen'"

/* At most this many occurrences in one feed, and by default from today
 * (Copenhagen) to this many days ahead. */
#define ICS_MAX_EVENTS   1000
#define ICS_DEFAULT_DAYS "180"

static const char *const ics_kinds[] = {"activity", "guide_training", "welcome_workshop",
                                        "info_meeting", NULL};

static const struct spec_field events_ics_query[] = {
    SPEC_TEXT("centre", SPEC_REQUIRED, 2, 40),
    SPEC_TEXT("q", 0, 1, 200),
    SPEC_TEXT("from", 0, 10, 40),
    SPEC_TEXT("to", 0, 10, 40),
    SPEC_UUID("category", 0),
    SPEC_UUID("association", 0),
    SPEC_POSTAL_CODE("postal_code", 0),
    SPEC_ENUM("kind", 0, ics_kinds),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = ICS_MAX_EVENTS},
    SPEC_END};

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static bool
date_or_datetime(const char *s)
{
	return spec_format_ok(SPEC_FMT_DATE, s) || spec_format_ok(SPEC_FMT_DATETIME, s);
}

static struct db_stmt stmt_centre =
    DB_STMT("feeds_centre", "SELECT id FROM centre WHERE slug = $1 OR id::text = lower($1)", 1);

/* The centre named by the required query parameter centre (slug or id),
 * into out (37 bytes); false with the answer given when there is none. */
static bool
find_centre(struct http_request *rq, char *out)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_centre, (const char *const[]){str_of(rq->query, "centre")}, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND, "No centre has this slug or id.");
		return false;
	}
	snprintf(out, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

/* The text of a column, or NULL when it is SQL NULL. */
static const char *
value_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* --- iCalendar --------------------------------------------------------------- */

/* Answer the public feed body (len bytes) with a strong ETag (a BLAKE2b
 * hash of the body) and Cache-Control public, max-age=300, so calendar
 * clients and proxies may keep it five minutes and revalidate it with
 * If-None-Match (304 without a body when it has not changed). The body
 * depends only on the events (DTSTAMP is each event's last change), so an
 * unchanged feed keeps its ETag. */
static void
reply_cacheable_calendar(struct http_request *rq, const char *body, size_t len)
{
	unsigned char hash[16];
	char etag[2 * sizeof(hash) + 3];

	crypto_generichash(hash, sizeof(hash), (const unsigned char *)body, len, NULL, 0);
	etag[0] = '"';
	sodium_bin2hex(etag + 1, sizeof(etag) - 2, hash, sizeof(hash));
	etag[sizeof(etag) - 2] = '"';
	etag[sizeof(etag) - 1] = '\0';
	if (static_etag_matches(http_header(rq, "If-None-Match"), etag))
		http_reply_data(rq, 304, NULL, "", 0, false);
	else
		http_reply_data(rq, 200, "text/calendar; charset=utf-8", body, len, true);
	http_set_header(rq, "ETag", etag);
	http_set_header(rq, "Cache-Control", "public, max-age=300");
}

#define ICS_STARTS ICS_LOCAL("e.starts_at AT TIME ZONE " LOCAL_TZ)
#define ICS_ENDS   ICS_LOCAL("e.ends_at AT TIME ZONE " LOCAL_TZ)
#define ICS_TODAY  "(now() AT TIME ZONE " LOCAL_TZ ")::date"
/* The start of the day after today + 180 days, in Copenhagen. */
#define ICS_DEFAULT_END                                                                            \
	"(" ICS_TODAY " + " ICS_DEFAULT_DAYS " + 1)::timestamp AT TIME ZONE " LOCAL_TZ

/* $1 centre  $2 free text  $3 from, $4 to (dates in Copenhagen time, or
 * date-times; by default today and today + 180 days)  $5 category
 * $6 association  $7 postal code  $8 kind  $9 limit. Cancelled
 * occurrences are included. */
/* clang-format off */
static struct db_stmt stmt_ics = DB_STMT(
    "feeds_ics",
    "SELECT e.id, e.title, e.description, " ICS_STARTS ", " ICS_ENDS ","
    " e.address, e.postal_code, e.online_url, e.cancelled, e.association_name,"
    " (SELECT coalesce(json_agg(c->>'name_da'), '[]'::json)"
    "    FROM json_array_elements(e.categories) c),"
    " " ICS_UTC("e.updated_at")
    " FROM event_public e"
    " WHERE e.centre_id = $1"
    " AND ($2::text IS NULL OR e.search @@ CASE WHEN to_tsvector('danish', $2) = ''::tsvector"
    "   THEN NULL ELSE plainto_tsquery('danish', $2) END)"
    " AND e.starts_at >= CASE WHEN $3::text IS NULL THEN " ICS_TODAY
    "::timestamp AT TIME ZONE " LOCAL_TZ
    " WHEN length($3) = 10 THEN $3::date::timestamp AT TIME ZONE " LOCAL_TZ
    "   ELSE $3::timestamptz END"
    " AND CASE WHEN $4::text IS NULL THEN e.starts_at < " ICS_DEFAULT_END
    "   WHEN length($4) = 10 THEN e.starts_at < ($4::date + 1)::timestamp AT TIME ZONE " LOCAL_TZ
    "   ELSE e.starts_at <= $4::timestamptz END"
    " AND ($5::uuid IS NULL OR $5 = ANY (e.category_ids))"
    " AND ($6::uuid IS NULL OR e.association_id = $6)"
    " AND ($7::text IS NULL OR e.postal_code = $7)"
    " AND ($8::text IS NULL OR e.kind = $8)"
    " ORDER BY e.starts_at, e.id LIMIT $9",
    9);
/* clang-format on */
enum {
	IC_ID,
	IC_TITLE,
	IC_DESCRIPTION,
	IC_STARTS,
	IC_ENDS,
	IC_ADDRESS,
	IC_POSTAL,
	IC_URL,
	IC_CANCELLED,
	IC_ASSOC_NAME,
	IC_CATEGORIES,
	IC_STAMP
};

/* The time zone of every DTSTART and DTEND: Copenhagen, with the EU
 * daylight-saving rules (last Sunday of March and of October). */
static const char vtimezone[] = "BEGIN:VTIMEZONE\r\n"
                                "TZID:Europe/Copenhagen\r\n"
                                "X-LIC-LOCATION:Europe/Copenhagen\r\n"
                                "BEGIN:DAYLIGHT\r\n"
                                "TZOFFSETFROM:+0100\r\n"
                                "TZOFFSETTO:+0200\r\n"
                                "TZNAME:CEST\r\n"
                                "DTSTART:19700329T020000\r\n"
                                "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
                                "END:DAYLIGHT\r\n"
                                "BEGIN:STANDARD\r\n"
                                "TZOFFSETFROM:+0200\r\n"
                                "TZOFFSETTO:+0100\r\n"
                                "TZNAME:CET\r\n"
                                "DTSTART:19701025T030000\r\n"
                                "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
                                "END:STANDARD\r\n"
                                "END:VTIMEZONE\r\n";

static void
ics_event(struct buf *out, struct buf *line, const PGresult *res, int row)
{
	json_t *cats = json_loads(PQgetvalue(res, row, IC_CATEGORIES), 0, NULL);
	size_t ncats = json_array_size(cats);
	const char **names = ncats > 0 ? xcalloc(ncats, sizeof(*names)) : NULL;
	struct ical_event e = {
	    .uid = PQgetvalue(res, row, IC_ID),
	    .stamp = PQgetvalue(res, row, IC_STAMP),
	    .starts = PQgetvalue(res, row, IC_STARTS),
	    .ends = PQgetvalue(res, row, IC_ENDS),
	    .summary = PQgetvalue(res, row, IC_TITLE),
	    .description = value_or_null(res, row, IC_DESCRIPTION),
	    .description2 = value_or_null(res, row, IC_ASSOC_NAME),
	    .location = value_or_null(res, row, IC_ADDRESS),
	    .location2 = value_or_null(res, row, IC_POSTAL),
	    /* A URI value: not escaped (checked ^https?:// on the way in). */
	    .url = value_or_null(res, row, IC_URL),
	    .categories = names,
	    .ncategories = ncats,
	    .cancelled = PQgetvalue(res, row, IC_CANCELLED)[0] == 't',
	};

	for (size_t i = 0; i < ncats; i++)
		names[i] = json_string_value(json_array_get(cats, i));
	ical_event(out, line, &e);
	free(names);
	json_decref(cats);
}

/* Start a calendar in out: the VCALENDAR header and the time zone. */
static void
ics_begin(struct buf *out)
{
	buf_append_str(out, "BEGIN:VCALENDAR\r\n"
	                    "VERSION:2.0\r\n"
	                    "PRODID:-//Kompas//kompasd " KOMPAS_VERSION "//DA\r\n"
	                    "CALSCALE:GREGORIAN\r\n"
	                    "METHOD:PUBLISH\r\n"
	                    "X-WR-TIMEZONE:Europe/Copenhagen\r\n");
	buf_append_str(out, vtimezone);
}

/* GET /v1/events.ics?centre=: the centre's public events as iCalendar. */
static void
events_ics(struct http_request *rq)
{
	const json_t *qy = rq->query;
	json_t *jl = json_object_get(qy, "limit");
	char centre[37], limit[24];
	const char *params[9];
	struct buf out, line;
	enum db_qs qs;
	PGresult *res;
	json_t *p;
	char *body;
	size_t len;

	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	if (str_of(qy, "from") != NULL && !date_or_datetime(str_of(qy, "from")))
		problem_add_field_error(p, "from", ERR_FIELD_FORMAT,
		                        "must be a date (YYYY-MM-DD) or an RFC 3339 date-time");
	if (str_of(qy, "to") != NULL && !date_or_datetime(str_of(qy, "to")))
		problem_add_field_error(p, "to", ERR_FIELD_FORMAT,
		                        "must be a date (YYYY-MM-DD) or an RFC 3339 date-time");
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return;
	}
	json_decref(p);
	if (!find_centre(rq, centre))
		return;
	snprintf(limit, sizeof(limit), "%lld",
	         jl ? (long long)json_integer_value(jl) : (long long)ICS_MAX_EVENTS);
	params[0] = centre;
	params[1] = str_of(qy, "q");
	params[2] = str_of(qy, "from");
	params[3] = str_of(qy, "to");
	params[4] = str_of(qy, "category");
	params[5] = str_of(qy, "association");
	params[6] = str_of(qy, "postal_code");
	params[7] = str_of(qy, "kind");
	params[8] = limit;
	res = db_exec(rq->db, &stmt_ics, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	buf_init(&out);
	buf_init(&line);
	ics_begin(&out);
	for (int i = 0; i < PQntuples(res); i++)
		ics_event(&out, &line, res, i);
	buf_append_str(&out, "END:VCALENDAR\r\n");
	PQclear(res);
	buf_cleanup(&line);
	body = buf_steal(&out, &len);
	reply_cacheable_calendar(rq, body, len);
	free(body);
}

/* --- a guide's private calendar ------------------------------------------------
 *
 * GET /v1/guides/calendar/<token>.ics: the visits of the guide's courses,
 * the planned course ends and the trainings and events they signed up for,
 * from 30 days back. The token in the URL is the credential (only its keyed
 * hash is stored; the access log holds the route pattern, never the URL); a
 * guide makes a new one with POST /v1/me/calendar-token (revoking the old)
 * and revokes it with DELETE. No citizen data is in the feed. */

#define GUIDE_FEED_PREFIX "kgc_"

static struct db_stmt stmt_feed_own =
    DB_STMT("feeds_guide_own",
            "SELECT v.id, v.centre_id FROM volunteer v"
            " WHERE v.id IN (SELECT kompas_my_volunteer_ids()) AND v.centre_id = kompas_centre()"
            " ORDER BY v.created_at LIMIT 1",
            0);

static struct db_stmt stmt_feed_revoke =
    DB_STMT("feeds_guide_revoke",
            "UPDATE guide_feed_token SET revoked_at = now()"
            " WHERE volunteer_id IN (SELECT kompas_my_volunteer_ids()) AND revoked_at IS NULL"
            " RETURNING id",
            0);

static struct db_stmt stmt_feed_insert =
    DB_STMT("feeds_guide_insert",
            "INSERT INTO guide_feed_token (centre_id, volunteer_id, token_hash)"
            " VALUES ($1, $2, $3::bytea) RETURNING id",
            3);

/* $1 token hash: a row kind feed when the token is valid, then the entries. */
static struct db_stmt stmt_feed = DB_STMT(
    "feeds_guide_feed",
    "SELECT uid, kind, title, all_day, starts, ends, place, cancelled,"
    " " ICS_UTC("now()") " FROM kompas_guide_feed($1::bytea) ORDER BY kind <> 'feed', starts, uid",
    1);
enum {
	GF_UID,
	GF_KIND,
	GF_TITLE,
	GF_ALL_DAY,
	GF_STARTS,
	GF_ENDS,
	GF_PLACE,
	GF_CANCELLED,
	GF_STAMP
};

/* POST /v1/me/calendar-token: a new feed token for the calling guide; the
 * previous one is revoked. The token is shown once. */
static void
me_calendar_token_create(struct http_request *rq)
{
	char token[64], hash[80], url[128], vid[37], centre[37];
	enum db_qs qs;
	PGresult *res;

	res = db_exec(rq->db, &stmt_feed_own, NULL, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND,
		                   "Your account has no volunteer record; ask your coordinator.");
		return;
	}
	snprintf(vid, sizeof(vid), "%s", PQgetvalue(res, 0, 0));
	snprintf(centre, sizeof(centre), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	res = db_exec(rq->db, &stmt_feed_revoke, NULL, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	PQclear(res);
	crypto_token_new(GUIDE_FEED_PREFIX, token, sizeof(token));
	auth_token_hash_param(token, hash, sizeof(hash));
	res = db_exec(rq->db, &stmt_feed_insert, (const char *const[]){centre, vid, hash}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	snprintf(url, sizeof(url), "/v1/guides/calendar/%s.ics", token);
	http_reply_json(rq, 201, json_pack("{s:s, s:s}", "url", url, "token", token));
out:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(url, sizeof(url));
}

/* DELETE /v1/me/calendar-token: revoke the calling guide's feed token. */
static void
me_calendar_token_revoke(struct http_request *rq)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_feed_revoke, NULL, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	PQclear(res);
	http_reply_data(rq, 204, NULL, "", 0, false);
}

/* A well-formed feed token: the prefix and 43 base64url characters. */
static bool
feed_token_ok(const char *t, size_t len)
{
	size_t plen = strlen(GUIDE_FEED_PREFIX);

	if (len != plen + 43 || strncmp(t, GUIDE_FEED_PREFIX, plen) != 0)
		return false;
	for (size_t i = plen; i < len; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		           t[i]) == NULL ||
		    t[i] == '\0')
			return false;
	return true;
}

static void
guide_feed_event(struct buf *out, struct buf *line, const PGresult *res, int row)
{
	struct ical_event e = {
	    .uid = PQgetvalue(res, row, GF_UID),
	    .stamp = PQgetvalue(res, row, GF_STAMP),
	    .starts = PQgetvalue(res, row, GF_STARTS),
	    .ends = PQgetvalue(res, row, GF_ENDS),
	    .all_day = PQgetvalue(res, row, GF_ALL_DAY)[0] == 't',
	    .summary = PQgetvalue(res, row, GF_TITLE),
	    .location = value_or_null(res, row, GF_PLACE),
	    .transp = true,
	    .cancelled = PQgetvalue(res, row, GF_CANCELLED)[0] == 't',
	};

	ical_event(out, line, &e);
}

/* GET /v1/guides/calendar/{token}: the guide's private feed; the path
 * segment is the token, with or without ".ics". */
static void
guide_calendar(struct http_request *rq)
{
	const char *seg = http_param(rq, "token");
	char token[64], hash[80];
	struct buf out, line;
	size_t len = seg ? strlen(seg) : 0;
	enum db_qs qs;
	PGresult *res;
	char *body;

	if (len > 4 && strcmp(seg + len - 4, ".ics") == 0)
		len -= 4;
	if (seg == NULL || !feed_token_ok(seg, len)) {
		http_reply_problem(rq, ERR_NOT_FOUND, "No calendar has this address.");
		return;
	}
	memcpy(token, seg, len);
	token[len] = '\0';
	auth_token_hash_param(token, hash, sizeof(hash));
	sodium_memzero(token, sizeof(token));
	res = db_exec(rq->db, &stmt_feed, (const char *const[]){hash}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, GF_KIND), "feed") != 0) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND, "No calendar has this address.");
		return;
	}
	buf_init(&out);
	buf_init(&line);
	ics_begin(&out);
	buf_append_str(&out, "X-WR-CALNAME:Kompas\r\n");
	for (int i = 1; i < PQntuples(res); i++)
		guide_feed_event(&out, &line, res, i);
	buf_append_str(&out, "END:VCALENDAR\r\n");
	PQclear(res);
	buf_cleanup(&line);
	body = buf_steal(&out, &len);
	http_reply_data(rq, 200, "text/calendar; charset=utf-8", body, len, true);
	http_set_header(rq, "Cache-Control", "private, no-store");
	http_set_header(rq, "Referrer-Policy", "no-referrer");
	free(body);
}

/* --- HSDS 3.0 ------------------------------------------------------------------
 *
 * A read-only export in the shape of the Open Referral Human Services Data
 * Specification 3.0: the centre's associations as organizations, and their
 * activities as services: one service per association and activity
 * category (category kind activity) of the association, with the weekly or
 * monthly event series of that association and category that have an
 * occurrence not yet ended as schedules, their places as locations, and the
 * categories as taxonomy terms (attributes). Public fields only: no contact
 * persons, no is_member, no scheme referral notes, no internal notes.
 *
 * The ids of derived records (services, locations, attributes) are stable
 * UUIDs made from the ids they derive from.
 *
 * The associations, their categories and the series are not readable
 * without a caller of the centre (row-level security), so the export runs
 * in a read-only transaction as the centre's staff, with fixed statements
 * that select public columns only. */

#define HSDS_MAX_PAGE 100000

static const struct spec_field hsds_list_query[] = {
    SPEC_TEXT("centre", SPEC_REQUIRED, 2, 40),
    {.name = "page", .type = SPEC_INTEGER, .min = 1, .max = HSDS_MAX_PAGE},
    {.name = "per_page", .type = SPEC_INTEGER, .min = 1, .max = 200},
    SPEC_END};

/* Every record is linked to lk: lk.id, the organization or service, and
 * lk.entity, its kind ('organization' or 'service'). Derived ids are
 * md5-based UUIDs of the ids they derive from. */

/* A category c as an HSDS attribute of lk with its taxonomy term. */
#define HSDS_ATTRIBUTE                                                                             \
	"json_build_object('id', md5('attribute/' || lk.id || '/' || c.id)::uuid,"                 \
	" 'link_id', lk.id, 'link_type', c.kind, 'link_entity', lk.entity,"                        \
	" 'taxonomy_term_id', c.id, 'value', c.slug, 'taxonomy_term', " HSDS_TERM ")"
#define HSDS_TERM                                                                                  \
	"json_build_object('id', c.id, 'code', c.slug, 'name', c.name_da,"                         \
	" 'description', c.name_en, 'taxonomy', 'kompas:' || c.kind, 'language', 'da')"

/* The public fields of association a (the object is left open). */
#define HSDS_ORGANIZATION                                                                          \
	"json_build_object('id', a.id, 'name', a.name,"                                            \
	" 'description', coalesce(a.description, ''), 'website', a.website"

/* The meeting place of association a, if it has one. */
#define HSDS_ORG_LOCATIONS                                                                         \
	"CASE WHEN a.address IS NULL AND a.latitude IS NULL THEN NULL"                             \
	" ELSE json_build_array(json_build_object('id', md5('location/' || a.id)::uuid,"           \
	" 'location_type', 'physical', 'organization_id', a.id, 'name', a.address,"                \
	" 'description', a.postal_code, 'latitude', a.latitude, 'longitude', a.longitude)) END"

#define HSDS_ORG_ATTRIBUTES                                                                        \
	"(SELECT json_agg(" HSDS_ATTRIBUTE " ORDER BY c.kind, c.slug)"                             \
	" FROM association_category ac JOIN category c ON c.id = ac.category_id"                   \
	" WHERE ac.association_id = a.id)"

static struct db_stmt stmt_hsds_context =
    DB_STMT("feeds_hsds_context", "SELECT kompas_set_context('coordinator', $1::uuid, NULL)", 1);

static struct db_stmt stmt_hsds_org_count =
    DB_STMT("feeds_hsds_org_count", "SELECT count(*) FROM association a WHERE a.centre_id = $1", 1);

/* $1 centre  $2 page size  $3 offset */
static struct db_stmt stmt_hsds_org_page =
    DB_STMT("feeds_hsds_org_page",
            "SELECT coalesce(json_agg(json_strip_nulls(x.o) ORDER BY x.ord), '[]'::json) FROM ("
            " SELECT row_number() OVER (ORDER BY lower(a.name), a.id) AS ord,"
            " " HSDS_ORGANIZATION ", 'locations', " HSDS_ORG_LOCATIONS
            ", 'attributes', " HSDS_ORG_ATTRIBUTES ") AS o"
            " FROM association a"
            " CROSS JOIN LATERAL (SELECT a.id, 'organization'::text AS entity) lk"
            " WHERE a.centre_id = $1"
            " ORDER BY lower(a.name), a.id LIMIT $2 OFFSET $3) x",
            3);

/* The services: an association a and one of its activity categories c
 * (through ac). */
#define HSDS_SERVICE_FROM                                                                          \
	" FROM association a JOIN association_category ac ON ac.association_id = a.id"             \
	" JOIN category c ON c.id = ac.category_id AND c.kind = 'activity'"                        \
	" CROSS JOIN LATERAL (SELECT md5('service/' || a.id || '/' || c.id)::uuid AS id,"          \
	"   'service'::text AS entity) lk"                                                         \
	" WHERE a.centre_id = $1"

static struct db_stmt stmt_hsds_svc_count =
    DB_STMT("feeds_hsds_svc_count", "SELECT count(*)" HSDS_SERVICE_FROM, 1);

/* The series of service lk: of its association, kind activity, with an
 * occurrence of its category not yet ended. */
#define HSDS_SERIES                                                                                \
	" FROM event_series s WHERE s.association_id = a.id AND s.kind = 'activity'"               \
	" AND EXISTS (SELECT 1 FROM event e JOIN event_category ec ON ec.event_id = e.id"          \
	"  WHERE e.series_id = s.id AND ec.category_id = c.id AND e.ends_at > now())"

/* A series s of service lk as an HSDS schedule (local Copenhagen times). */
#define HSDS_FIRST "(s.first_starts_at AT TIME ZONE " LOCAL_TZ ")"
/* clang-format off */
#define HSDS_SCHEDULE                                                                              \
	"json_build_object('id', s.id, 'service_id', lk.id, 'freq', upper(s.frequency),"           \
	" 'interval', s.repeat_interval, 'wkst', 'MO',"                                            \
	" 'byday', CASE WHEN s.frequency = 'weekly' THEN (ARRAY['SU', 'MO', 'TU', 'WE', 'TH',"     \
	" 'FR', 'SA'])[extract(dow FROM " HSDS_FIRST ")::int + 1] END,"                            \
	" 'bymonthday', CASE WHEN s.frequency = 'monthly'"                                         \
	"   THEN extract(day FROM " HSDS_FIRST ")::int::text END,"                                 \
	" 'dtstart', " DAY(HSDS_FIRST) ","                                                         \
	" 'valid_from', " DAY(HSDS_FIRST) ","                                                      \
	" 'until', " DAY("s.until_date") ", 'count', s.occurrence_count,"                          \
	" 'opens_at', " HM(HSDS_FIRST) ","                                                         \
	" 'closes_at', " HM("s.first_ends_at AT TIME ZONE " LOCAL_TZ) ","                          \
	" 'description', s.title, 'attending_type', CASE WHEN s.address IS NOT NULL"               \
	"   THEN 'in_person' WHEN s.online_url IS NOT NULL THEN 'online' END)"
/* clang-format on */

/* The distinct places of the series of service lk, with location ids. */
#define HSDS_PLACES                                                                                \
	"SELECT DISTINCT s.address, s.postal_code, md5('location/' || a.id || '/' || s.address"    \
	" || '/' || coalesce(s.postal_code, ''))::uuid AS id" HSDS_SERIES                          \
	" AND s.address IS NOT NULL"

#define HSDS_SERVICE_AT_LOCATION                                                                   \
	"json_build_object('id', md5('service_at_location/' || lk.id || '/' || l.id)::uuid,"       \
	" 'service_id', lk.id, 'location_id', l.id, 'location', json_build_object('id', l.id,"     \
	" 'location_type', 'physical', 'organization_id', a.id, 'name', l.address,"                \
	" 'description', l.postal_code))"

/* The association's activity category first, then its other categories. */
#define HSDS_SVC_ATTRIBUTES                                                                        \
	"(SELECT json_agg(" HSDS_ATTRIBUTE " ORDER BY c.kind <> 'activity', c.kind, c.slug)"       \
	" FROM association_category ac2 JOIN category c ON c.id = ac2.category_id"                 \
	" WHERE ac2.association_id = a.id AND (c.kind <> 'activity' OR c.id = ac.category_id))"

/* $1 centre  $2 page size  $3 offset */
static struct db_stmt stmt_hsds_svc_page = DB_STMT(
    "feeds_hsds_svc_page",
    "SELECT coalesce(json_agg(json_strip_nulls(x.o) ORDER BY x.ord), '[]'::json) FROM ("
    " SELECT row_number() OVER (ORDER BY lower(a.name), a.id, c.slug, c.id) AS ord,"
    " json_build_object('id', lk.id, 'organization_id', a.id,"
    " 'name', c.name_da || ': ' || a.name, 'description', a.description, 'url', a.website,"
    " 'status', 'active', 'attributes', " HSDS_SVC_ATTRIBUTES ","
    " 'schedules', (SELECT json_agg(" HSDS_SCHEDULE " ORDER BY s.first_starts_at, s.id)" HSDS_SERIES
    "), 'service_at_locations', (SELECT json_agg(" HSDS_SERVICE_AT_LOCATION
    " ORDER BY l.address, l.postal_code) FROM (" HSDS_PLACES ") l),"
    " 'organization', " HSDS_ORGANIZATION ")) AS o" HSDS_SERVICE_FROM
    " ORDER BY lower(a.name), a.id, c.slug, c.id LIMIT $2 OFFSET $3) x",
    3);

struct hsds_page {
	const char *centre;
	struct db_stmt *count, *page;
	char size[24], offset[24];
	long long total;
	char *contents; /* JSON array */
};

static enum db_qs
hsds_tx(struct db_conn *c, void *cls)
{
	struct hsds_page *hp = cls;
	enum db_qs qs;
	PGresult *res;

	res = db_exec(c, &stmt_hsds_context, (const char *const[]){hp->centre}, &qs);
	if (res == NULL)
		return qs;
	PQclear(res);
	res = db_exec(c, hp->count, (const char *const[]){hp->centre}, &qs);
	if (res == NULL)
		return qs;
	hp->total = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	res = db_exec(c, hp->page, (const char *const[]){hp->centre, hp->size, hp->offset}, &qs);
	if (res == NULL)
		return qs;
	free(hp->contents);
	hp->contents = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (hp->contents == NULL)
		abort();
	return DB_ONE_RESULT;
}

/* An HSDS page (total_items ... contents) of the count and page statements. */
static void
hsds_list(struct http_request *rq, struct db_stmt *count, struct db_stmt *page)
{
	json_t *jp = json_object_get(rq->query, "page"),
	       *js = json_object_get(rq->query, "per_page");
	long long pno = jp ? json_integer_value(jp) : 1, size = js ? json_integer_value(js) : 50;
	struct hsds_page hp = {.count = count, .page = page};
	char centre[37];
	long long pages;
	json_t *contents;
	enum db_qs qs;

	if (!find_centre(rq, centre))
		return;
	hp.centre = centre;
	snprintf(hp.size, sizeof(hp.size), "%lld", size);
	snprintf(hp.offset, sizeof(hp.offset), "%lld", (pno - 1) * size);
	qs = db_tx_run(rq->db, "REPEATABLE READ READ ONLY", hsds_tx, &hp);
	if (qs < 0) {
		free(hp.contents);
		http_reply_db_error(rq, qs);
		return;
	}
	contents = json_loads(hp.contents, 0, NULL);
	free(hp.contents);
	if (contents == NULL) {
		http_reply_problem(rq, ERR_INTERNAL, NULL);
		return;
	}
	pages = (hp.total + size - 1) / size;
	http_reply_json(rq, 200,
	                json_pack("{s:I, s:I, s:I, s:I, s:b, s:b, s:b, s:o}", "total_items",
	                          (json_int_t)hp.total, "total_pages", (json_int_t)pages,
	                          "page_number", (json_int_t)pno, "size",
	                          (json_int_t)json_array_size(contents), "first_page", pno == 1,
	                          "last_page", pno >= pages, "empty",
	                          json_array_size(contents) == 0, "contents", contents));
}

/* GET /v1/hsds/organizations?centre= */
static void
hsds_organizations(struct http_request *rq)
{
	hsds_list(rq, &stmt_hsds_org_count, &stmt_hsds_org_page);
}

/* GET /v1/hsds/services?centre= */
static void
hsds_services(struct http_request *rq)
{
	hsds_list(rq, &stmt_hsds_svc_count, &stmt_hsds_svc_page);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* sessions and the caller */
    {"POST", "/v1/me/calendar-token", me_calendar_token_create, DB, ROLE_GUIDE, NULL, NULL, NULL},
    {"DELETE", "/v1/me/calendar-token", me_calendar_token_revoke, DB, ROLE_GUIDE, NULL, NULL, NULL},
    /* feeds */
    {"GET", "/v1/events.ics", events_ics, RO, 0, NULL, events_ics_query, NULL},
    {"GET", "/v1/hsds/organizations", hsds_organizations, RO, 0, NULL, hsds_list_query, NULL},
    {"GET", "/v1/hsds/services", hsds_services, RO, 0, NULL, hsds_list_query, NULL},
    {"GET", "/v1/guides/calendar/{token}", guide_calendar, DB, 0, NULL, NULL,
     "token=calendar_token"},
};

API_ROUTES(feeds_routes, routes);
