/* worklists.c - the coordinator's work lists, in one query: requests
 * waiting for first contact longer than the centre's target, courses
 * without a visit for 14 days, follow-ups due, volunteers whose record
 * check or training runs out, associations whose newcomer capacity is
 * stale. No citizen data: ids, states and dates only. */
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../app.h"
#include "../routes.h"
#include "../sql_format.h"

static const struct spec_field worklists_query[] = {
    {.name = "expiring_within_days", .type = SPEC_INTEGER, .min = 1, .max = 365},
    {.name = "stale_after_days", .type = SPEC_INTEGER, .min = 1, .max = 365},
    SPEC_END};

static struct db_stmt stmt_worklists = DB_STMT(
    "worklists",
    "SELECT json_build_object("
    " 'first_contact_target_days', (SELECT first_contact_target_days FROM centre"
    "   WHERE id = kompas_centre()),"
    " 'awaiting_first_contact', (SELECT coalesce(json_agg(json_build_object("
    "   'request_id', r.id, 'state', r.state, 'created_at', " TS(
        "r.created_at") ","
                        "   'days_waiting', floor(extract(epoch FROM now() - r.created_at) / "
                        "86400)::int,"
                        "   'assigned_volunteer_id', r.assigned_volunteer_id) ORDER BY "
                        "r.created_at, r.id), '[]')"
                        "   FROM (SELECT q.* FROM request q JOIN centre c ON c.id = q.centre_id"
                        "     WHERE q.centre_id = kompas_centre() AND q.anonymised_at IS NULL"
                        "     AND q.first_contact_at IS NULL AND q.state IN ('received', "
                        "'accepted', 'guide_assigned')"
                        "     AND q.created_at < now() - make_interval(days => "
                        "c.first_contact_target_days)"
                        "     ORDER BY q.created_at, q.id LIMIT 200) r),"
                        " 'courses_without_visits', (SELECT coalesce(json_agg(json_build_object("
                        "   'course_id', x.id, 'request_id', x.request_id, 'volunteer_id', "
                        "x.volunteer_id,"
                        "   'state', x.state, 'last_visit_on', x.last_visit_on,"
                        "   'days_since', current_date - coalesce(x.last_visit_on, x.started_on, "
                        "x.created_at::date))"
                        "   ORDER BY coalesce(x.last_visit_on, x.started_on, x.created_at::date), "
                        "x.id), '[]')"
                        "   FROM (SELECT * FROM course WHERE centre_id = kompas_centre()"
                        "     AND state IN ('planned', 'active')"
                        "     AND coalesce(last_visit_on, started_on, created_at::date) < "
                        "current_date - 14"
                        "     LIMIT 200) x),"
                        " 'follow_ups_due', (SELECT coalesce(json_agg(json_build_object("
                        "   'course_id', x.id, 'request_id', x.request_id, 'volunteer_id', "
                        "x.volunteer_id,"
                        "   'ended_on', x.ended_on, 'follow_up_due', x.follow_up_due) ORDER BY "
                        "x.follow_up_due, x.id),"
                        "   '[]') FROM (SELECT * FROM course WHERE centre_id = kompas_centre()"
                        "     AND follow_up_due IS NOT NULL AND follow_up_on IS NULL"
                        "     AND follow_up_due <= current_date + 7 LIMIT 200) x),"
                        " 'expiring_checks', (SELECT coalesce(json_agg(json_build_object("
                        "   'volunteer_id', e.volunteer_id, 'name', e.name, 'what', e.what, "
                        "'kind', e.kind,"
                        "   'expires_on', e.expires_on) ORDER BY e.expires_on, e.volunteer_id), "
                        "'[]')"
                        "   FROM (SELECT v.id AS volunteer_id, v.name, 'record_check' AS what, "
                        "rc.kind,"
                        "           rc.valid_until AS expires_on"
                        "         FROM volunteer v JOIN LATERAL (SELECT DISTINCT ON (kind) kind, "
                        "valid_until"
                        "           FROM volunteer_record_check WHERE volunteer_id = v.id"
                        "           ORDER BY kind, valid_until DESC) rc ON true"
                        "         WHERE v.centre_id = kompas_centre() AND v.status IN ('active', "
                        "'in_training', 'paused')"
                        "         AND rc.valid_until <= current_date + coalesce($1::int, 30)"
                        "       UNION ALL"
                        "       SELECT v.id, v.name, 'training', t.module, t.expires_on"
                        "         FROM volunteer v JOIN LATERAL (SELECT DISTINCT ON (module) "
                        "module, expires_on"
                        "           FROM volunteer_training WHERE volunteer_id = v.id"
                        "           ORDER BY module, completed_on DESC) t ON true"
                        "         WHERE v.centre_id = kompas_centre() AND v.status IN ('active', "
                        "'in_training', 'paused')"
                        "         AND t.expires_on <= current_date + coalesce($1::int, 30)"
                        "       LIMIT 200) e),"
                        " 'stale_association_capacity', (SELECT "
                        "coalesce(json_agg(json_build_object("
                        "   'association_id', a.id, 'name', a.name, 'newcomer_places', "
                        "a.newcomer_places,"
                        "   'updated_at', " TS(
                            "a.newcomer_places_updated_at") ")"
                                                            "   ORDER BY "
                                                            "a.newcomer_places_updated_at NULLS "
                                                            "FIRST, a.id), '[]')"
                                                            "   FROM (SELECT * FROM association "
                                                            "WHERE centre_id = kompas_centre()"
                                                            "     AND (newcomer_places_updated_at "
                                                            "IS NULL"
                                                            "       OR newcomer_places_updated_at "
                                                            "< now() - make_interval(days => "
                                                            "coalesce($2::int, 90)))"
                                                            "     LIMIT 200) a))",
    2);

PGresult *
worklists_fetch(struct db_conn *c, enum db_qs *qs)
{
	return db_exec(c, &stmt_worklists, (const char *const[]){NULL, NULL}, qs);
}

/* GET /v1/worklists?expiring_within_days=30&stale_after_days=90 */
static void
worklists_get(struct http_request *rq)
{
	json_t *je = json_object_get(rq->query, "expiring_within_days");
	json_t *js = json_object_get(rq->query, "stale_after_days");
	char e[16], s[16];
	const char *params[2] = {NULL, NULL};
	enum db_qs qs;
	PGresult *res;
	json_t *body;

	if (je != NULL) {
		snprintf(e, sizeof(e), "%lld", (long long)json_integer_value(je));
		params[0] = e;
	}
	if (js != NULL) {
		snprintf(s, sizeof(s), "%lld", (long long)json_integer_value(js));
		params[1] = s;
	}
	res = db_exec(rq->db, &stmt_worklists, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	body = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	http_reply_json(rq, 200, body);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* the coordinator's work lists */
    {"GET", "/v1/worklists", worklists_get, DB, ROLE_COORDINATOR, NULL, worklists_query, NULL},
};

API_ROUTES(worklists_routes, routes);
