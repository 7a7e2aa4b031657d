/* sealed.c - one field of personal data opened or sealed (sealed.h). */
#include <stdlib.h>

#include <sodium.h>

#include "../lib/crypto.h"
#include "../lib/db.h"
#include "../lib/row.h"
#include "app.h"
#include "sealed.h"

json_t *
sealed_json(const PGresult *res, int row, const char *column, const char *place)
{
	size_t len = 0, plen = 0;
	unsigned char *sealed = db_bytea_value(res, row, row_col(res, column), &len), *plain;
	json_t *v;

	if (sealed == NULL)
		return json_null();
	plain = crypto_open(app.keys, place, sealed, len, &plen);
	free(sealed);
	if (plain == NULL)
		return NULL;
	v = json_stringn((const char *)plain, plen);
	sodium_memzero(plain, plen);
	free(plain);
	return v ? v : json_null();
}

char *
sealed_param(const char *place, const char *plain, size_t len)
{
	size_t slen;
	unsigned char *sealed = crypto_seal(app.keys, place, plain, len, &slen);
	char *param = db_bytea_param(sealed, slen);

	free(sealed);
	return param;
}
