/* app_stub.c - the process-wide state that api/main.c defines; the fuzz
 * targets link every api/ object but main.c, so they get it from here
 * (zeroed: no configuration, no keys). */
#include "../../api/app.h"

struct app app;
