/* test_static.c - unit tests for lib/static.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/static.h"

static void
test_path_check(void **state)
{
	(void)state;
	assert_int_equal(static_path_check("index.html"), STATIC_OK);
	assert_int_equal(static_path_check("js/pages/queue.js"), STATIC_OK);
	assert_int_equal(static_path_check("a.b.c"), STATIC_OK);
	assert_int_equal(static_path_check(""), STATIC_MALFORMED);
	assert_int_equal(static_path_check(".."), STATIC_MALFORMED);
	assert_int_equal(static_path_check("../etc/passwd"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("js/../../x"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("js/./app.js"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("js//app.js"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("/etc/passwd"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("js/"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("js\\..\\x"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("%2e%2e/x"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("a\nb"), STATIC_MALFORMED);
	assert_int_equal(static_path_check("a/b/c/d/e/f/g/h/i"), STATIC_MALFORMED);
	assert_int_equal(static_path_check(".git/config"), STATIC_HIDDEN);
	assert_int_equal(static_path_check("js/.env"), STATIC_HIDDEN);
	assert_int_equal(static_path_check("...x"), STATIC_HIDDEN);
}

static void
test_content_type(void **state)
{
	(void)state;
	assert_string_equal(static_content_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(static_content_type("js/app.js"), "text/javascript; charset=utf-8");
	assert_string_equal(static_content_type("STYLE.CSS"), "text/css; charset=utf-8");
	assert_string_equal(static_content_type("i/logo.svg"), "image/svg+xml");
	assert_string_equal(static_content_type("icon.png"), "image/png");
	assert_string_equal(static_content_type("favicon.ico"), "image/x-icon");
	assert_string_equal(static_content_type("m.webmanifest"), "application/manifest+json");
	assert_string_equal(static_content_type("robots.txt"), "text/plain; charset=utf-8");
	assert_string_equal(static_content_type("da.json"), "application/json");
	assert_null(static_content_type("README.md"));
	assert_null(static_content_type("Makefile"));
	assert_null(static_content_type("js.d/app"));
	assert_null(static_content_type("x.html.bak"));
}

static void
test_etag_matches(void **state)
{
	(void)state;
	assert_false(static_etag_matches(NULL, "\"a-1\""));
	assert_true(static_etag_matches("\"a-1\"", "\"a-1\""));
	assert_true(static_etag_matches("W/\"a-1\"", "\"a-1\""));
	assert_true(static_etag_matches("\"x\", \"a-1\"", "\"a-1\""));
	assert_true(static_etag_matches("*", "\"a-1\""));
	assert_false(static_etag_matches("\"a-12\"", "\"a-1\""));
	assert_false(static_etag_matches("\"a-1", "\"a-1\""));
	assert_false(static_etag_matches("", "\"a-1\""));
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_file_read_stays_beneath_root(void **state)
{
	char dir[] = "/tmp/kompas-static-XXXXXX";
	char root[64], p[128], q[128];
	struct static_file f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/js", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/js/app.js", root);
	put(p, "let x = 1;\n");
	snprintf(p, sizeof(p), "%s/secret.txt", dir);
	put(p, "outside\n");
	snprintf(q, sizeof(q), "%s/link.txt", root);
	assert_int_equal(symlink(p, q), 0);
	snprintf(q, sizeof(q), "%s/up", root);
	assert_int_equal(symlink(dir, q), 0);
	snprintf(q, sizeof(q), "%s/inner.js", root);
	assert_int_equal(symlink("js/app.js", q), 0);

	assert_int_equal(static_file_read(root, "js/app.js", &f), 0);
	assert_int_equal(f.len, 11);
	assert_memory_equal(f.data, "let x = 1;\n", 11);
	assert_int_equal(f.etag[0], '"');
	static_file_free(&f);
	/* symlinks are never followed, not even to a file inside */
	assert_int_equal(static_file_read(root, "link.txt", &f), -1);
	assert_null(f.data);
	assert_int_equal(static_file_read(root, "up/secret.txt", &f), -1);
	assert_int_equal(static_file_read(root, "inner.js", &f), -1);
	/* only regular files */
	assert_int_equal(static_file_read(root, "js", &f), -1);
	assert_int_equal(static_file_read(root, "missing.js", &f), -1);
	assert_int_equal(static_file_read(root, "js/app.js/x", &f), -1);

	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_check),
	    cmocka_unit_test(test_content_type),
	    cmocka_unit_test(test_etag_matches),
	    cmocka_unit_test(test_file_read_stays_beneath_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
