/* kms.c - KMS Encrypt and Decrypt (aws-wire.md 6.2): key ids, encryption context, base64, the
 * request bodies (rendered by hand into secret buffers) and the response fields. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/mem.h"
#include "kms/kms.h"
#include "kms/kms_int.h"

#define KEY_ID_MAX 2048
#define ALIAS_NAME_MAX 256

static int nomem(struct mt_err *err)
{
    return mt_err_set(err, MT_E_NOMEM, "out of memory");
}

/* ---- encryption context ---- */

int mt_kms_context_add(struct mt_kms_context *ctx, const char *kv, struct mt_err *err)
{
    const char *eq = kv ? strchr(kv, '=') : NULL;
    struct mt_kms_pair *np;
    size_t klen, i;
    char *copy;

    if (!eq || eq == kv)
        return mt_err_set(err, MT_E_USAGE, "--context '%s' must look like KEY=VALUE",
                          kv ? kv : "");
    klen = (size_t)(eq - kv);
    for (i = 0; i < ctx->n; i++)
        if (strlen(ctx->pairs[i].key) == klen && !memcmp(ctx->pairs[i].key, kv, klen))
            return mt_err_set(err, MT_E_USAGE, "--context key '%.*s' given twice", (int)klen, kv);
    copy = strdup(kv);
    if (!copy)
        return nomem(err);
    np = realloc(ctx->pairs, (ctx->n + 1) * sizeof(*np));
    if (!np) {
        free(copy);
        return nomem(err);
    }
    ctx->pairs = np;
    copy[klen] = '\0';
    ctx->pairs[ctx->n].key = copy;
    ctx->pairs[ctx->n].value = copy + klen + 1;
    ctx->n++;
    return 0;
}

void mt_kms_context_release(struct mt_kms_context *ctx)
{
    size_t i;

    if (!ctx)
        return;
    for (i = 0; i < ctx->n; i++)
        free((char *)ctx->pairs[i].key); /* key and value share one allocation */
    free(ctx->pairs);
    ctx->pairs = NULL;
    ctx->n = 0;
}

/* ---- key ids ---- */

static int is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* 8-4-4-4-12 hex, or "mrk-" + 32 hex (multi-Region key). */
static int is_key_id(const char *s)
{
    static const size_t groups[] = {8, 4, 4, 4, 12};
    size_t i;

    if (!strncmp(s, "mrk-", 4))
        return strlen(s) == 36 && is_hex(s + 4, 32);
    if (strlen(s) != 36)
        return 0;
    for (i = 0; i < 5; i++) {
        if (!is_hex(s, groups[i]))
            return 0;
        s += groups[i];
        if (i < 4 && *s++ != '-')
            return 0;
    }
    return 1;
}

static int alias_name_ok(const char *s)
{
    size_t n = strlen(s), i;

    if (n < 1 || n > ALIAS_NAME_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '/' && c != '_' && c != '-')
            return 0;
    }
    return 1;
}

char *mt_kms_key_id(const char *k, struct mt_err *err)
{
    char *out;
    size_t n;

    if (!k || !*k) {
        mt_err_set(err, MT_E_USAGE, "empty KMS key: give a key id, key ARN, alias/NAME or NAME");
        return NULL;
    }
    n = strlen(k);
    if (n > KEY_ID_MAX) {
        mt_err_set(err, MT_E_USAGE, "KMS key is longer than %d characters", KEY_ID_MAX);
        return NULL;
    }
    if (!strncmp(k, "arn:", 4) || is_key_id(k)) {
        size_t i;
        for (i = 0; i < n; i++)
            if ((unsigned char)k[i] <= 0x20 || (unsigned char)k[i] >= 0x7f) {
                mt_err_set(err, MT_E_USAGE, "KMS key '%s' contains a space or control character",
                           k);
                return NULL;
            }
        out = strdup(k);
    } else if (!strncmp(k, "alias/", 6)) {
        if (!alias_name_ok(k + 6)) {
            mt_err_set(err, MT_E_USAGE, "'%s' is not a valid KMS alias name (letters, digits, "
                                        "'/', '_' and '-', at most 256)", k);
            return NULL;
        }
        out = strdup(k);
    } else {
        if (!alias_name_ok(k)) {
            mt_err_set(err, MT_E_USAGE, "'%s' is not a KMS key id, key ARN, alias/NAME or alias "
                                        "name", k);
            return NULL;
        }
        out = malloc(n + 7);
        if (out) {
            memcpy(out, "alias/", 6);
            memcpy(out + 6, k, n + 1);
        }
    }
    if (!out)
        nomem(err);
    return out;
}

/* ---- JSON and base64 ---- */

int mt_kms_json_str(struct mt_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    if (mt_buf_addc(b, '"') < 0)
        return -1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = mt_buf_add(b, e, 2);
        } else if (c == '\n') {
            rc = mt_buf_add(b, "\\n", 2);
        } else if (c == '\r') {
            rc = mt_buf_add(b, "\\r", 2);
        } else if (c == '\t') {
            rc = mt_buf_add(b, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = mt_buf_add(b, e, 6);
        } else {
            rc = mt_buf_addc(b, (char)c);
        }
        if (rc < 0)
            return -1;
    }
    return mt_buf_addc(b, '"');
}

static int add_member(struct mt_buf *b, int *first, const char *name, const char *value)
{
    if ((!*first && mt_buf_addc(b, ',') < 0) || mt_kms_json_str(b, name, strlen(name)) < 0 ||
        mt_buf_addc(b, ':') < 0 || mt_kms_json_str(b, value, strlen(value)) < 0)
        return -1;
    *first = 0;
    return 0;
}

static int add_context(struct mt_buf *b, int *first, const struct mt_kms_context *ectx)
{
    size_t i;

    if (!ectx || !ectx->n)
        return 0;
    if ((!*first && mt_buf_addc(b, ',') < 0) || mt_buf_adds(b, "\"EncryptionContext\":{") < 0)
        return -1;
    for (i = 0; i < ectx->n; i++) {
        if ((i && mt_buf_addc(b, ',') < 0) ||
            mt_kms_json_str(b, ectx->pairs[i].key, strlen(ectx->pairs[i].key)) < 0 ||
            mt_buf_addc(b, ':') < 0 ||
            mt_kms_json_str(b, ectx->pairs[i].value, strlen(ectx->pairs[i].value)) < 0)
            return -1;
    }
    *first = 0;
    return mt_buf_addc(b, '}');
}

int mt_kms_encrypt_body(const char *key_id, const struct mt_kms_context *ectx,
                        const char *plaintext_b64, struct mt_buf *out, struct mt_err *err)
{
    int first = 1;

    if (!out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "KMS request body must be a secret buffer");
    if (mt_buf_addc(out, '{') < 0 || add_member(out, &first, "KeyId", key_id) < 0 ||
        add_member(out, &first, "Plaintext", plaintext_b64) < 0 ||
        add_context(out, &first, ectx) < 0 || mt_buf_addc(out, '}') < 0)
        return nomem(err);
    return 0;
}

int mt_kms_decrypt_body(const char *key_id, const struct mt_kms_context *ectx,
                        const char *ciphertext_b64, struct mt_buf *out, struct mt_err *err)
{
    int first = 1;

    if (!out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "KMS request body must be a secret buffer");
    if (mt_buf_addc(out, '{') < 0 || add_member(out, &first, "CiphertextBlob", ciphertext_b64) < 0 ||
        add_context(out, &first, ectx) < 0 ||
        (key_id && add_member(out, &first, "KeyId", key_id) < 0) || mt_buf_addc(out, '}') < 0)
        return nomem(err);
    return 0;
}

long mt_kms_b64_decode(const char *in, size_t n, const char *what, struct mt_buf *out,
                       struct mt_err *err)
{
    size_t cap = n / 4 * 3 + 3, got = 0;
    const char *end = NULL;

    if (mt_buf_grow(out, cap) < 0)
        return nomem(err);
    if (sodium_base642bin((unsigned char *)out->p + out->len, cap, in, n, " \t\r\n\v\f", &got,
                          &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != in + n) {
        mt_memzero(out->p + out->len, cap);
        return mt_err_set(err, MT_E_USAGE, "%s is not valid base64", what);
    }
    out->len += got;
    out->p[out->len] = '\0';
    return (long)got;
}

int mt_kms_b64_encode(const uint8_t *in, size_t n, struct mt_buf *out, struct mt_err *err)
{
    size_t need = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);

    if (mt_buf_grow(out, need) < 0)
        return nomem(err);
    sodium_bin2base64(out->p + out->len, need, in, n, sodium_base64_VARIANT_ORIGINAL);
    out->len += need - 1;
    return 0;
}

int mt_kms_resp_string(const char *body, size_t len, const char *field, int secret,
                       const char *what, struct mt_buf *out, struct mt_err *err)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    cJSON *item = cJSON_GetObjectItemCaseSensitive(root, field);
    int rc = -1;

    if (!cJSON_IsString(item) || !item->valuestring) {
        mt_err_set(err, MT_E_AWS, "%s: malformed response (no '%s')", what, field);
        goto out;
    }
    if (mt_buf_adds(out, item->valuestring) < 0) {
        nomem(err);
        goto out;
    }
    rc = 0;
out:
    if (secret)
        mt_json_wipe_string(item);
    cJSON_Delete(root);
    return rc;
}

void mt_kms_uuid4(const uint8_t rnd[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    size_t i, o = 0;

    memcpy(b, rnd, 16);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
    mt_memzero(b, sizeof(b));
}

/* ---- the calls ---- */

int mt_kms_encrypt(const struct mt_kms_client *c, const char *key_id,
                   const struct mt_kms_context *ectx, const uint8_t *plaintext, size_t len,
                   struct mt_buf *ciphertext_b64, struct mt_err *err)
{
    struct mt_buf b64 = MT_BUF_INIT_SECRET, body = MT_BUF_INIT_SECRET, resp = MT_BUF_INIT_SECRET;
    int rc = -1;

    if (len < MT_KMS_PLAINTEXT_MIN || len > MT_KMS_PLAINTEXT_MAX)
        return mt_err_set(err, MT_E_USAGE,
                          "KMS can encrypt %d to %d bytes of plaintext; got %zu bytes",
                          MT_KMS_PLAINTEXT_MIN, MT_KMS_PLAINTEXT_MAX, len);
    if (mt_kms_b64_encode(plaintext, len, &b64, err) < 0 ||
        mt_kms_encrypt_body(key_id, ectx, mt_buf_str(&b64), &body, err) < 0)
        goto out;
    mt_buf_release(&b64); /* the body holds the only copy now */
    if (mt_kms_json_call(c, MT_KMS_SIGNING_NAME, "TrentService.Encrypt", "KMS Encrypt", &body,
                         &resp, err) < 0 ||
        mt_kms_resp_string(resp.p, resp.len, "CiphertextBlob", 0, "KMS Encrypt", ciphertext_b64,
                           err) < 0)
        goto out;
    rc = 0;
out:
    mt_buf_release(&b64);
    mt_buf_release(&body);
    mt_buf_release(&resp);
    return rc;
}

/* Decrypt's service call, with a hint for the two errors users meet. */
static int decrypt_call(const struct mt_kms_client *c, const struct mt_buf *body,
                        struct mt_buf *resp, struct mt_err *err)
{
    if (mt_kms_json_call(c, MT_KMS_SIGNING_NAME, "TrentService.Decrypt", "KMS Decrypt", body,
                         resp, err) == 0)
        return 0;
    if (!strcmp(err->aws_type, "InvalidCiphertextException"))
        mt_err_hint(err, "the ciphertext is damaged, or its encryption context differs: give "
                         "exactly the --context pairs used to encrypt");
    else if (!strcmp(err->aws_type, "IncorrectKeyException"))
        mt_err_hint(err, "the ciphertext was not made with the key given by --key");
    return -1;
}

int mt_kms_decrypt(const struct mt_kms_client *c, const char *key_id,
                   const struct mt_kms_context *ectx, const char *ciphertext_b64, size_t b64_len,
                   struct mt_buf *plaintext, struct mt_err *err)
{
    struct mt_buf blob = MT_BUF_INIT, canon = MT_BUF_INIT, body = MT_BUF_INIT_SECRET;
    struct mt_buf resp = MT_BUF_INIT_SECRET, pt64 = MT_BUF_INIT_SECRET;
    long n;
    int rc = -1;

    if (!plaintext->secret)
        return mt_err_set(err, MT_E_INTERNAL, "KMS plaintext must go into a secret buffer");
    /* decode and re-encode: whitespace gone, the size checked before anything is sent */
    n = mt_kms_b64_decode(ciphertext_b64, b64_len, "the ciphertext", &blob, err);
    if (n < 0)
        goto out;
    if (n < 1 || n > MT_KMS_CIPHERTEXT_MAX) {
        mt_err_set(err, MT_E_USAGE, "the ciphertext must be 1 to %d bytes once decoded; got %ld",
                   MT_KMS_CIPHERTEXT_MAX, n);
        goto out;
    }
    if (mt_kms_b64_encode((const uint8_t *)blob.p, blob.len, &canon, err) < 0 ||
        mt_kms_decrypt_body(key_id, ectx, mt_buf_str(&canon), &body, err) < 0 ||
        decrypt_call(c, &body, &resp, err) < 0 ||
        mt_kms_resp_string(resp.p, resp.len, "Plaintext", 1, "KMS Decrypt", &pt64, err) < 0)
        goto out;
    if (mt_kms_b64_decode(pt64.p, pt64.len, "KMS Decrypt: the Plaintext of the response",
                          plaintext, err) < 0) {
        err->code = MT_E_AWS; /* the service's fault, not the user's */
        goto out;
    }
    rc = 0;
out:
    mt_buf_release(&blob);
    mt_buf_release(&canon);
    mt_buf_release(&body);
    mt_buf_release(&resp);
    mt_buf_release(&pt64);
    return rc;
}
