/* passwords.c - what a password must be: long enough, not too long, not on
 * the list of the most common passwords (Danish ones included), not the
 * e-mail address. Length counts characters, not bytes. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "../lib/spec.h"
#include "app.h"

#define PASSWORD_MIN 10
#define PASSWORD_MAX 256

/* The most common passwords of breach corpora that are 10 characters or
 * longer, and Danish favourites; compared case-insensitively. */
static const char *const common[] = {
    "1234567890",  "12345678910",  "123456789a",   "0123456789",    "qwertyuiop",
    "1q2w3e4r5t",  "1qaz2wsx3edc", "qwerty1234",   "password1",     "password12",
    "password123", "password1234", "passw0rd123",  "iloveyou12",    "football123",
    "baseball123", "welcome123",   "welcome1234",  "administrator", "adminadmin",
    "letmein123",  "changeme123",  "monkey1234",   "dragon1234",    "sunshine123",
    "princess123", "trustno1234",  "abcdefghij",   "abcd123456",    "a1b2c3d4e5",
    "1111111111",  "0000000000",   "9876543210",   "987654321a",    "zaq12wsxcde",
    "kodeord123",  "kodeord1234",  "adgangskode",  "adgangskode1",  "adgangskode123",
    "hejmeddig1",  "hejmeddig12",  "hejmeddig123", "sommer2024",    "sommer2025",
    "sommer2026",  "vinter2024",   "vinter2025",   "vinter2026",    "efterar2025",
    "foraar2025",  "danmark123",   "danmark1234",  "kobenhavn1",    "koebenhavn",
    "odense1234",  "silkeborg1",   "frivillig1",   "frivillig123",  "kompas1234",
    "kompasguide", "socialkompas", "velkommen1",   "velkommen12",   "velkommen123",
    "qwertyuiop1", "asdfghjkl1",   "zxcvbnm123",   "mypassword1",   "mypassword",
    "superman123", "batman1234",   "computer123",  "internet123",   "starwars123",
};

const char *
password_problem(const char *password, const char *email)
{
	size_t chars = spec_utf8_length(password, strlen(password));
	size_t at;

	if (chars < PASSWORD_MIN)
		return "must be at least 10 characters long";
	if (chars > PASSWORD_MAX)
		return "must be at most 256 characters long";
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strcasecmp(password, common[i]) == 0)
			return "is one of the most commonly used passwords";
	if (email != NULL) {
		at = strcspn(email, "@");
		if (strcasecmp(password, email) == 0 ||
		    (at >= 4 && strlen(password) == at && strncasecmp(password, email, at) == 0))
			return "must not be the e-mail address";
	}
	for (const char *p = password + 1; *p; p++)
		if (*p != *password)
			return NULL;
	return "must not repeat one character";
}
