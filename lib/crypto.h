/* crypto.h - every cryptographic operation of kompasd, on libsodium.
 *
 * Keys come from one key file (never committed, not readable by others):
 *
 *   # comments
 *   index 64-hex-chars        one key for keyed hashes: tokens, blind indexes
 *   data 1 64-hex-chars       data-encryption keys with an id (1..65535);
 *   data 2 64-hex-chars       the highest id encrypts, every id decrypts
 *
 * Personal fields are sealed with XChaCha20-Poly1305 (IETF AEAD). A sealed
 * value is: key id (2 bytes, big-endian) | nonce (24) | ciphertext+tag. The
 * associated data binds it to its place ("table/row-id/field") and to the
 * key id, so a ciphertext moved to another row or field does not open. */
#ifndef KOMPAS_CRYPTO_H
#define KOMPAS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define CRYPTO_HASH_BYTES    32
#define CRYPTO_TOKEN_BYTES   32
#define CRYPTO_SEAL_HEADER   (2 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
#define CRYPTO_SEAL_OVERHEAD (CRYPTO_SEAL_HEADER + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define CRYPTO_MAX_DATA_KEYS 16
/* A token as text: prefix (at most 7) + base64url of 32 bytes (43) + NUL. */
#define CRYPTO_TOKEN_TEXT_MAX 52

struct crypto_keys;

/* Load keys from path. Refuses a file that group or others may read, a
 * malformed line (with its number), a missing index or data key, and
 * duplicate ids. Returns 0 and sets *out (free with crypto_keys_free), or
 * -1 with the reason in err. Key material is kept in locked memory. */
int crypto_keys_load(const char *path, struct crypto_keys **out, char *err, size_t errlen);

/* Parse keys from text (same format; no permission check). For tests and
 * for crypto_keys_load. Same return contract. */
int crypto_keys_parse(const char *text, struct crypto_keys **out, char *err, size_t errlen);

/* Wipe and free keys. NULL is accepted. */
void crypto_keys_free(struct crypto_keys *keys);

/* The id of the key new ciphertexts are sealed with. */
unsigned crypto_active_key_id(const struct crypto_keys *keys);

/* A fresh random token: prefix followed by the base64url (no padding)
 * encoding of 32 random bytes, written to out (at least
 * CRYPTO_TOKEN_TEXT_MAX bytes). prefix is at most 7 characters. */
void crypto_token_new(const char *prefix, char *out, size_t outlen);

/* The keyed hash (BLAKE2b-256 under the index key) of a token, for storage
 * and lookup: the token itself is never stored. */
void crypto_token_hash(const struct crypto_keys *keys, const char *token,
                       unsigned char out[CRYPTO_HASH_BYTES]);

/* A blind index: keyed hash of kind ("email", "phone") and an already
 * normalised value; equal inputs give equal outputs, nothing else leaks. */
void crypto_blind_index(const struct crypto_keys *keys, const char *kind, const char *normalised,
                        unsigned char out[CRYPTO_HASH_BYTES]);

/* Normalise an e-mail address for a blind index: trimmed, lower-cased.
 * Returns 0, or -1 when it does not fit outlen or is empty. */
int crypto_normalise_email(const char *in, char *out, size_t outlen);

/* Normalise a phone number: digits only, with a leading + kept; Danish
 * 8-digit numbers get +45, and 0045 or a bare 45 before eight digits become
 * +45. Returns 0, or -1 when fewer than 8 digits remain, a +45 number does
 * not have eight digits, or it does not fit. */
int crypto_normalise_phone(const char *in, char *out, size_t outlen);

/* Seal len bytes of pt bound to ad (a NUL-terminated place such as
 * "citizen/<uuid>/name") with the active key. Returns a new buffer of
 * *outlen bytes (caller frees with free()). Cannot fail except on
 * out-of-memory, which aborts. */
unsigned char *crypto_seal(const struct crypto_keys *keys, const char *ad, const void *pt,
                           size_t len, size_t *outlen);

/* Open a sealed value bound to ad. Returns a new NUL-terminated buffer with
 * *outlen plaintext bytes (caller frees), or NULL when the value is too
 * short, its key id is unknown, or it was tampered with or moved (the
 * authentication fails). */
unsigned char *crypto_open(const struct crypto_keys *keys, const char *ad, const void *sealed,
                           size_t len, size_t *outlen);

/* The key id a sealed value was made with, or 0 when it is too short. */
unsigned crypto_sealed_key_id(const void *sealed, size_t len);

/* A random (version 4) UUID as text into out (37 bytes). */
void crypto_uuid_v4(char out[37]);

/* Hash a password with argon2id (crypto_pwhash_str, interactive limits).
 * Returns 0, or -1 when memory for the hash could not be had. */
int crypto_password_hash(const char *password, char out[crypto_pwhash_STRBYTES]);

/* Verify password against a stored hash string, in constant time with
 * respect to the password. Returns true on a match. */
bool crypto_password_verify(const char *hash, const char *password);

/* True when hash was made with other limits than the current ones. */
bool crypto_password_needs_rehash(const char *hash);

/* Compare two hashes in constant time. */
bool crypto_hash_equal(const unsigned char a[CRYPTO_HASH_BYTES],
                       const unsigned char b[CRYPTO_HASH_BYTES]);

#endif
