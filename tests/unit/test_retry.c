/* test_retry.c - standard-mode retry rules (pure) and the mt_http_call_retry driver, with the
 * transport replaced through --wrap=mt_http_do and deterministic jitter/sleep hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/awserr.h"
#include "common/http.h"
#include "common/retry.h"

/* ---- classification --------------------------------------------------------------------------- */

static void test_retry_classify_table(void **state)
{
    static const struct {
        enum mt_http_fail fail;
        long status;
        const char *code;
        enum mt_retry_kind want;
    } cases[] = {
        {MT_HTTP_FAIL_NONE, 200, NULL, MT_RETRY_NONE},
        {MT_HTTP_FAIL_NONE, 204, "", MT_RETRY_NONE},
        {MT_HTTP_FAIL_NONE, 500, "KMSInternalException", MT_RETRY_TRANSIENT},
        {MT_HTTP_FAIL_NONE, 502, NULL, MT_RETRY_TRANSIENT},
        {MT_HTTP_FAIL_NONE, 503, NULL, MT_RETRY_TRANSIENT},
        {MT_HTTP_FAIL_NONE, 504, "", MT_RETRY_TRANSIENT},
        {MT_HTTP_FAIL_NONE, 501, NULL, MT_RETRY_NONE},
        {MT_HTTP_FAIL_NONE, 505, NULL, MT_RETRY_NONE},
        {MT_HTTP_FAIL_NONE, 429, NULL, MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 400, "ThrottlingException", MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 400, "Throttling", MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 400, "TooManyRequestsException", MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 400, "RequestLimitExceeded", MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 503, "SlowDown", MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 400, "LimitExceededException", MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 400, "PriorRequestNotComplete", MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 400, "EC2ThrottledException", MT_RETRY_THROTTLE},
        {MT_HTTP_FAIL_NONE, 400, "RequestTimeout", MT_RETRY_TRANSIENT},
        {MT_HTTP_FAIL_NONE, 408, "RequestTimeoutException", MT_RETRY_TRANSIENT},
        {MT_HTTP_FAIL_NONE, 400, "TimeoutError", MT_RETRY_TRANSIENT},
        {MT_HTTP_FAIL_NONE, 400, "AccessDeniedException", MT_RETRY_NONE},
        {MT_HTTP_FAIL_NONE, 400, "NotFoundException", MT_RETRY_NONE},
        {MT_HTTP_FAIL_NONE, 400, "InvalidSignatureException", MT_RETRY_NONE},
        {MT_HTTP_FAIL_NONE, 403, "SignatureDoesNotMatch", MT_RETRY_NONE},
        {MT_HTTP_FAIL_NONE, 400, "throttlingexception", MT_RETRY_NONE}, /* case matters */
        {MT_HTTP_FAIL_NONE, 404, NULL, MT_RETRY_NONE},
        {MT_HTTP_FAIL_CONNECT, 0, NULL, MT_RETRY_TRANSIENT},
        {MT_HTTP_FAIL_TIMEOUT, 0, NULL, MT_RETRY_TIMEOUT},
        {MT_HTTP_FAIL_FATAL, 0, NULL, MT_RETRY_NONE},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum mt_retry_kind got = mt_retry_classify(cases[i].fail, cases[i].status, cases[i].code);
        if (got != cases[i].want)
            fail_msg("case %zu (%ld %s): got %d want %d", i, cases[i].status,
                     cases[i].code ? cases[i].code : "(null)", got, cases[i].want);
    }
}

static void test_retry_code_lists(void **state)
{
    (void)state;
    assert_true(mt_retry_is_throttling_code("ProvisionedThroughputExceededException"));
    assert_true(mt_retry_is_throttling_code("TransactionInProgressException"));
    assert_true(mt_retry_is_throttling_code("BandwidthLimitExceeded"));
    assert_true(mt_retry_is_throttling_code("RequestThrottledException"));
    assert_true(mt_retry_is_throttling_code("ThrottledException"));
    assert_true(mt_retry_is_throttling_code("RequestThrottled"));
    assert_false(mt_retry_is_throttling_code(NULL));
    assert_false(mt_retry_is_throttling_code(""));
    assert_false(mt_retry_is_throttling_code("Throttlin"));
    assert_true(mt_retry_is_transient_code("PriorRequestNotComplete"));
    assert_false(mt_retry_is_transient_code("InternalFailure"));
}

/* ---- backoff ---------------------------------------------------------------------------------- */

static void test_retry_backoff_table(void **state)
{
    static const struct {
        int attempt;
        double b;
        long want_ms;
    } cases[] = {
        {1, 0.0, 0},      {1, 0.5, 500},    {1, 0.999, 999},  {2, 0.5, 1000},
        {2, 0.25, 500},   {3, 0.5, 2000},   {4, 1.0 / 8, 1000}, {5, 0.5, 8000},
        {6, 0.5, 10000},  {7, 0.5, 10000},  {30, 0.5, 10000}, {1000, 0.5, 10000},
        {0, 0.5, 500},    {-3, 0.5, 500},   {1, -1.0, 0},     {1, 2.0, 999},
        {6, 0.999999, 19999},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long got = mt_retry_backoff_ms(cases[i].attempt, cases[i].b);
        if (got != cases[i].want_ms)
            fail_msg("case %zu: attempt %d b %g: got %ld want %ld", i, cases[i].attempt,
                     cases[i].b, got, cases[i].want_ms);
    }
}

static void test_retry_delay_retry_after(void **state)
{
    static const struct {
        int attempt;
        double b;
        long retry_after;
        long want_ms;
    } cases[] = {
        {1, 0.5, -1, 500},        /* no hint: backoff */
        {1, 0.5, 0, 500},         /* hint below t: t */
        {1, 0.5, 300, 500},       /* max(t, ...) */
        {1, 0.5, 2000, 2000},     /* hint honoured */
        {1, 0.5, 5500, 5500},     /* up to t + 5 s */
        {1, 0.5, 60000, 5500},    /* clamped to t + 5 s */
        {1, 0.0, 1000, 1000},
        {1, 0.0, 86400000, 5000},
        {3, 0.5, 10000, 7000},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long got = mt_retry_delay_ms(cases[i].attempt, cases[i].b, cases[i].retry_after);
        if (got != cases[i].want_ms)
            fail_msg("case %zu: got %ld want %ld", i, got, cases[i].want_ms);
    }
}

/* ---- quota ------------------------------------------------------------------------------------ */

static void test_retry_quota_bucket(void **state)
{
    struct mt_retry_quota q = MT_RETRY_QUOTA_INIT;
    int i, c;
    (void)state;

    assert_int_equal(q.tokens, 500);
    assert_int_equal(mt_retry_quota_take(&q, MT_RETRY_NONE), 0);
    assert_int_equal(mt_retry_quota_take(&q, MT_RETRY_TRANSIENT), 5);
    assert_int_equal(mt_retry_quota_take(&q, MT_RETRY_THROTTLE), 5);
    assert_int_equal(mt_retry_quota_take(&q, MT_RETRY_TIMEOUT), 10);
    assert_int_equal(q.tokens, 480);
    mt_retry_quota_refund(&q, 10); /* successful retry refunds its last cost */
    assert_int_equal(q.tokens, 490);
    mt_retry_quota_refund(&q, 0); /* first-attempt success refunds 1 */
    assert_int_equal(q.tokens, 491);
    for (i = 0; i < 100; i++)
        mt_retry_quota_refund(&q, 0);
    assert_int_equal(q.tokens, 500); /* capped */

    /* drain: 100 retries of cost 5, then nothing */
    for (i = 0; i < 100; i++)
        assert_int_equal(mt_retry_quota_take(&q, MT_RETRY_TRANSIENT), 5);
    assert_int_equal(q.tokens, 0);
    assert_int_equal(mt_retry_quota_take(&q, MT_RETRY_THROTTLE), 0);
    assert_int_equal(q.tokens, 0);
    q.tokens = 7;
    assert_int_equal(mt_retry_quota_take(&q, MT_RETRY_TIMEOUT), 0); /* 10 > 7: unchanged */
    assert_int_equal(q.tokens, 7);
    c = mt_retry_quota_take(&q, MT_RETRY_TRANSIENT);
    assert_int_equal(c, 5);
    assert_int_equal(q.tokens, 2);
    assert_int_equal(mt_retry_quota_take(NULL, MT_RETRY_TRANSIENT), 0);
    mt_retry_quota_refund(NULL, 5);
}

/* ---- the driver, over a scripted transport ---------------------------------------------------- */

struct scripted {
    enum mt_http_fail fail; /* != NONE: transport error */
    long status;
    const char *error_type;
    const char *body;
    long retry_after_ms;
};

static const struct scripted *script;
static size_t script_len, script_pos;
static long sleeps[16];
static size_t nsleeps;
static int prepares;

int __wrap_mt_http_do(struct mt_http *h, const struct mt_http_req *req,
                      struct mt_http_resp *resp, struct mt_err *err);
int __wrap_mt_http_do(struct mt_http *h, const struct mt_http_req *req,
                      struct mt_http_resp *resp, struct mt_err *err)
{
    const struct scripted *s;
    (void)h;
    assert_non_null(req);
    assert_string_equal(req->url, "https://kms.eu-west-1.amazonaws.com/");
    assert_true(script_pos < script_len);
    s = &script[script_pos++];
    mt_http_resp_release(resp);
    if (s->fail != MT_HTTP_FAIL_NONE) {
        resp->fail = s->fail;
        return mt_err_set(err, MT_E_HTTP, "scripted transport failure");
    }
    resp->status = s->status;
    resp->retry_after_ms = s->retry_after_ms;
    snprintf(resp->error_type, sizeof(resp->error_type), "%s", s->error_type ? s->error_type : "");
    snprintf(resp->request_id, sizeof(resp->request_id), "req-%zu", script_pos);
    if (s->body)
        assert_int_equal(mt_buf_adds(&resp->body, s->body), 0);
    return 0;
}

static double half(void *ud)
{
    (void)ud;
    return 0.5;
}

static void record_sleep(void *ud, long ms)
{
    (void)ud;
    assert_true(nsleeps < sizeof(sleeps) / sizeof(sleeps[0]));
    sleeps[nsleeps++] = ms;
}

static int prepare(void *ud, int attempt, struct mt_http_req *req, struct mt_err *err)
{
    (void)ud;
    (void)err;
    prepares++;
    assert_int_equal(attempt, prepares); /* called before every attempt, numbered from 1 */
    req->method = "POST";
    req->url = "https://kms.eu-west-1.amazonaws.com/";
    return 0;
}

static int prepare_fails(void *ud, int attempt, struct mt_http_req *req, struct mt_err *err)
{
    (void)ud;
    (void)attempt;
    (void)req;
    return mt_err_set(err, MT_E_CRYPTO, "cannot sign");
}

struct run {
    int rc;
    struct mt_err err;
    long status;
    int tokens_after;
};

static struct run run_script(const struct scripted *s, size_t n, int max_attempts, int tokens)
{
    struct mt_err e = MT_ERR_INIT;
    struct mt_http *h = mt_http_new(&e);
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    struct mt_retry_cfg *cfg;
    struct run r;

    assert_non_null(h);
    cfg = mt_http_retry_cfg(h);
    cfg->max_attempts = max_attempts;
    if (tokens >= 0)
        cfg->quota.tokens = tokens;
    cfg->rand01 = half;
    cfg->sleep_ms = record_sleep;
    script = s;
    script_len = n;
    script_pos = 0;
    nsleeps = 0;
    prepares = 0;
    memset(&r, 0, sizeof(r));
    r.rc = mt_http_call_retry(h, prepare, NULL, &resp, &e);
    r.err = e;
    r.status = resp.status;
    r.tokens_after = cfg->quota.tokens;
    mt_http_resp_release(&resp);
    mt_http_free(h);
    return r;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_retry_driver_500_500_200(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_NONE, 500, NULL, "{\"__type\":\"KMSInternalException\"}", -1},
        {MT_HTTP_FAIL_NONE, 503, NULL, "", -1},
        {MT_HTTP_FAIL_NONE, 200, NULL, "{}", -1},
    };
    struct run r = run_script(s, N(s), 0, -1);
    (void)state;
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(prepares, 3);
    assert_int_equal(nsleeps, 2);
    assert_int_equal(sleeps[0], 500);  /* 0.5 * 1 s */
    assert_int_equal(sleeps[1], 1000); /* 0.5 * 2 s */
    assert_int_equal(r.tokens_after, 500 - 5 - 5 + 5);
}

static void test_retry_driver_first_success_refunds(void **state)
{
    static const struct scripted s[] = {{MT_HTTP_FAIL_NONE, 200, NULL, "{}", -1}};
    struct run r = run_script(s, N(s), 0, 490);
    (void)state;
    assert_int_equal(r.rc, 0);
    assert_int_equal(prepares, 1);
    assert_int_equal(nsleeps, 0);
    assert_int_equal(r.tokens_after, 491);
}

static void test_retry_driver_max_three(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_NONE, 500, NULL, "", -1},
        {MT_HTTP_FAIL_NONE, 500, NULL, "", -1},
        {MT_HTTP_FAIL_NONE, 500, NULL, "{\"__type\":\"KMSInternalException\",\"message\":\"x\"}",
         -1},
        {MT_HTTP_FAIL_NONE, 200, NULL, "{}", -1},
    };
    struct run r = run_script(s, N(s), 0, -1);
    (void)state;
    assert_int_equal(r.rc, -1);
    assert_int_equal(prepares, 3);
    assert_int_equal(nsleeps, 2);
    assert_int_equal(r.err.code, MT_E_AWS);
    assert_string_equal(r.err.aws_type, "KMSInternalException");
    assert_string_equal(r.err.msg, "KMSInternalException: x");
    assert_string_equal(r.err.request_id, "req-3");
    assert_int_equal(r.err.http_status, 500);
    assert_int_equal(r.status, 500);
}

static void test_retry_driver_max_attempts_configurable(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_NONE, 503, NULL, "", -1}, {MT_HTTP_FAIL_NONE, 503, NULL, "", -1},
        {MT_HTTP_FAIL_NONE, 503, NULL, "", -1}, {MT_HTTP_FAIL_NONE, 503, NULL, "", -1},
        {MT_HTTP_FAIL_NONE, 200, NULL, "", -1},
    };
    struct run r = run_script(s, N(s), 5, -1);
    (void)state;
    assert_int_equal(r.rc, 0);
    assert_int_equal(prepares, 5);
    assert_int_equal(nsleeps, 4);
    assert_int_equal(sleeps[3], 4000);
    r = run_script(s, N(s), 1, -1);
    assert_int_equal(r.rc, -1);
    assert_int_equal(prepares, 1);
    assert_int_equal(nsleeps, 0);
}

static void test_retry_driver_throttling_400(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_NONE, 400, NULL,
         "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}", -1},
        {MT_HTTP_FAIL_NONE, 400, "ThrottlingException:http://internal", "", -1},
        {MT_HTTP_FAIL_NONE, 200, NULL, "{}", -1},
    };
    struct run r = run_script(s, N(s), 0, -1);
    (void)state;
    assert_int_equal(r.rc, 0);
    assert_int_equal(prepares, 3);
}

static void test_retry_driver_access_denied_once(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_NONE, 400, NULL,
         "{\"__type\":\"AccessDeniedException\",\"message\":\"User: arn:x is not authorized\"}",
         -1},
        {MT_HTTP_FAIL_NONE, 200, NULL, "{}", -1},
    };
    struct run r = run_script(s, N(s), 0, -1);
    (void)state;
    assert_int_equal(r.rc, -1);
    assert_int_equal(prepares, 1);
    assert_int_equal(nsleeps, 0);
    assert_int_equal(r.err.code, MT_E_AWS);
    assert_string_equal(r.err.aws_type, "AccessDeniedException");
    assert_int_equal(r.tokens_after, 500);
}

static void test_retry_driver_auth_error_not_retried(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_NONE, 403, NULL,
         "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message>"
         "</Error></Errors></ErrorResponse>",
         -1},
    };
    struct run r = run_script(s, N(s), 0, -1);
    (void)state;
    assert_int_equal(r.rc, -1);
    assert_int_equal(prepares, 1);
    assert_int_equal(r.err.code, MT_E_AUTH);
    assert_string_equal(r.err.msg, "SignatureDoesNotMatch: bad");
}

static void test_retry_driver_transport(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_CONNECT, 0, NULL, NULL, -1},
        {MT_HTTP_FAIL_TIMEOUT, 0, NULL, NULL, -1},
        {MT_HTTP_FAIL_NONE, 200, NULL, "{}", -1},
    };
    static const struct scripted fatal[] = {
        {MT_HTTP_FAIL_FATAL, 0, NULL, NULL, -1},
        {MT_HTTP_FAIL_NONE, 200, NULL, "{}", -1},
    };
    static const struct scripted timeouts[] = {
        {MT_HTTP_FAIL_TIMEOUT, 0, NULL, NULL, -1},
        {MT_HTTP_FAIL_TIMEOUT, 0, NULL, NULL, -1},
        {MT_HTTP_FAIL_TIMEOUT, 0, NULL, NULL, -1},
    };
    struct run r = run_script(s, N(s), 0, -1);
    (void)state;
    assert_int_equal(r.rc, 0);
    assert_int_equal(prepares, 3);
    assert_int_equal(r.tokens_after, 500 - 5 - 10 + 10);

    r = run_script(fatal, N(fatal), 0, -1);
    assert_int_equal(r.rc, -1);
    assert_int_equal(prepares, 1);
    assert_int_equal(r.err.code, MT_E_HTTP);

    r = run_script(timeouts, N(timeouts), 0, -1);
    assert_int_equal(r.rc, -1);
    assert_int_equal(prepares, 3);
    assert_int_equal(r.err.code, MT_E_HTTP);
    assert_string_equal(r.err.msg, "scripted transport failure");
    assert_int_equal(r.tokens_after, 480);
}

static void test_retry_driver_retry_after(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_NONE, 503, NULL, "", 3000},
        {MT_HTTP_FAIL_NONE, 429, NULL, "", 60000},
        {MT_HTTP_FAIL_NONE, 200, NULL, "", -1},
    };
    struct run r = run_script(s, N(s), 0, -1);
    (void)state;
    assert_int_equal(r.rc, 0);
    assert_int_equal(nsleeps, 2);
    assert_int_equal(sleeps[0], 3000);        /* max(500, min(3000, 5500)) */
    assert_int_equal(sleeps[1], 1000 + 5000); /* clamped to t + 5 s */
}

static void test_retry_driver_quota_exhausted(void **state)
{
    static const struct scripted s[] = {
        {MT_HTTP_FAIL_NONE, 500, NULL, "", -1},
        {MT_HTTP_FAIL_NONE, 200, NULL, "", -1},
    };
    struct run r = run_script(s, N(s), 0, 4);
    (void)state;
    assert_int_equal(r.rc, -1);
    assert_int_equal(prepares, 1);
    assert_int_equal(r.err.code, MT_E_AWS);
    assert_int_equal(r.err.http_status, 500);
    assert_int_equal(r.tokens_after, 4);
}

static void test_retry_driver_prepare_error(void **state)
{
    struct mt_err e = MT_ERR_INIT;
    struct mt_http *h = mt_http_new(&e);
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    (void)state;
    script_pos = script_len = 0;
    assert_int_equal(mt_http_call_retry(h, prepare_fails, NULL, &resp, &e), -1);
    assert_int_equal(e.code, MT_E_CRYPTO);
    assert_string_equal(e.msg, "cannot sign");
    assert_int_equal(script_pos, 0);
    mt_http_resp_release(&resp);
    mt_http_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_classify_table),
        cmocka_unit_test(test_retry_code_lists),
        cmocka_unit_test(test_retry_backoff_table),
        cmocka_unit_test(test_retry_delay_retry_after),
        cmocka_unit_test(test_retry_quota_bucket),
        cmocka_unit_test(test_retry_driver_500_500_200),
        cmocka_unit_test(test_retry_driver_first_success_refunds),
        cmocka_unit_test(test_retry_driver_max_three),
        cmocka_unit_test(test_retry_driver_max_attempts_configurable),
        cmocka_unit_test(test_retry_driver_throttling_400),
        cmocka_unit_test(test_retry_driver_access_denied_once),
        cmocka_unit_test(test_retry_driver_auth_error_not_retried),
        cmocka_unit_test(test_retry_driver_transport),
        cmocka_unit_test(test_retry_driver_retry_after),
        cmocka_unit_test(test_retry_driver_quota_exhausted),
        cmocka_unit_test(test_retry_driver_prepare_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
