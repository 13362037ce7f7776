/* kms_int.h - the pure parts of kms/ (request bodies, response fields, UUIDs, base64), visible to
 * tests/unit/test_kms.c. No I/O, no clock, no RNG here. */
#ifndef MT_KMS_KMS_INT_H
#define MT_KMS_KMS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "kms/kms.h"

/* Appends s[0..n) as a JSON string literal (quotes included): '"' '\\' and control characters
 * escaped, other bytes (UTF-8) as they are. Returns 0 or -1 (memory / cap). */
int mt_kms_json_str(struct mt_buf *b, const char *s, size_t n) MT_WUR;

/* {"KeyId":"..","Plaintext":"<b64>","EncryptionContext":{..}} into out (SECRET, else -1 with
 * MT_E_INTERNAL). ectx NULL or empty: no EncryptionContext member. */
int mt_kms_encrypt_body(const char *key_id, const struct mt_kms_context *ectx,
                        const char *plaintext_b64, struct mt_buf *out, struct mt_err *err) MT_WUR;
/* {"CiphertextBlob":"<b64>"[,"EncryptionContext":{..}][,"KeyId":".."]} into out. */
int mt_kms_decrypt_body(const char *key_id, const struct mt_kms_context *ectx,
                        const char *ciphertext_b64, struct mt_buf *out, struct mt_err *err) MT_WUR;

/* Decodes base64 (standard alphabet, '=' padding; ASCII whitespace anywhere ignored) into out
 * (appended; out should be SECRET when the data is). Returns the decoded length, or -1 with
 * MT_E_USAGE "<what> is not valid base64" / MT_E_NOMEM. */
long mt_kms_b64_decode(const char *in, size_t n, const char *what, struct mt_buf *out,
                       struct mt_err *err) MT_WUR;
/* Appends the base64 (standard, padded) of in[0..n) to out. Returns 0 or -1 (MT_E_NOMEM). */
int mt_kms_b64_encode(const uint8_t *in, size_t n, struct mt_buf *out, struct mt_err *err) MT_WUR;

/* The string member `field` of the JSON object in body[0..len) into out (appended). secret: the
 * cJSON copy is wiped before it is freed. Errors: MT_E_AWS "<what>: malformed response (no
 * '<field>')". */
int mt_kms_resp_string(const char *body, size_t len, const char *field, int secret,
                       const char *what, struct mt_buf *out, struct mt_err *err) MT_WUR;

/* A version 4 UUID from 16 random bytes: lower-case 8-4-4-4-12 with the version nibble 4 and
 * the RFC 4122 variant bits (36 characters + NUL). */
void mt_kms_uuid4(const uint8_t rnd[16], char out[37]);

/* CreateSecret and PutSecretValue bodies (token: the ClientRequestToken). out must be SECRET. */
int mt_kms_sm_create_body(const struct mt_kms_sm_put *p, const char *token, struct mt_buf *out,
                          struct mt_err *err) MT_WUR;
int mt_kms_sm_putvalue_body(const struct mt_kms_sm_put *p, const char *token, struct mt_buf *out,
                            struct mt_err *err) MT_WUR;

#endif
