/* app_stub.c - the process-wide state that api/commands/main.c defines; the fuzz
 * targets link every api/ object but main.c, so they get it from here
 * (zeroed: no configuration, no keys), and the joined route table that
 * main() builds before anything else. */
#include <stdio.h>
#include <stdlib.h>

#include "../../api/app.h"
#include "../../api/routes.h"

struct app app;

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* libFuzzer calls this once before the first input: join the resources'
 * route tables as kompasd's main() does (api/routes.h). */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[256];

	(void)argc;
	(void)argv;
	if (api_routes_init(why, sizeof(why)) != 0) {
		fprintf(stderr, "route table: %s\n", why);
		abort();
	}
	return 0;
}
