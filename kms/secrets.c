/* secrets.c - Secrets Manager CreateSecret / PutSecretValue (aws-wire.md 6.3): a password goes
 * in as SecretString; ClientRequestToken makes retries idempotent. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "kms/kms.h"
#include "kms/kms_int.h"

#define SECRET_STRING_MAX 65536

static int nomem(struct mt_err *err)
{
    return mt_err_set(err, MT_E_NOMEM, "out of memory");
}

static int member(struct mt_buf *b, const char *name, const char *value)
{
    if ((b->len && b->p[b->len - 1] != '{' && mt_buf_addc(b, ',') < 0) || mt_kms_json_str(b, name, strlen(name)) < 0 ||
        mt_buf_addc(b, ':') < 0 || mt_kms_json_str(b, value, strlen(value)) < 0)
        return -1;
    return 0;
}

int mt_kms_sm_db_secret(const struct mt_kms_db_secret *s, struct mt_buf *out, struct mt_err *err)
{
    if (!out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "the secret value must go into a secret buffer");
    if (mt_buf_addc(out, '{') < 0 || (s->username && member(out, "username", s->username) < 0) ||
        member(out, "password", s->password ? s->password : "") < 0 ||
        (s->engine && member(out, "engine", s->engine) < 0) ||
        (s->host && member(out, "host", s->host) < 0) ||
        (s->port > 0 && mt_buf_addf(out, ",\"port\":%d", s->port) < 0) ||
        (s->dbname && member(out, "dbname", s->dbname) < 0) || mt_buf_addc(out, '}') < 0)
        return nomem(err);
    return 0;
}

static int check_put(const struct mt_kms_sm_put *p, struct mt_err *err)
{
    size_t n;

    if (!p->name || !*p->name)
        return mt_err_set(err, MT_E_USAGE, "empty secret name");
    if (strlen(p->name) > 2048)
        return mt_err_set(err, MT_E_USAGE, "secret name is longer than 2048 characters");
    n = p->secret_string ? strlen(p->secret_string) : 0;
    if (n < 1 || n > SECRET_STRING_MAX)
        return mt_err_set(err, MT_E_USAGE, "the secret value must be 1 to %d bytes",
                          SECRET_STRING_MAX);
    return 0;
}

int mt_kms_sm_create_body(const struct mt_kms_sm_put *p, const char *token, struct mt_buf *out,
                          struct mt_err *err)
{
    if (!out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "request body must be a secret buffer");
    if (mt_buf_addc(out, '{') < 0 || member(out, "Name", p->name) < 0 ||
        member(out, "ClientRequestToken", token) < 0 ||
        (p->description && member(out, "Description", p->description) < 0) ||
        (p->kms_key_id && member(out, "KmsKeyId", p->kms_key_id) < 0) ||
        member(out, "SecretString", p->secret_string) < 0 || mt_buf_addc(out, '}') < 0)
        return nomem(err);
    return 0;
}

int mt_kms_sm_putvalue_body(const struct mt_kms_sm_put *p, const char *token, struct mt_buf *out,
                            struct mt_err *err)
{
    if (!out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "request body must be a secret buffer");
    if (mt_buf_addc(out, '{') < 0 || member(out, "SecretId", p->name) < 0 ||
        member(out, "ClientRequestToken", token) < 0 ||
        member(out, "SecretString", p->secret_string) < 0 || mt_buf_addc(out, '}') < 0)
        return nomem(err);
    return 0;
}

void mt_kms_sm_result_release(struct mt_kms_sm_result *r)
{
    if (!r)
        return;
    free(r->arn);
    free(r->version_id);
    r->arn = r->version_id = NULL;
    r->created = 0;
}

/* A fresh ClientRequestToken (UUIDv4 from libsodium's CSPRNG). */
static void new_token(char out[37])
{
    uint8_t rnd[16];

    randombytes_buf(rnd, sizeof(rnd));
    mt_kms_uuid4(rnd, out);
    mt_memzero(rnd, sizeof(rnd));
}

/* One call; the body (with its token) is built once, so every retry sends the same token. */
static int sm_call(const struct mt_kms_client *c, const char *op, const struct mt_kms_sm_put *p,
                   struct mt_kms_sm_result *out, struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT_SECRET, resp = MT_BUF_INIT_SECRET;
    struct mt_buf arn = MT_BUF_INIT, ver = MT_BUF_INIT;
    char token[37], target[64], what[64];
    int create = !strcmp(op, "CreateSecret"), rc = -1;

    new_token(token);
    snprintf(target, sizeof(target), "secretsmanager.%s", op);
    snprintf(what, sizeof(what), "Secrets Manager %s", op);
    if ((create ? mt_kms_sm_create_body(p, token, &body, err)
                : mt_kms_sm_putvalue_body(p, token, &body, err)) < 0 ||
        mt_kms_json_call(c, MT_KMS_SM_SIGNING_NAME, target, what, &body, &resp, err) < 0 ||
        mt_kms_resp_string(resp.p, resp.len, "ARN", 0, what, &arn, err) < 0 ||
        mt_kms_resp_string(resp.p, resp.len, "VersionId", 0, what, &ver, err) < 0)
        goto out;
    mt_kms_sm_result_release(out);
    out->arn = mt_buf_detach(&arn);
    out->version_id = mt_buf_detach(&ver);
    out->created = create;
    if (!out->arn || !out->version_id) {
        mt_kms_sm_result_release(out);
        nomem(err);
        goto out;
    }
    rc = 0;
out:
    mt_buf_release(&body);
    mt_buf_release(&resp);
    mt_buf_release(&arn);
    mt_buf_release(&ver);
    return rc;
}

int mt_kms_sm_put_secret(const struct mt_kms_client *c, const struct mt_kms_sm_put *p,
                         struct mt_kms_sm_result *out, struct mt_err *err)
{
    if (check_put(p, err) < 0)
        return -1;
    if (sm_call(c, "CreateSecret", p, out, err) == 0)
        return 0;
    if (strcmp(err->aws_type, "ResourceExistsException"))
        return -1;
    if (!p->overwrite) {
        long status = err->http_status;
        char rid[sizeof(err->request_id)];

        memcpy(rid, err->request_id, sizeof(rid));
        mt_err_set(err, MT_E_AWS, "secret '%s' already exists (use --overwrite to add a new "
                                  "version)", p->name);
        snprintf(err->aws_type, sizeof(err->aws_type), "ResourceExistsException");
        err->http_status = status;
        memcpy(err->request_id, rid, sizeof(rid));
        return -1;
    }
    mt_err_clear(err);
    return sm_call(c, "PutSecretValue", p, out, err);
}
