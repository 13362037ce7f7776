/* test_kms.c - kms/: key ids, encryption context, request bodies, base64, UUIDs, the json-1.1
 * call (signature of aws-wire.md 1.11, re-signing per attempt, session token) and the Secrets
 * Manager flow (idempotency token reused across retries, ResourceExists with and without
 * --overwrite). The transport and the clock are replaced through --wrap=mt_http_do and
 * --wrap=mt_clock_now (both called across translation units). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/http.h"
#include "common/retry.h"
#include "kms/kms.h"
#include "kms/kms_int.h"

/* ---- key ids ---- */

struct keycase {
    const char *in;
    const char *want; /* NULL: usage error */
};

static const struct keycase key_cases[] = {
    {"1234abcd-12ab-34cd-56ef-1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ab"},
    {"1234ABCD-12AB-34CD-56EF-1234567890AB", "1234ABCD-12AB-34CD-56EF-1234567890AB"},
    {"mrk-1234abcd12ab34cd56ef1234567890ab", "mrk-1234abcd12ab34cd56ef1234567890ab"},
    {"arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
     "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
    {"arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias",
     "arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias"},
    {"alias/ExampleAlias", "alias/ExampleAlias"},
    {"alias/aws/secretsmanager", "alias/aws/secretsmanager"},
    {"ExampleAlias", "alias/ExampleAlias"},
    {"my_app-key/prod", "alias/my_app-key/prod"},
    /* one character off a key id: a name */
    {"1234abcd-12ab-34cd-56ef-1234567890a", "alias/1234abcd-12ab-34cd-56ef-1234567890a"},
    {"", NULL},
    {"alias/", NULL},
    {"alias/bad name", NULL},
    {"bad name", NULL},
    {"bad\"quote", NULL},
    {"arn:aws:kms:us-east-1:1:key/x y", NULL},
};

static void test_key_id_forms(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
        struct mt_err err = MT_ERR_INIT;
        char *got = mt_kms_key_id(key_cases[i].in, &err);
        if (key_cases[i].want) {
            assert_non_null(got);
            assert_string_equal(got, key_cases[i].want);
        } else {
            assert_null(got);
            assert_int_equal(err.code, MT_E_USAGE);
        }
        free(got);
    }
}

static void test_key_id_too_long(void **state)
{
    struct mt_err err = MT_ERR_INIT;
    char *k = malloc(2100), *got;
    (void)state;
    memcpy(k, "arn:", 4);
    memset(k + 4, 'a', 2095);
    k[2099] = '\0';
    got = mt_kms_key_id(k, &err);
    assert_null(got);
    assert_int_equal(err.code, MT_E_USAGE);
    free(k);
}

/* ---- encryption context ---- */

static void test_context_pairs(void **state)
{
    struct mt_kms_context c = MT_KMS_CONTEXT_INIT;
    struct mt_err err = MT_ERR_INIT;
    (void)state;
    assert_int_equal(mt_kms_context_add(&c, "purpose=test", &err), 0);
    assert_int_equal(mt_kms_context_add(&c, "expr=a=b==c", &err), 0);
    assert_int_equal(mt_kms_context_add(&c, "empty=", &err), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.pairs[0].key, "purpose");
    assert_string_equal(c.pairs[0].value, "test");
    assert_string_equal(c.pairs[1].key, "expr");
    assert_string_equal(c.pairs[1].value, "a=b==c");
    assert_string_equal(c.pairs[2].value, "");

    assert_int_equal(mt_kms_context_add(&c, "purpose=other", &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
    assert_non_null(strstr(err.msg, "'purpose' given twice"));
    assert_int_equal(mt_kms_context_add(&c, "=v", &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
    assert_non_null(strstr(err.msg, "--context"));
    assert_int_equal(mt_kms_context_add(&c, "novalue", &err), -1);
    assert_int_equal(mt_kms_context_add(&c, "", &err), -1);
    assert_int_equal(c.n, 3); /* failures leave it unchanged */
    /* a key that is a prefix of another is not a duplicate */
    assert_int_equal(mt_kms_context_add(&c, "purp=x", &err), 0);
    mt_kms_context_release(&c);
    mt_kms_context_release(&c); /* idempotent */
    assert_int_equal(c.n, 0);
}

/* ---- bodies ---- */

static void test_json_escape(void **state)
{
    struct mt_buf b = MT_BUF_INIT;
    const char in[] = "a\"b\\c\n\t\x01\x7f/\xc3\xa9";
    cJSON *j;
    (void)state;
    assert_int_equal(mt_kms_json_str(&b, in, sizeof(in) - 1), 0);
    assert_string_equal(mt_buf_str(&b), "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f/\xc3\xa9\"");
    j = cJSON_Parse(mt_buf_str(&b));
    assert_true(cJSON_IsString(j));
    assert_string_equal(j->valuestring, in);
    cJSON_Delete(j);
    mt_buf_release(&b);
}

static void test_encrypt_and_decrypt_bodies(void **state)
{
    struct mt_kms_context c = MT_KMS_CONTEXT_INIT;
    struct mt_buf b = MT_BUF_INIT_SECRET, plain = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    (void)state;
    assert_int_equal(mt_kms_encrypt_body("alias/my-key", NULL, "aGVsbG8=", &b, &err), 0);
    assert_string_equal(mt_buf_str(&b), "{\"KeyId\":\"alias/my-key\",\"Plaintext\":\"aGVsbG8=\"}");
    mt_buf_reset(&b);
    assert_int_equal(mt_kms_context_add(&c, "purpose=test", &err), 0);
    assert_int_equal(mt_kms_context_add(&c, "app=x\"y", &err), 0);
    assert_int_equal(mt_kms_encrypt_body("alias/my-key", &c, "aGVsbG8=", &b, &err), 0);
    assert_string_equal(mt_buf_str(&b),
                        "{\"KeyId\":\"alias/my-key\",\"Plaintext\":\"aGVsbG8=\","
                        "\"EncryptionContext\":{\"purpose\":\"test\",\"app\":\"x\\\"y\"}}");
    mt_buf_reset(&b);
    assert_int_equal(mt_kms_decrypt_body(NULL, &c, "AQID", &b, &err), 0);
    assert_string_equal(mt_buf_str(&b), "{\"CiphertextBlob\":\"AQID\",\"EncryptionContext\":"
                                        "{\"purpose\":\"test\",\"app\":\"x\\\"y\"}}");
    mt_buf_reset(&b);
    assert_int_equal(mt_kms_decrypt_body("k", NULL, "AQID", &b, &err), 0);
    assert_string_equal(mt_buf_str(&b), "{\"CiphertextBlob\":\"AQID\",\"KeyId\":\"k\"}");
    /* a body that is not a secret buffer is refused */
    assert_int_equal(mt_kms_encrypt_body("k", NULL, "AQID", &plain, &err), -1);
    assert_int_equal(err.code, MT_E_INTERNAL);
    mt_buf_release(&b);
    mt_kms_context_release(&c);
}

static void test_secrets_bodies(void **state)
{
    struct mt_kms_sm_put p;
    struct mt_buf b = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    struct mt_kms_db_secret ds;
    (void)state;
    memset(&p, 0, sizeof(p));
    p.name = "app/db";
    p.secret_string = "{\"password\":\"p\\\"w\"}";
    assert_int_equal(mt_kms_sm_create_body(&p, "tok", &b, &err), 0);
    assert_string_equal(mt_buf_str(&b), "{\"Name\":\"app/db\",\"ClientRequestToken\":\"tok\","
                                        "\"SecretString\":\"{\\\"password\\\":\\\"p\\\\\\\"w\\\"}\"}");
    mt_buf_reset(&b);
    p.description = "d";
    p.kms_key_id = "alias/k";
    assert_int_equal(mt_kms_sm_create_body(&p, "tok", &b, &err), 0);
    assert_non_null(strstr(mt_buf_str(&b), "\"Description\":\"d\",\"KmsKeyId\":\"alias/k\""));
    mt_buf_reset(&b);
    assert_int_equal(mt_kms_sm_putvalue_body(&p, "tok2", &b, &err), 0);
    assert_string_equal(mt_buf_str(&b), "{\"SecretId\":\"app/db\",\"ClientRequestToken\":\"tok2\","
                                        "\"SecretString\":\"{\\\"password\\\":\\\"p\\\\\\\"w\\\"}\"}");
    mt_buf_reset(&b);

    memset(&ds, 0, sizeof(ds));
    ds.password = "pw";
    assert_int_equal(mt_kms_sm_db_secret(&ds, &b, &err), 0);
    assert_string_equal(mt_buf_str(&b), "{\"password\":\"pw\"}");
    mt_buf_reset(&b);
    ds.username = "app";
    ds.engine = "postgres";
    ds.host = "db.example";
    ds.port = 5432;
    ds.dbname = "orders";
    assert_int_equal(mt_kms_sm_db_secret(&ds, &b, &err), 0);
    assert_string_equal(mt_buf_str(&b), "{\"username\":\"app\",\"password\":\"pw\",\"engine\":"
                                        "\"postgres\",\"host\":\"db.example\",\"port\":5432,"
                                        "\"dbname\":\"orders\"}");
    mt_buf_release(&b);
}

/* ---- base64, UUIDs, responses ---- */

static void test_base64(void **state)
{
    struct mt_buf out = MT_BUF_INIT_SECRET, enc = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    const uint8_t bin[] = {0, 1, 2, 0xff, 0xfe, '\n'};
    (void)state;
    assert_int_equal(mt_kms_b64_decode("aGVs\nbG8g\r\n d29y bGQ=\n", 22, "x", &out, &err), 11);
    assert_memory_equal(out.p, "hello world", 11);
    mt_buf_reset(&out);
    assert_int_equal(mt_kms_b64_decode("aGVsbG8*", 8, "the ciphertext", &out, &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
    assert_string_equal(err.msg, "the ciphertext is not valid base64");
    assert_int_equal(mt_kms_b64_decode("aGVsbG8", 7, "x", &out, &err), -1); /* no padding */
    assert_int_equal(mt_kms_b64_encode(bin, sizeof(bin), &enc, &err), 0);
    assert_string_equal(mt_buf_str(&enc), "AAEC//4K");
    assert_int_equal(mt_kms_b64_decode(enc.p, enc.len, "x", &out, &err), (long)sizeof(bin));
    assert_memory_equal(out.p, bin, sizeof(bin));
    mt_buf_release(&out);
    mt_buf_release(&enc);
}

static void test_uuid4(void **state)
{
    uint8_t r[16];
    char u[37];
    (void)state;
    memset(r, 0xff, sizeof(r));
    mt_kms_uuid4(r, u);
    assert_string_equal(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    memset(r, 0, sizeof(r));
    mt_kms_uuid4(r, u);
    assert_string_equal(u, "00000000-0000-4000-8000-000000000000");
}

static void test_resp_string(void **state)
{
    const char body[] = "{\"KeyId\":\"arn:k\",\"Plaintext\":\"aGk=\"}";
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    (void)state;
    assert_int_equal(mt_kms_resp_string(body, sizeof(body) - 1, "Plaintext", 1, "KMS Decrypt",
                                        &out, &err), 0);
    assert_string_equal(mt_buf_str(&out), "aGk=");
    assert_int_equal(mt_kms_resp_string(body, sizeof(body) - 1, "CiphertextBlob", 0, "KMS Encrypt",
                                        &out, &err), -1);
    assert_int_equal(err.code, MT_E_AWS);
    assert_string_equal(err.msg, "KMS Encrypt: malformed response (no 'CiphertextBlob')");
    assert_int_equal(mt_kms_resp_string("<html>", 6, "X", 0, "w", &out, &err), -1);
    mt_buf_release(&out);
}

/* ---- the json-1.1 call over a scripted transport ---- */

struct scripted {
    long status;
    const char *body;
    const char *error_type;
};

static const struct scripted *script;
static size_t script_len, script_pos;
static time_t fake_now;
static char seen_auth[8][256], seen_date[8][32], seen_token[8][64], seen_target[8][64];
static char seen_body[8][512], seen_url[8][128];

time_t __wrap_mt_clock_now(void);
time_t __wrap_mt_clock_now(void)
{
    return fake_now;
}

int __wrap_mt_http_do(struct mt_http *h, const struct mt_http_req *req,
                      struct mt_http_resp *resp, struct mt_err *err);
int __wrap_mt_http_do(struct mt_http *h, const struct mt_http_req *req,
                      struct mt_http_resp *resp, struct mt_err *err)
{
    const struct scripted *s;
    size_t i, k = script_pos;

    (void)h;
    (void)err;
    assert_true(script_pos < script_len && k < 8);
    s = &script[script_pos++];
    assert_string_equal(req->method, "POST");
    snprintf(seen_url[k], sizeof(seen_url[k]), "%s", req->url);
    seen_token[k][0] = '\0';
    for (i = 0; i < req->nheaders; i++) {
        const struct mt_http_header *hd = &req->headers[i];
        if (!strcmp(hd->name, "Authorization"))
            snprintf(seen_auth[k], sizeof(seen_auth[k]), "%s", hd->value);
        else if (!strcmp(hd->name, "X-Amz-Date"))
            snprintf(seen_date[k], sizeof(seen_date[k]), "%s", hd->value);
        else if (!strcmp(hd->name, "X-Amz-Security-Token"))
            snprintf(seen_token[k], sizeof(seen_token[k]), "%s", hd->value);
        else if (!strcmp(hd->name, "X-Amz-Target"))
            snprintf(seen_target[k], sizeof(seen_target[k]), "%s", hd->value);
        else if (!strcmp(hd->name, "Content-Type"))
            assert_string_equal(hd->value, "application/x-amz-json-1.1");
    }
    assert_true(req->body_len < sizeof(seen_body[k]));
    memcpy(seen_body[k], req->body, req->body_len);
    seen_body[k][req->body_len] = '\0';
    fake_now += 7; /* every attempt happens later */
    mt_http_resp_release(resp);
    resp->status = s->status;
    snprintf(resp->error_type, sizeof(resp->error_type), "%s", s->error_type ? s->error_type : "");
    snprintf(resp->request_id, sizeof(resp->request_id), "req-%zu", script_pos);
    if (s->body)
        assert_int_equal(mt_buf_adds(&resp->body, s->body), 0);
    return 0;
}

static void no_sleep(void *ud, long ms)
{
    (void)ud;
    (void)ms;
}

static struct mt_http *new_http(void)
{
    struct mt_err err = MT_ERR_INIT;
    struct mt_http *h = mt_http_new(&err);
    assert_non_null(h);
    mt_http_retry_cfg(h)->sleep_ms = no_sleep;
    return h;
}

#define RUN_SCRIPT(s)                                                                           \
    do {                                                                                        \
        script = (s);                                                                           \
        script_len = sizeof(s) / sizeof((s)[0]);                                                \
        script_pos = 0;                                                                         \
    } while (0)

/* aws-wire.md 1.11: botocore's captured Encrypt, same body bytes, frozen time, non-default port. */
static void test_json_call_matches_botocore_signature(void **state)
{
    static const struct scripted ok[] = {{200, "{\"CiphertextBlob\":\"AQID\"}", NULL}};
    struct mt_kms_client c;
    struct mt_buf body = MT_BUF_INIT_SECRET, out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    (void)state;
    memset(&c, 0, sizeof(c));
    c.http = new_http();
    c.endpoint = "http://127.0.0.1:28417";
    c.region = "us-east-1";
    c.creds.access_key_id = "AKIDEXAMPLE";
    c.creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    assert_int_equal(mt_buf_adds(&body, "{\"KeyId\": \"alias/my-key\", \"Plaintext\": "
                                        "\"aGVsbG8gd29ybGQ=\", \"EncryptionContext\": "
                                        "{\"purpose\": \"test\", \"app\": \"x\"}}"), 0);
    fake_now = 1767323045; /* 2026-01-02T03:04:05Z */
    RUN_SCRIPT(ok);
    assert_int_equal(mt_kms_json_call(&c, "kms", "TrentService.Encrypt", "KMS Encrypt", &body,
                                      &out, &err), 0);
    assert_string_equal(seen_url[0], "http://127.0.0.1:28417/");
    assert_string_equal(seen_date[0], "20260102T030405Z");
    assert_string_equal(seen_target[0], "TrentService.Encrypt");
    assert_string_equal(seen_auth[0],
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-1/kms/"
                        "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                        "Signature=8fa29e99297fa289f1e4fe7392b37b9a54ebbc9a70a442f11fd384163ccedb45");
    assert_string_equal(seen_token[0], "");
    assert_string_equal(mt_buf_str(&out), "{\"CiphertextBlob\":\"AQID\"}");
    mt_buf_release(&body);
    mt_buf_release(&out);
    mt_http_free(c.http);
}

/* 500, 500, 200: three attempts, each signed with its own time; the token is sent and signed. */
static void test_json_call_resigns_every_attempt(void **state)
{
    static const struct scripted s[] = {
        {500, "{\"__type\":\"KMSInternalException\",\"message\":\"x\"}", NULL},
        {503, NULL, NULL},
        {200, "{\"CiphertextBlob\":\"AQID\"}", NULL},
    };
    struct mt_kms_client c;
    struct mt_buf ct = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    const uint8_t pt[] = "secret";
    (void)state;
    memset(&c, 0, sizeof(c));
    c.http = new_http();
    c.endpoint = "https://KMS.eu-west-1.amazonaws.com:443/";
    c.region = "eu-west-1";
    c.creds.access_key_id = "AKIDEXAMPLE";
    c.creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    c.creds.session_token = "FwoGZXIvYXdzEXAMPLE";
    fake_now = 1767323045;
    RUN_SCRIPT(s);
    assert_int_equal(mt_kms_encrypt(&c, "alias/k", NULL, pt, 6, &ct, &err), 0);
    assert_int_equal(script_pos, 3);
    assert_string_equal(mt_buf_str(&ct), "AQID");
    assert_string_equal(seen_url[0], "https://kms.eu-west-1.amazonaws.com/");
    assert_string_not_equal(seen_date[0], seen_date[1]);
    assert_string_not_equal(seen_date[1], seen_date[2]);
    assert_string_not_equal(seen_auth[0], seen_auth[2]);
    assert_string_equal(seen_token[2], "FwoGZXIvYXdzEXAMPLE");
    assert_non_null(strstr(seen_auth[2], "SignedHeaders=content-type;host;x-amz-date;"
                                         "x-amz-security-token;x-amz-target"));
    assert_string_equal(seen_body[0], "{\"KeyId\":\"alias/k\",\"Plaintext\":\"c2VjcmV0\"}");
    assert_string_equal(seen_body[0], seen_body[2]);
    mt_buf_release(&ct);
    mt_http_free(c.http);
}

static void test_json_call_errors(void **state)
{
    static const struct scripted thr[] = {
        {400, "{\"__type\":\"ThrottlingException\",\"message\":\"slow down\"}", NULL},
        {400, "{\"__type\":\"ThrottlingException\",\"message\":\"slow down\"}", NULL},
        {400, "{\"__type\":\"ThrottlingException\",\"message\":\"slow down\"}", NULL},
    };
    static const struct scripted sig[] = {
        {403,
         "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request "
         "signature we calculated does not match</Message></Error></Errors></ErrorResponse>",
         NULL},
    };
    static const struct scripted bad_ct[] = {
        {400, "{\"__type\":\"InvalidCiphertextException\"}", NULL},
    };
    struct mt_kms_client c;
    struct mt_buf out = MT_BUF_INIT_SECRET, ct = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;
    const uint8_t pt[] = "x";
    (void)state;
    memset(&c, 0, sizeof(c));
    c.http = new_http();
    c.endpoint = "http://127.0.0.1:9";
    c.region = "us-east-1";
    c.creds.access_key_id = "AKID";
    c.creds.secret_access_key = "SECRET";
    RUN_SCRIPT(thr);
    assert_int_equal(mt_kms_encrypt(&c, "alias/k", NULL, pt, 1, &ct, &err), -1);
    assert_int_equal(script_pos, 3);
    assert_int_equal(err.code, MT_E_AWS);
    assert_string_equal(err.aws_type, "ThrottlingException");
    assert_string_equal(err.msg, "KMS Encrypt: ThrottlingException: slow down");

    RUN_SCRIPT(sig);
    assert_int_equal(mt_kms_encrypt(&c, "alias/k", NULL, pt, 1, &ct, &err), -1);
    assert_int_equal(script_pos, 1);
    assert_int_equal(err.code, MT_E_AUTH);
    assert_string_equal(err.msg, "KMS Encrypt: SignatureDoesNotMatch: The request signature we "
                                 "calculated does not match");

    RUN_SCRIPT(bad_ct);
    assert_int_equal(mt_kms_decrypt(&c, NULL, NULL, "AQID", 4, &out, &err), -1);
    assert_int_equal(err.code, MT_E_AWS);
    assert_string_equal(err.aws_type, "InvalidCiphertextException");
    assert_non_null(strstr(err.hint, "encryption context"));

    /* limits: nothing is sent */
    script_pos = 0;
    script_len = 0;
    {
        uint8_t big[MT_KMS_PLAINTEXT_MAX + 1];
        memset(big, 'a', sizeof(big));
        assert_int_equal(mt_kms_encrypt(&c, "alias/k", NULL, big, sizeof(big), &ct, &err), -1);
        assert_int_equal(err.code, MT_E_USAGE);
        assert_non_null(strstr(err.msg, "4096"));
        assert_int_equal(mt_kms_encrypt(&c, "alias/k", NULL, big, 0, &ct, &err), -1);
        assert_int_equal(err.code, MT_E_USAGE);
    }
    assert_int_equal(mt_kms_decrypt(&c, NULL, NULL, "not base64!", 11, &out, &err), -1);
    assert_int_equal(err.code, MT_E_USAGE);
    mt_buf_release(&out);
    mt_buf_release(&ct);
    mt_http_free(c.http);
}

static void test_decrypt_plaintext(void **state)
{
    static const struct scripted s[] = {
        {200, "{\"KeyId\":\"arn:k\",\"Plaintext\":\"AAEC//4K\",\"EncryptionAlgorithm\":\"x\"}",
         NULL},
    };
    struct mt_kms_client c;
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    struct mt_kms_context ec = MT_KMS_CONTEXT_INIT;
    const uint8_t want[] = {0, 1, 2, 0xff, 0xfe, '\n'};
    (void)state;
    memset(&c, 0, sizeof(c));
    c.http = new_http();
    c.endpoint = "http://127.0.0.1:9";
    c.region = "us-east-1";
    c.creds.access_key_id = "AKID";
    c.creds.secret_access_key = "SECRET";
    assert_int_equal(mt_kms_context_add(&ec, "a=b", &err), 0);
    RUN_SCRIPT(s);
    assert_int_equal(mt_kms_decrypt(&c, "alias/k", &ec, " AQ\nID\n", 7, &out, &err), 0);
    assert_int_equal(out.len, sizeof(want));
    assert_memory_equal(out.p, want, sizeof(want));
    assert_string_equal(seen_target[0], "TrentService.Decrypt");
    assert_string_equal(seen_body[0], "{\"CiphertextBlob\":\"AQID\",\"EncryptionContext\":"
                                      "{\"a\":\"b\"},\"KeyId\":\"alias/k\"}");
    mt_kms_context_release(&ec);
    mt_buf_release(&out);
    mt_http_free(c.http);
}

/* ---- Secrets Manager ---- */

static void client_for_sm(struct mt_kms_client *c)
{
    memset(c, 0, sizeof(*c));
    c->http = new_http();
    c->endpoint = "http://127.0.0.1:9";
    c->region = "us-east-1";
    c->creds.access_key_id = "AKID";
    c->creds.secret_access_key = "SECRET";
}

static const char *json_field(const char *body, const char *field, char *out, size_t n)
{
    cJSON *j = cJSON_Parse(body);
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, field);
    snprintf(out, n, "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(j);
    return out;
}

static void test_sm_create_retries_with_one_token(void **state)
{
    static const struct scripted s[] = {
        {500, NULL, NULL},
        {200, "{\"ARN\":\"arn:aws:secretsmanager:us-east-1:1:secret:app-AbCdEf\",\"Name\":\"app\","
              "\"VersionId\":\"v1\"}",
         NULL},
    };
    struct mt_kms_client c;
    struct mt_kms_sm_put p;
    struct mt_kms_sm_result r = MT_KMS_SM_RESULT_INIT;
    struct mt_err err = MT_ERR_INIT;
    char t0[64], t1[64];
    (void)state;
    client_for_sm(&c);
    memset(&p, 0, sizeof(p));
    p.name = "app";
    p.secret_string = "{\"password\":\"pw\"}";
    RUN_SCRIPT(s);
    assert_int_equal(mt_kms_sm_put_secret(&c, &p, &r, &err), 0);
    assert_int_equal(script_pos, 2);
    assert_string_equal(seen_target[0], "secretsmanager.CreateSecret");
    assert_string_equal(seen_body[0], seen_body[1]);
    json_field(seen_body[0], "ClientRequestToken", t0, sizeof(t0));
    json_field(seen_body[1], "ClientRequestToken", t1, sizeof(t1));
    assert_int_equal(strlen(t0), 36);
    assert_int_equal(t0[14], '4');
    assert_string_equal(t0, t1);
    assert_string_equal(r.arn, "arn:aws:secretsmanager:us-east-1:1:secret:app-AbCdEf");
    assert_string_equal(r.version_id, "v1");
    assert_int_equal(r.created, 1);
    mt_kms_sm_result_release(&r);
    mt_http_free(c.http);
}

static void test_sm_exists(void **state)
{
    static const struct scripted no[] = {
        {400, "{\"__type\":\"ResourceExistsException\",\"Message\":\"The operation failed because "
              "the secret app already exists.\"}",
         NULL},
    };
    static const struct scripted yes[] = {
        {400, "{\"__type\":\"ResourceExistsException\",\"Message\":\"exists\"}", NULL},
        {200, "{\"ARN\":\"arn:s\",\"Name\":\"app\",\"VersionId\":\"v2\",\"VersionStages\":"
              "[\"AWSCURRENT\"]}",
         NULL},
    };
    struct mt_kms_client c;
    struct mt_kms_sm_put p;
    struct mt_kms_sm_result r = MT_KMS_SM_RESULT_INIT;
    struct mt_err err = MT_ERR_INIT;
    char t0[64], t1[64];
    (void)state;
    client_for_sm(&c);
    memset(&p, 0, sizeof(p));
    p.name = "app";
    p.secret_string = "{\"password\":\"pw\"}";
    RUN_SCRIPT(no);
    assert_int_equal(mt_kms_sm_put_secret(&c, &p, &r, &err), -1);
    assert_int_equal(script_pos, 1);
    assert_int_equal(err.code, MT_E_AWS);
    assert_string_equal(err.msg, "secret 'app' already exists (use --overwrite to add a new "
                                 "version)");
    assert_null(r.arn);

    p.overwrite = 1;
    RUN_SCRIPT(yes);
    assert_int_equal(mt_kms_sm_put_secret(&c, &p, &r, &err), 0);
    assert_int_equal(script_pos, 2);
    assert_string_equal(seen_target[1], "secretsmanager.PutSecretValue");
    json_field(seen_body[0], "ClientRequestToken", t0, sizeof(t0));
    json_field(seen_body[1], "ClientRequestToken", t1, sizeof(t1));
    assert_string_not_equal(t0, t1);
    json_field(seen_body[1], "SecretId", t1, sizeof(t1));
    assert_string_equal(t1, "app");
    assert_string_equal(r.version_id, "v2");
    assert_int_equal(r.created, 0);
    mt_kms_sm_result_release(&r);
    mt_http_free(c.http);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_id_forms),
        cmocka_unit_test(test_key_id_too_long),
        cmocka_unit_test(test_context_pairs),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_encrypt_and_decrypt_bodies),
        cmocka_unit_test(test_secrets_bodies),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_uuid4),
        cmocka_unit_test(test_resp_string),
        cmocka_unit_test(test_json_call_matches_botocore_signature),
        cmocka_unit_test(test_json_call_resigns_every_attempt),
        cmocka_unit_test(test_json_call_errors),
        cmocka_unit_test(test_decrypt_plaintext),
        cmocka_unit_test(test_sm_create_retries_with_one_token),
        cmocka_unit_test(test_sm_exists),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
