/* fuzz_config.c - libFuzzer target: config_parse (lib/config.c) on
 * arbitrary file contents.
 *
 * Invariants checked: a failure leaves a message "fuzz.conf:<line>: ..."
 * within the buffer; a success leaves the numeric settings inside what
 * config.c allows to be expressed (port below 65536); parsing the same
 * text again into a fresh config gives the same result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/config.h"

static int
parse(const uint8_t *data, size_t size, char *err, size_t errlen, unsigned *port)
{
	struct config c;
	int rc;

	config_init(&c);
	err[0] = '\0';
	rc = config_parse(&c, (const char *)data, size, "fuzz.conf", err, errlen);
	*port = c.port;
	config_cleanup(&c);
	config_cleanup(&c); /* documented as safe */
	return rc;
}

/* libFuzzer's entry point: one input, any bytes. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], err2[256];
	unsigned port, port2;
	int rc = parse(data, size, err, sizeof(err), &port);
	int rc2 = parse(data, size, err2, sizeof(err2), &port2);

	if (rc != rc2 || strcmp(err, err2) != 0 || port != port2)
		abort();
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && strncmp(err, "fuzz.conf:", 10) != 0)
		abort();
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (rc == 0 && port > 65535)
		abort();
	return 0;
}
