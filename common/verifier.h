/* verifier.h - the password verifiers databases store (pure: the salt is a parameter).
 *
 * - PostgreSQL SCRAM-SHA-256 (RFC 5802/7677, postgres scram_build_secret):
 *   "SCRAM-SHA-256$<iter>:<b64 salt>$<b64 StoredKey>:<b64 ServerKey>".
 *   Only ASCII passwords are accepted: for them SASLprep is the identity (or, for control
 *   characters, fails and both libpq and the server fall back to the raw bytes), so the verifier
 *   matches what the server computes. Non-ASCII would need real SASLprep (NFKC, mapping tables):
 *   refused with MT_E_USAGE. Generated passwords are always ASCII.
 * - MySQL/MariaDB mysql_native_password: "*" + upper-case hex SHA1(SHA1(pw)).
 * - MySQL 8 caching_sha2_password: "$A$005$" + 20 salt bytes + 43-character SHA-256-crypt digest
 *   over the whole 20-byte salt (MySQL's my_crypt_genhash; glibc would cut the salt to 16), shown as
 *   a 0x... hex literal because the salt bytes may be control characters.
 *
 * Verifiers are password-equivalent for offline guessing: outputs go to caller buffers, which
 * should be secret (MT_BUF_INIT_SECRET). Every intermediate key is wiped. */
#ifndef MT_COMMON_VERIFIER_H
#define MT_COMMON_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"

enum mt_verifier_kind {
    MT_VERIFIER_SCRAM_SHA256 = 1, /* "scram-sha-256" */
    MT_VERIFIER_MYSQL_NATIVE,     /* "mysql-native" */
    MT_VERIFIER_CACHING_SHA2      /* "caching-sha2" */
};

#define MT_SCRAM_SALT_LEN 16
#define MT_SCRAM_ITERATIONS 4096
#define MT_CSHA2_SALT_LEN 20
#define MT_CSHA2_ROUNDS 5000
#define MT_SHA256_CRYPT_LEN 43 /* characters of the encoded digest */

/* Maps a --hash name to its kind: 0, or -1 for an unknown name (no err: the caller words it). */
int mt_verifier_kind_parse(const char *name, enum mt_verifier_kind *out) MT_WUR;
/* The --hash name of kind ("scram-sha-256", ...), or NULL. */
const char *mt_verifier_kind_name(enum mt_verifier_kind kind);
/* Salt bytes kind needs (16, 0 or 20). */
size_t mt_verifier_salt_len(enum mt_verifier_kind kind);

/* The SCRAM-SHA-256 keys (each MT_SHA256_LEN bytes). Wipe after use. */
struct mt_scram_keys {
    uint8_t salted_password[MT_SHA256_LEN];
    uint8_t client_key[MT_SHA256_LEN];
    uint8_t stored_key[MT_SHA256_LEN];
    uint8_t server_key[MT_SHA256_LEN];
};

/* Derives the SCRAM-SHA-256 keys. MT_E_USAGE for a non-ASCII password, MT_E_CRYPTO if libcrypto's
 * PBKDF2 fails. keys is wiped on failure. */
int mt_scram_sha256_keys(const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
                         unsigned iterations, struct mt_scram_keys *keys, struct mt_err *err) MT_WUR;

/* Appends "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" to out. Errors as
 * mt_scram_sha256_keys, plus MT_E_NOMEM. */
int mt_verifier_scram_sha256(const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
                             unsigned iterations, struct mt_buf *out, struct mt_err *err) MT_WUR;

/* Appends "*" + 40 upper-case hex digits to out. MT_E_CRYPTO (SHA-1 failed), MT_E_NOMEM. */
int mt_verifier_mysql_native(const char *pw, size_t pwlen, struct mt_buf *out,
                             struct mt_err *err) MT_WUR;

/* MySQL's generate_user_salt() on random bytes, in place: each byte &= 0x7f, then NUL and '$'
 * are bumped by one. */
void mt_verifier_mysql_salt_fixup(uint8_t *salt, size_t n);

/* Drepper's SHA-256-crypt ($5$) digest, written by hand over libsodium's SHA-256 so that any salt
 * length works (glibc truncates at 16, MySQL uses 20): the 43-character encoded hash part only,
 * NUL-terminated in out. rounds 1000..999999999. Fails (MT_E_USAGE) only for rounds out of range. */
int mt_sha256_crypt(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                    unsigned long rounds, char out[MT_SHA256_CRYPT_LEN + 1],
                    struct mt_err *err) MT_WUR;

/* Appends the caching_sha2_password verifier as a hex literal: "0x" + upper-case hex of
 * "$A$" + 3-digit rounds/1000 + "$" + salt (MT_CSHA2_SALT_LEN bytes, used as given: pass it
 * through mt_verifier_mysql_salt_fixup first) + digest. rounds: a multiple of 1000 from 5000 to
 * 4095000 (MySQL's range). MT_E_USAGE for a salt byte that is NUL or '$' (MySQL cuts the salt
 * there) or bad rounds; MT_E_NOMEM. */
int mt_verifier_caching_sha2(const char *pw, size_t pwlen, const uint8_t *salt,
                             unsigned long rounds, struct mt_buf *out, struct mt_err *err) MT_WUR;

/* Dispatcher used by mkpassword: appends the verifier of kind with default parameters.
 * salt must hold mt_verifier_salt_len(kind) bytes (NULL when that is 0); for caching-sha2 it
 * must already be fixed up. */
int mt_verifier_make(enum mt_verifier_kind kind, const char *pw, size_t pwlen,
                     const uint8_t *salt, struct mt_buf *out, struct mt_err *err) MT_WUR;

#endif
