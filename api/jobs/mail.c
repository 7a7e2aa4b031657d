/* mail.c - e-mail notifications. A change someone should hear about writes
 * rows to the mail outbox in the same transaction (mail_enqueue: a new
 * portal request to the centre's coordinators, an assignment to the guide, a
 * referral to the association's contacts); the mail thread also schedules,
 * once per day and centre, the digest of the work lists for the
 * coordinators and the reminder the day before a planned visit for the
 * guide. The same thread sends due rows over SMTP with libcurl (STARTTLS
 * required unless configured off), retrying with exponential backoff like
 * the webhooks (api/jobs/webhooks.c). The texts are Danish and made at sending
 * time from ids, counts and dates: no citizen's personal data is in any
 * mail. Each account switches kinds off with PATCH /v1/me. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../../lib/buf.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/log.h"
#include "../../lib/mem.h"
#include "../../lib/worker.h"
#include "../../lib/problem.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "../handlers/requests.h"

/* The kinds, and which role receives each. */
static const struct {
	const char *kind;
	unsigned role;
} kinds[] = {
    {"new_request", ROLE_COORDINATOR}, {"daily_digest", ROLE_COORDINATOR},
    {"assignment", ROLE_GUIDE},        {"visit_reminder", ROLE_GUIDE},
    {"referral", ROLE_ASSOCIATION},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

bool
mail_enabled(void)
{
	return app.cfg != NULL && app.cfg->mail_server != NULL && app.cfg->mail_server[0] != '\0';
}

static struct db_stmt stmt_enqueue =
    DB_STMT("mail_enqueue", "SELECT kompas_mail_enqueue($1, $2::uuid)", 2);

enum db_qs
mail_enqueue(struct http_request *rq, const char *kind, const char *ref)
{
	enum db_qs qs;
	PGresult *res;

	if (!mail_enabled())
		return DB_NO_RESULTS;
	res = db_exec(rq->db, &stmt_enqueue, (const char *const[]){kind, ref}, &qs);
	if (res == NULL)
		return qs;
	PQclear(res);
	return DB_ONE_RESULT;
}

/* --- the caller's settings (GET and PATCH /v1/me) ------------------- */

static struct db_stmt stmt_opt_out =
    DB_STMT("mail_opt_out",
            "SELECT array_to_json(mail_opt_out) FROM account WHERE id = kompas_account()", 0);

static struct db_stmt stmt_set_opt_out =
    DB_STMT("mail_set_opt_out", "SELECT kompas_set_own_mail_opt_out($1::text[], $2::text[])", 2);

/* {kind: on} for the kinds the role receives, from the JSON array of the
 * kinds switched off. */
static json_t *
settings_json(unsigned role, const char *opt_out_json)
{
	json_t *off = json_loads(opt_out_json, 0, NULL), *out = json_object();

	for (size_t i = 0; i < NKINDS; i++) {
		bool on = true;
		size_t j;
		json_t *v;

		if (kinds[i].role != role)
			continue;
		json_array_foreach(off, j, v) if (strcmp(json_string_value(v), kinds[i].kind) == 0)
		    on = false;
		json_object_set_new(out, kinds[i].kind, json_boolean(on));
	}
	json_decref(off);
	return out;
}

int
mail_me_settings(struct http_request *rq, json_t *me)
{
	enum db_qs qs;
	PGresult *res;

	json_object_set_new(me, "mail_enabled", json_boolean(mail_enabled()));
	if (rq->caller.is_key)
		return 0;
	res = db_exec(rq->db, &stmt_opt_out, NULL, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return -1;
	}
	json_object_set_new(me, "notifications",
	                    settings_json(rq->caller.role, qs > 0 ? PQgetvalue(res, 0, 0) : "[]"));
	PQclear(res);
	return 0;
}

static const struct spec_field notification_fields[] = {
    {.name = "new_request", .type = SPEC_BOOLEAN}, {.name = "daily_digest", .type = SPEC_BOOLEAN},
    {.name = "assignment", .type = SPEC_BOOLEAN},  {.name = "visit_reminder", .type = SPEC_BOOLEAN},
    {.name = "referral", .type = SPEC_BOOLEAN},    SPEC_END};

static const struct spec_field me_update_spec[] = {
    {.name = "notifications", .type = SPEC_OBJECT, .fields = notification_fields}, SPEC_END};

/* PATCH /v1/me {notifications: {kind: bool}}: a merge patch of the caller's
 * own e-mail settings; kinds left out keep their setting. Answers as GET
 * /v1/me. */
static void
me_update(struct http_request *rq)
{
	json_t *n = json_object_get(rq->body, "notifications"), *p, *v;
	struct buf off, on;
	const char *key;
	enum db_qs qs;
	PGresult *res;

	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	buf_init(&off);
	buf_init(&on);
	buf_append_str(&off, "{");
	buf_append_str(&on, "{");
	json_object_foreach(n, key, v)
	{
		bool mine = false;
		char field[64];
		struct buf *b = json_is_true(v) ? &on : &off;

		for (size_t i = 0; i < NKINDS; i++)
			if (strcmp(kinds[i].kind, key) == 0 && kinds[i].role == rq->caller.role)
				mine = true;
		if (!mine) {
			snprintf(field, sizeof(field), "notifications.%s", key);
			problem_add_field_error(p, field, ERR_FIELD_NOT_IN_ENUM,
			                        "this role does not receive this kind of e-mail");
			continue;
		}
		if (b->len > 1)
			buf_append_str(b, ",");
		buf_append_str(b, key);
	}
	buf_append_str(&off, "}");
	buf_append_str(&on, "}");
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		goto out;
	}
	json_decref(p);
	res = db_exec(rq->db, &stmt_set_opt_out, (const char *const[]){off.data, on.data}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	sessions_me(rq);
out:
	buf_cleanup(&off);
	buf_cleanup(&on);
}

/* --- texts ------------------------------------------------------------ */

static const char *const months[] = {"januar",    "februar", "marts",    "april",
                                     "maj",       "juni",    "juli",     "august",
                                     "september", "oktober", "november", "december"};

/* "8. december 2026" from "2026-12-08" (the text itself when malformed). */
static void
danish_date(const char *iso, char *out, size_t len)
{
	int y, m, d;

	if (iso == NULL || sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12)
		snprintf(out, len, "%s", iso ? iso : "");
	else
		snprintf(out, len, "%d. %s %d", d, months[m - 1], y);
}

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void
count_line(struct buf *b, const char *label, const json_t *payload, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(payload, key));

	buf_appendf(b, "- %s: %s%lld\n", label, n >= 200 ? "mindst " : "", (long long)n);
}

int
mail_render(const char *kind, const json_t *payload, const char *base_url, struct buf *subject,
            struct buf *body)
{
	char day[40];
	size_t blen = strlen(base_url);

	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	buf_append_str(body, "Hej\n\n");
	if (strcmp(kind, "new_request") == 0) {
		buf_append_str(subject, "Kompas: ny anmodning fra portalen");
		buf_appendf(body,
		            "Der er kommet en ny anmodning om en Kompasguide gennem portalen.\n"
		            "Se den, og tag den første kontakt, her:\n%.*s/app/#/requests/%s\n",
		            (int)blen, base_url, str(payload, "request_id"));
	} else if (strcmp(kind, "assignment") == 0) {
		buf_append_str(subject, "Kompas: du er blevet Kompasguide for en borger");
		buf_appendf(body,
		            "En koordinator har valgt dig som Kompasguide for en borger.\n"
		            "Log ind og se anmodningen her:\n%.*s/app/#/requests/%s\n",
		            (int)blen, base_url, str(payload, "request_id"));
	} else if (strcmp(kind, "visit_reminder") == 0) {
		danish_date(str(payload, "visit_on"), day, sizeof(day));
		buf_append_str(subject, "Kompas: påmindelse om besøg i morgen");
		buf_appendf(body,
		            "Husk, at der er planlagt et besøg i dit følgeskab i morgen, %s.\n"
		            "Se forløbet her:\n%.*s/app/#/courses/%s\n",
		            day, (int)blen, base_url, str(payload, "course_id"));
	} else if (strcmp(kind, "referral") == 0) {
		buf_append_str(subject, "Kompas: ny henvisning til jeres forening");
		buf_appendf(body,
		            "Frivilligcentret har henvist en borger til jeres forening.\n"
		            "Log ind og se henvisningen her:\n%.*s/app/#/referrals\n",
		            (int)blen, base_url);
	} else if (strcmp(kind, "daily_digest") == 0) {
		danish_date(str(payload, "day"), day, sizeof(day));
		buf_appendf(subject, "Kompas: arbejdslisterne %s", day);
		buf_appendf(body, "Sådan ser centrets arbejdslister ud i dag, %s:\n\n", day);
		count_line(body, "Venter på første kontakt ud over målet", payload,
		           "awaiting_first_contact");
		count_line(body, "Forløb uden besøg i 14 dage", payload, "courses_without_visits");
		count_line(body, "Opfølgninger der skal laves", payload, "follow_ups_due");
		count_line(body, "Børne- og straffeattester der udløber inden for 30 dage", payload,
		           "expiring_record_checks");
		count_line(body, "Kurser der udløber inden for 30 dage", payload,
		           "expiring_trainings");
		buf_appendf(body, "\nSe listerne her:\n%.*s/app/#/queue\n", (int)blen, base_url);
	} else {
		return -1;
	}
	buf_appendf(body,
	            "\n-- \nDenne mail er sendt automatisk af Kompas og kan ikke besvares.\n"
	            "Du kan slå denne slags mails fra under Min konto: %.*s/app/#/account\n",
	            (int)blen, base_url);
	return 0;
}

/* Base64 of len bytes into b, in lines of at most 76 characters when wrap. */
static void
base64_into(struct buf *b, const void *data, size_t len, bool wrap)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *text = xmalloc(n);

	sodium_bin2base64(text, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	for (size_t i = 0, tl = strlen(text); i < tl; i += 76) {
		buf_append(b, text + i, tl - i < 76 || !wrap ? tl - i : 76);
		if (!wrap)
			break;
		buf_append_str(b, "\r\n");
	}
	free(text);
}

/* The address inside "Name <addr>", or the whole text. */
static void
bare_address(const char *from, char *out, size_t len)
{
	const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt != NULL && gt != NULL)
		snprintf(out, len, "<%.*s>", (int)(gt - lt - 1), lt + 1);
	else
		snprintf(out, len, "<%s>", from);
}

static bool
header_safe(const char *s)
{
	return strpbrk(s, "\r\n<>") == NULL;
}

/* The whole message (RFC 5322, UTF-8 text in base64). */
static void
compose(struct buf *msg, const struct config *cfg, const char *id, const char *to,
        const char *subject, const struct buf *body)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	const char *at = strchr(cfg->mail_from, '@');
	char domain[128];

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(domain, sizeof(domain), "%s", at ? at + 1 : "kompas.invalid");
	domain[strcspn(domain, ">")] = '\0';
	buf_appendf(msg, "Date: %s\r\nFrom: %s\r\nTo: <%s>\r\nSubject: =?UTF-8?B?", date,
	            cfg->mail_from, to);
	base64_into(msg, subject, strlen(subject), false);
	buf_appendf(
	    msg,
	    "?=\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n",
	    id, domain);
	base64_into(msg, body->data, body->len, true);
}

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t
read_upload(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct upload *u = userdata;
	size_t n = size * nmemb;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(ptr, u->data + u->pos, n);
	u->pos += n;
	return n;
}

static unsigned mail_pass(struct bg_worker *w);

/* The mail thread (lib/worker.h); its arg is the configuration. */
static struct bg_worker worker = BG_WORKER_INIT("mail", mail_pass);
static char *password; /* KOMPAS_MAIL_PASSWORD, read at start; never logged */
static bool scheduled; /* the mail thread's: a scheduling pass has run since start */
static uint64_t last_schedule;

/* Send one message; 0, or -1 with the reason in err. */
static int
smtp_send(const struct config *cfg, const char *to, const struct buf *msg, char *err, size_t errlen)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	struct upload u = {msg->data, msg->len, 0};
	char url[300], from[300], rcpt_to[300];
	CURLcode rc;

	if (curl == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	snprintf(url, sizeof(url), "smtp://%s%s%s:%u", strchr(cfg->mail_server, ':') ? "[" : "",
	         cfg->mail_server, strchr(cfg->mail_server, ':') ? "]" : "", cfg->mail_port);
	bare_address(cfg->mail_from, from, sizeof(from));
	snprintf(rcpt_to, sizeof(rcpt_to), "<%s>", to);
	rcpt = curl_slist_append(rcpt, rcpt_to);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp");
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
	                 (long)(cfg->mail_starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
	if (cfg->mail_ca_file[0] != '\0')
		curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->mail_ca_file);
	if (cfg->mail_user[0] != '\0') {
		curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->mail_user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, password ? password : "");
	}
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)cfg->mail_timeout);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
	                 (long)(cfg->mail_timeout < 10 ? cfg->mail_timeout : 10));
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		long code = 0;

		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		if (code > 0)
			snprintf(err, errlen, "%s (server answered %ld)", curl_easy_strerror(rc),
			         code);
		else
			snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK ? 0 : -1;
}

/* --- delivery and scheduling ------------------------------------------ */

static struct db_stmt stmt_claim = DB_STMT(
    "mail_claim",
    "SELECT id, email, kind, payload, attempts FROM kompas_mail_claim(20, make_interval(secs => "
    "$1::int))",
    1);

static struct db_stmt stmt_result =
    DB_STMT("mail_result", "SELECT kompas_mail_result($1, $2, $3::int, $4::int)", 4);

static _Atomic unsigned long long sent_total, failed_total, given_up_total;

void
mail_metrics_render(struct buf *b)
{
	buf_appendf(
	    b,
	    "# HELP kompas_mail_sent_total E-mails the mail server accepted.\n"
	    "# TYPE kompas_mail_sent_total counter\n"
	    "kompas_mail_sent_total %llu\n"
	    "# HELP kompas_mail_failed_attempts_total Delivery attempts that failed "
	    "(retried later).\n"
	    "# TYPE kompas_mail_failed_attempts_total counter\n"
	    "kompas_mail_failed_attempts_total %llu\n"
	    "# HELP kompas_mail_given_up_total E-mails given up after [mail] max_attempts.\n"
	    "# TYPE kompas_mail_given_up_total counter\n"
	    "kompas_mail_given_up_total %llu\n",
	    (unsigned long long)sent_total, (unsigned long long)failed_total,
	    (unsigned long long)given_up_total);
}

/* Render, send and record one claimed row. */
static void
deliver(struct db_conn *c, PGresult *res, int i, void *arg)
{
	const struct config *cfg = arg;
	const char *id = PQgetvalue(res, i, 0), *to = PQgetvalue(res, i, 1),
	           *kind = PQgetvalue(res, i, 2);
	json_t *payload = json_loads(PQgetvalue(res, i, 3), 0, NULL);
	struct buf subject, body, msg;
	char err[300] = "", max_text[16], backoff_text[16];
	enum db_qs qs;
	PGresult *r;

	buf_init(&subject);
	buf_init(&body);
	buf_init(&msg);
	if (!header_safe(to)) {
		snprintf(err, sizeof(err), "the recipient's address cannot be used in a header");
	} else if (payload == NULL ||
	           mail_render(kind, payload, cfg->mail_base_url, &subject, &body) != 0) {
		snprintf(err, sizeof(err), "no text for mail kind %s", kind);
	} else {
		buf_append(&subject, "", 1);
		compose(&msg, cfg, id, to, subject.data, &body);
		smtp_send(cfg, to, &msg, err, sizeof(err));
	}
	if (err[0] != '\0')
		log_msg(LOG_WARN, "mail: %s mail %s not sent (attempt %d): %s", kind, id,
		        atoi(PQgetvalue(res, i, 4)) + 1, err);
	else
		log_msg(LOG_INFO, "mail: %s mail %s sent", kind, id);
	snprintf(max_text, sizeof(max_text), "%u", cfg->mail_max_attempts);
	snprintf(backoff_text, sizeof(backoff_text), "%u", cfg->mail_max_backoff);
	r = db_exec(c, &stmt_result,
	            (const char *const[]){id, err[0] ? err : NULL, max_text, backoff_text}, &qs);
	if (err[0] != '\0')
		failed_total++;
	else
		sent_total++;
	if (r == NULL) {
		log_msg(LOG_WARN, "mail: could not record the result for mail %s", id);
	} else {
		if (PQgetvalue(r, 0, 0)[0] == 't') {
			given_up_total++;
			log_msg(LOG_ERROR, "mail: %s mail %s given up after %u attempts", kind, id,
			        cfg->mail_max_attempts);
		}
		PQclear(r);
	}
	json_decref(payload);
	buf_cleanup(&subject);
	buf_cleanup(&body);
	buf_cleanup(&msg);
}

static int
deliver_due(struct db_conn *c, const struct config *cfg)
{
	return bg_worker_claim_each(c, &stmt_claim, cfg->mail_timeout * 2 + 30, deliver,
	                            (void *)cfg);
}

static struct db_stmt stmt_reminders =
    DB_STMT("mail_reminders", "SELECT kompas_mail_schedule_reminders($1::int)", 1);
static struct db_stmt stmt_claim_digest =
    DB_STMT("mail_claim_digest", "SELECT kompas_mail_claim_digest($1::int)", 1);
static struct db_stmt stmt_digest_context =
    DB_STMT("mail_digest_context", "SELECT kompas_set_context('coordinator', $1::uuid, NULL)", 1);
static struct db_stmt stmt_write_digest =
    DB_STMT("mail_write_digest", "SELECT kompas_mail_write_digest($1::uuid, $2::jsonb)", 2);

struct digest_run {
	const struct config *cfg;
	bool claimed;
	int written;
};

/* Count the entries of list `key` in the work lists whose "what" is `what`
 * (NULL: all). */
static json_int_t
count_of(const json_t *lists, const char *key, const char *what)
{
	json_t *a = json_object_get(lists, key), *v;
	json_int_t n = 0;
	size_t i;

	json_array_foreach(a, i, v) if (what == NULL || strcmp(str(v, "what"), what) == 0) n++;
	return n;
}

/* One transaction: claim a centre whose digest is due, read its work lists
 * as its coordinator would (GET /v1/worklists), write the digest. */
static enum db_qs
digest_one(struct db_conn *c, void *cls)
{
	struct digest_run *run = cls;
	char hour[8], *text;
	const char *centre;
	enum db_qs qs;
	PGresult *res, *wl;
	json_t *lists, *payload;
	json_int_t total = 0;

	run->claimed = false;
	snprintf(hour, sizeof(hour), "%u", run->cfg->mail_digest_hour);
	res = db_exec(c, &stmt_claim_digest, (const char *const[]){hour}, &qs);
	if (res == NULL)
		return qs;
	if (PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return DB_NO_RESULTS;
	}
	run->claimed = true;
	centre = PQgetvalue(res, 0, 0);
	wl = db_exec(c, &stmt_digest_context, (const char *const[]){centre}, &qs);
	if (wl == NULL)
		goto fail;
	PQclear(wl);
	wl = worklists_fetch(c, &qs);
	if (wl == NULL)
		goto fail;
	lists = json_loads(PQgetvalue(wl, 0, 0), 0, NULL);
	PQclear(wl);
	payload =
	    json_pack("{s:I, s:I, s:I, s:I, s:I}", "awaiting_first_contact",
	              count_of(lists, "awaiting_first_contact", NULL), "courses_without_visits",
	              count_of(lists, "courses_without_visits", NULL), "follow_ups_due",
	              count_of(lists, "follow_ups_due", NULL), "expiring_record_checks",
	              count_of(lists, "expiring_checks", "record_check"), "expiring_trainings",
	              count_of(lists, "expiring_checks", "training"));
	json_decref(lists);
	{
		const char *k;
		json_t *v;

		json_object_foreach(payload, k, v) total += json_integer_value(v);
	}
	qs = DB_NO_RESULTS;
	if (total > 0) { /* nothing to do: no mail */
		text = json_dumps(payload, JSON_COMPACT);
		wl = db_exec(c, &stmt_write_digest, (const char *const[]){centre, text}, &qs);
		free(text);
		if (wl != NULL) {
			run->written += atoi(PQgetvalue(wl, 0, 0));
			PQclear(wl);
		}
	}
	json_decref(payload);
	PQclear(res);
	return qs < 0 ? qs : DB_ONE_RESULT;
fail:
	PQclear(res);
	return qs < 0 ? qs : DB_HARD_ERROR;
}

/* Schedule what is due now: the reminders for tomorrow's visits, and the
 * digests of the centres not done today. */
static void
schedule(struct db_conn *c, const struct config *cfg)
{
	struct digest_run run = {.cfg = cfg};
	char hour[8];
	enum db_qs qs;
	PGresult *res;
	int reminders = 0, centres = 0;

	snprintf(hour, sizeof(hour), "%u", cfg->mail_digest_hour);
	res = db_exec(c, &stmt_reminders, (const char *const[]){hour}, &qs);
	if (res == NULL) {
		log_msg(LOG_WARN, "mail: scheduling the visit reminders failed");
		return;
	}
	reminders = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	for (int i = 0; i < 10000; i++) {
		qs = db_tx_run(c, "READ COMMITTED", digest_one, &run);
		if (qs < 0) {
			log_msg(LOG_WARN, "mail: making a daily digest failed");
			break;
		}
		if (!run.claimed)
			break;
		centres++;
	}
	log_msg(LOG_DEBUG, "mail: scheduling pass: %d reminder(s), %d centre(s), %d digest(s)",
	        reminders, centres, run.written);
}

static uint64_t
seconds_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec;
}

/* One pass of the mail thread: the scheduling pass when it is due (first at
 * start, then every [mail] schedule_interval), then delivery of what is due;
 * at once again when something was sent, else in a second. */
static unsigned
mail_pass(struct bg_worker *w)
{
	const struct config *cfg = w->arg;
	struct db_conn *c = bg_worker_db(w);

	if (c == NULL)
		return 1;
	if (!scheduled || seconds_now() - last_schedule >= cfg->mail_schedule_interval) {
		schedule(c, cfg);
		scheduled = true;
		last_schedule = seconds_now();
	}
	return deliver_due(c, cfg) > 0 ? 0 : 1;
}

int
mail_check_config(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->mail_server[0] == '\0')
		return 0;
	if (strchr(cfg->mail_from, '@') == NULL || strpbrk(cfg->mail_from, "\r\n") != NULL) {
		snprintf(err, errlen, "[mail] from must be an e-mail address when server is set");
		return -1;
	}
	if (strncmp(cfg->mail_base_url, "http://", 7) != 0 &&
	    strncmp(cfg->mail_base_url, "https://", 8) != 0) {
		snprintf(err, errlen, "[mail] base_url must be an http or https URL");
		return -1;
	}
	return 0;
}

int
mail_start(const struct config *cfg)
{
	const char *pw = getenv("KOMPAS_MAIL_PASSWORD");

	if (cfg->mail_server[0] == '\0') {
		log_msg(LOG_INFO, "mail: off ([mail] server is not set)");
		return 0;
	}
	worker.arg = (void *)cfg;
	scheduled = false;
	password = pw ? xstrdup(pw) : NULL;
	if (bg_worker_start(&worker, cfg->conninfo, cfg->connect_timeout) != 0)
		return -1;
	log_msg(LOG_INFO, "mail: sending through %s:%u (STARTTLS %s%s)", cfg->mail_server,
	        cfg->mail_port, cfg->mail_starttls ? "required" : "off",
	        cfg->mail_user[0] ? ", with login" : "");
	return 0;
}

void
mail_stop(void)
{
	bg_worker_stop(&worker);
	if (password != NULL) {
		sodium_memzero(password, strlen(password));
		free(password);
		password = NULL;
	}
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* sessions and the caller */
    {"PATCH", "/v1/me", me_update, DB | BODY | SESS, ROLES_ACCOUNTS, me_update_spec, NULL, NULL},
};

API_ROUTES(mail_routes, routes);
