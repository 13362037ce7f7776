/* hash.h - the hashes mytools needs, each from the library the brief assigns it to:
 * SHA-256 and HMAC-SHA-256 from libsodium; SHA-1 and PBKDF2 from OpenSSL libcrypto (SHA-1 from its
 * static archive, PBKDF2 from the shared library loaded on first use: see hash.c). */
#ifndef MT_COMMON_HASH_H
#define MT_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MT_SHA256_LEN 32
#define MT_SHA1_LEN 20

void mt_sha256(uint8_t out[MT_SHA256_LEN], const void *data, size_t len);
void mt_hmac_sha256(uint8_t out[MT_SHA256_LEN], const void *key, size_t keylen, const void *data,
                    size_t len);
/* Returns 0, or -1 if libcrypto fails. */
int mt_sha1(uint8_t out[MT_SHA1_LEN], const void *data, size_t len);
/* PBKDF2-HMAC-SHA-256 (libcrypto). Returns 0 or -1. */
int mt_pbkdf2_hmac_sha256(const void *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
                          unsigned iterations, uint8_t *out, size_t outlen);
/* OpenSSL's version string, or why libcrypto could not be loaded. */
const char *mt_crypto_lib_version(void);
const char *mt_crypto_lib_error(void);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void mt_hex(char *out, const uint8_t *in, size_t n);
/* Upper-case hex. */
void mt_hex_upper(char *out, const uint8_t *in, size_t n);

#endif
