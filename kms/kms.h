/* kms.h - AWS KMS (Encrypt, Decrypt) and Secrets Manager (CreateSecret, PutSecretValue) over the
 * awsJson 1.1 protocol with SigV4 header signing (aws-wire.md sections 1, 6.1-6.3, 7).
 *
 * Layout: awsjson.c is the edge (one signed, retried json-1.1 call through common/http.h);
 * kms.c and secrets.c build request bodies and read responses (the pure parts are in kms_int.h
 * for the unit tests) and call it.
 *
 * Secrets: request and response bodies live in SECRET mt_bufs (they carry plaintext and
 * passwords); request JSON is rendered by hand into those buffers, so cJSON never holds a copy of
 * a secret on the way out; on the way in the one secret cJSON string (Decrypt's Plaintext) is
 * wiped before the tree is freed. Error messages and -v lines never contain a body. */
#ifndef MT_KMS_KMS_H
#define MT_KMS_KMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "sigv4/sigv4.h"

struct mt_http;

/* KMS plaintext limits (Encrypt's Plaintext blob, raw bytes before base64). */
#define MT_KMS_PLAINTEXT_MIN 1
#define MT_KMS_PLAINTEXT_MAX 4096
/* CiphertextBlob limits (raw bytes). */
#define MT_KMS_CIPHERTEXT_MAX 6144

#define MT_KMS_SIGNING_NAME "kms"
#define MT_KMS_SM_SIGNING_NAME "secretsmanager"

/* Where and as whom to call. All pointers borrowed; they must outlive every call made with it. */
struct mt_kms_client {
    struct mt_http *http;          /* one per run (connection reuse, retry quota) */
    const char *endpoint;          /* base URL without trailing '/', e.g. https://kms.eu-west-1... */
    const char *region;            /* signing region */
    /* borrowed: the chain's credentials as SigV4 signs them (cmd/: mt_creds_sigv4(&creds));
       session_token NULL or "" for none */
    struct mt_sigv4_creds creds;
    const char *ca_bundle;         /* NULL = system store */
    long *clock_skew;              /* signing clock offset shared by the run (cmd/aws.c); may be
                                      NULL. A skew rejection is signed again once (awserr.h). */
};

/* One encryption-context pair; strings borrowed. */
struct mt_kms_pair {
    const char *key;
    const char *value;
};

/* Parsed --context K=V values. Owned: release with mt_kms_context_release. */
struct mt_kms_context {
    struct mt_kms_pair *pairs; /* key and value point into one allocation per pair */
    size_t n;
};
#define MT_KMS_CONTEXT_INIT {NULL, 0}

/* Adds one "K=V" argument: split at the first '=' (so V may contain '='), K must be non-empty,
 * V may be empty, K must not repeat. Errors: MT_E_USAGE ("--context 'x' must look like
 * KEY=VALUE", "--context key 'k' given twice"), MT_E_NOMEM. On failure ctx is unchanged. */
int mt_kms_context_add(struct mt_kms_context *ctx, const char *kv, struct mt_err *err) MT_WUR;
/* Frees and re-zeroes. NULL-safe, idempotent. */
void mt_kms_context_release(struct mt_kms_context *ctx);

/* The KeyId to send for what the user typed (contract section 5): a key ARN or alias ARN
 * ("arn:..."), "alias/NAME", a key id (UUID, or "mrk-" + 32 hex for multi-Region keys) go as
 * they are; any other NAME means "alias/NAME". Alias names must be 1-256 of [A-Za-z0-9/_-].
 * Caller frees with free(). NULL with MT_E_USAGE (empty, "alias/" alone, bad characters, longer
 * than 2048) or MT_E_NOMEM. */
char *mt_kms_key_id(const char *user_key, struct mt_err *err) MT_WUR;

/* KMS Encrypt of plaintext[0..len) (MT_KMS_PLAINTEXT_MIN..MAX bytes, else MT_E_USAGE naming the
 * limit) under key_id (already normalised by mt_kms_key_id) with the optional encryption context
 * (NULL or empty for none). Appends the base64 CiphertextBlob to ciphertext_b64 (not secret).
 * Errors: MT_E_USAGE, MT_E_AWS / MT_E_AUTH (service error, message "KMS Encrypt: <Type>:
 * <message>"), MT_E_HTTP, MT_E_NOMEM. */
int mt_kms_encrypt(const struct mt_kms_client *c, const char *key_id,
                   const struct mt_kms_context *ectx, const uint8_t *plaintext, size_t len,
                   struct mt_buf *ciphertext_b64, struct mt_err *err) MT_WUR;

/* KMS Decrypt of a base64 CiphertextBlob (whitespace and newlines anywhere are ignored; 1..6144
 * bytes once decoded, else MT_E_USAGE). key_id NULL = let KMS find the key (symmetric keys).
 * Appends the raw plaintext to plaintext, which must be a SECRET buffer (else MT_E_INTERNAL).
 * Errors as mt_kms_encrypt ("KMS Decrypt: ..."). */
int mt_kms_decrypt(const struct mt_kms_client *c, const char *key_id,
                   const struct mt_kms_context *ectx, const char *ciphertext_b64, size_t b64_len,
                   struct mt_buf *plaintext, struct mt_err *err) MT_WUR;

/* ---- Secrets Manager ---- */

struct mt_kms_sm_put {
    const char *name;          /* secret name or ARN (required) */
    const char *secret_string; /* SecretString (required, 1..65536 bytes); secret */
    const char *description;   /* CreateSecret only; NULL = none */
    const char *kms_key_id;    /* CreateSecret only (normalised KeyId); NULL = aws/secretsmanager */
    int overwrite;             /* on ResourceExistsException: PutSecretValue (new version) */
};

struct mt_kms_sm_result {
    char *arn;        /* owned: free() */
    char *version_id; /* owned: free() */
    int created;      /* 1 = CreateSecret made a new secret, 0 = PutSecretValue added a version */
};
#define MT_KMS_SM_RESULT_INIT {NULL, NULL, 0}
void mt_kms_sm_result_release(struct mt_kms_sm_result *r);

/* Stores p->secret_string: CreateSecret (ClientRequestToken = a fresh UUIDv4, the same for every
 * retry of the call, so a retried create is idempotent). When the secret exists: without
 * p->overwrite MT_E_AWS "secret 'NAME' already exists (use --overwrite to add a new version)"
 * and nothing is changed; with it PutSecretValue (own fresh token), which makes the new version
 * AWSCURRENT. Other errors as mt_kms_encrypt ("Secrets Manager CreateSecret: ..."). out is
 * filled on success (release it in every case). */
int mt_kms_sm_put_secret(const struct mt_kms_client *c, const struct mt_kms_sm_put *p,
                         struct mt_kms_sm_result *out, struct mt_err *err) MT_WUR;

/* The SecretString of a database user, RDS style: {"username":..,"password":..} plus "engine",
 * "host", "port" (a number), "dbname" when set (NULL / port <= 0 = left out; username NULL = left
 * out). Appended to out, which must be SECRET (else MT_E_INTERNAL). Errors: MT_E_NOMEM. */
struct mt_kms_db_secret {
    const char *username, *password, *engine, *host, *dbname;
    int port;
};
int mt_kms_sm_db_secret(const struct mt_kms_db_secret *s, struct mt_buf *out,
                        struct mt_err *err) MT_WUR;

/* ---- the json-1.1 call (awsjson.c) ---- */

/* One awsJson 1.1 call: POST <endpoint>/ with Content-Type application/x-amz-json-1.1,
 * X-Amz-Target `target` ("TrentService.Encrypt", "secretsmanager.CreateSecret"), signed for
 * (c->region, signing_name) and re-signed with the current time before every attempt of
 * mt_http_call_retry. body is sent as is. On a 2xx response returns 0 with the body appended to
 * out (must be SECRET: it may carry plaintext). Otherwise -1: the service error (MT_E_AWS or
 * MT_E_AUTH, aws_type, request_id, http_status set) with the message prefixed "<what>: ", or the
 * transport error. */
int mt_kms_json_call(const struct mt_kms_client *c, const char *signing_name, const char *target,
                     const char *what, const struct mt_buf *body, struct mt_buf *out,
                     struct mt_err *err) MT_WUR;

/* The same call for any content type: target NULL sends no X-Amz-Target (the AWS query protocol,
 * content_type "application/x-www-form-urlencoded; charset=utf-8", body "Action=...&Version=..."). */
int mt_kms_aws_call(const struct mt_kms_client *c, const char *signing_name,
                    const char *content_type, const char *target, const char *what,
                    const struct mt_buf *body, struct mt_buf *out, struct mt_err *err) MT_WUR;

#endif
