/* retry.c - standard-mode retry rules (pure, top half) and the retry driver mt_http_call_retry
 * (edge, bottom half: sleeps, draws jitter from libsodium, calls mt_http_do across translation
 * units so tests can substitute the transport). */
#include "common/retry.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/awserr.h"

static const char *const throttling_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

static const char *const transient_codes[] = {
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    "TimeoutError",
};

static int in_list(const char *code, const char *const *list, size_t n)
{
    size_t i;
    if (!code || !*code)
        return 0;
    for (i = 0; i < n; i++)
        if (!strcmp(code, list[i]))
            return 1;
    return 0;
}

int mt_retry_is_throttling_code(const char *code)
{
    return in_list(code, throttling_codes, sizeof(throttling_codes) / sizeof(throttling_codes[0]));
}

int mt_retry_is_transient_code(const char *code)
{
    return in_list(code, transient_codes, sizeof(transient_codes) / sizeof(transient_codes[0]));
}

enum mt_retry_kind mt_retry_classify(enum mt_http_fail fail, long status, const char *code)
{
    switch (fail) {
    case MT_HTTP_FAIL_TIMEOUT:
        return MT_RETRY_TIMEOUT;
    case MT_HTTP_FAIL_CONNECT:
        return MT_RETRY_TRANSIENT;
    case MT_HTTP_FAIL_FATAL:
        return MT_RETRY_NONE;
    case MT_HTTP_FAIL_NONE:
        break;
    }
    if (status >= 200 && status < 300)
        return MT_RETRY_NONE;
    if (status == 429 || mt_retry_is_throttling_code(code))
        return MT_RETRY_THROTTLE;
    if (mt_retry_is_transient_code(code))
        return MT_RETRY_TRANSIENT;
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return MT_RETRY_TRANSIENT;
    return MT_RETRY_NONE;
}

long mt_retry_backoff_ms(int attempt, double b)
{
    long ceiling_ms;

    if (!(b > 0.0)) /* also NaN */
        b = 0.0;
    if (b >= 1.0)
        b = 0.999999;
    if (attempt < 1)
        attempt = 1;
    /* min(2^(attempt-1), 20) seconds; 2^5 > 20 already */
    ceiling_ms = attempt > 5 ? MT_RETRY_BACKOFF_CAP_MS : (1000L << (attempt - 1));
    if (ceiling_ms > MT_RETRY_BACKOFF_CAP_MS)
        ceiling_ms = MT_RETRY_BACKOFF_CAP_MS;
    return (long)(b * (double)ceiling_ms);
}

long mt_retry_delay_ms(int attempt, double b, long retry_after_ms)
{
    long t = mt_retry_backoff_ms(attempt, b);
    long hi;

    if (retry_after_ms < 0)
        return t;
    hi = t + MT_RETRY_AFTER_EXTRA_MS;
    if (retry_after_ms < hi)
        hi = retry_after_ms;
    return hi > t ? hi : t;
}

int mt_retry_quota_take(struct mt_retry_quota *q, enum mt_retry_kind kind)
{
    int cost;

    if (!q || kind == MT_RETRY_NONE)
        return 0;
    cost = kind == MT_RETRY_TIMEOUT ? MT_RETRY_TIMEOUT_COST : MT_RETRY_COST;
    if (q->tokens < cost)
        return 0;
    q->tokens -= cost;
    return cost;
}

void mt_retry_quota_refund(struct mt_retry_quota *q, int last_cost)
{
    if (!q)
        return;
    q->tokens += last_cost > 0 ? last_cost : MT_RETRY_NO_RETRY_REFUND;
    if (q->tokens > MT_RETRY_QUOTA_MAX)
        q->tokens = MT_RETRY_QUOTA_MAX;
}

/* ---- edge: the driver ------------------------------------------------------------------------ */

static double default_rand01(void)
{
    return (double)randombytes_uniform(1000000U) / 1e6;
}

static void default_sleep_ms(long ms)
{
    struct timespec ts, rem;

    if (ms <= 0)
        return;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &rem) < 0 && errno == EINTR)
        ts = rem;
}

static const char *kind_name(enum mt_retry_kind k)
{
    switch (k) {
    case MT_RETRY_THROTTLE:
        return "throttled";
    case MT_RETRY_TIMEOUT:
        return "timed out";
    case MT_RETRY_TRANSIENT:
        return "transient error";
    case MT_RETRY_NONE:
        break;
    }
    return "final";
}

int mt_http_call_retry(struct mt_http *h,
                       int (*prepare)(void *ud, int attempt, struct mt_http_req *req,
                                      struct mt_err *err),
                       void *ud, struct mt_http_resp *resp, struct mt_err *err)
{
    struct mt_retry_cfg *cfg;
    int max, attempt, last_cost = 0;

    if (!h || !prepare || !resp)
        return mt_err_set(err, MT_E_INTERNAL, "mt_http_call_retry: bad arguments");
    cfg = mt_http_retry_cfg(h);
    max = cfg->max_attempts > 0 ? cfg->max_attempts : MT_RETRY_MAX_ATTEMPTS_DEFAULT;

    for (attempt = 1;; attempt++) {
        struct mt_http_req req;
        struct mt_err e = MT_ERR_INIT;
        char code[64] = "";
        enum mt_retry_kind kind;
        long delay;
        int cost, rc;

        memset(&req, 0, sizeof(req));
        mt_http_resp_release(resp);
        if (prepare(ud, attempt, &req, err) < 0)
            return -1;
        rc = mt_http_do(h, &req, resp, &e);
        if (rc == 0 && resp->status >= 200 && resp->status < 300) {
            mt_retry_quota_refund(&cfg->quota, last_cost);
            return 0;
        }
        if (rc == 0)
            (void)mt_aws_error_code(resp, code, sizeof(code));
        else if (e.code != MT_E_HTTP) { /* malformed request: never retried */
            if (err)
                *err = e;
            return -1;
        }
        kind = mt_retry_classify(rc == 0 ? MT_HTTP_FAIL_NONE : resp->fail, resp->status, code);

        if (kind == MT_RETRY_NONE || attempt >= max ||
            !(cost = mt_retry_quota_take(&cfg->quota, kind))) {
            if (kind != MT_RETRY_NONE)
                mt_http_debugf(h, "retry: giving up after %d attempt%s (%s)", attempt,
                               attempt == 1 ? "" : "s",
                               attempt >= max ? "max attempts reached" : "retry quota exhausted");
            if (rc == 0)
                return mt_aws_parse_error(resp, err);
            if (err)
                *err = e;
            return -1;
        }
        last_cost = cost;
        delay = mt_retry_delay_ms(attempt,
                                  cfg->rand01 ? cfg->rand01(cfg->hook_ud) : default_rand01(),
                                  resp->retry_after_ms);
        if (rc == 0)
            mt_http_debugf(h, "retry: attempt %d/%d got HTTP %ld%s%s (%s); retrying in %ld ms",
                           attempt, max, resp->status, *code ? " " : "", code, kind_name(kind),
                           delay);
        else
            mt_http_debugf(h, "retry: attempt %d/%d failed (%s); retrying in %ld ms", attempt, max,
                           kind_name(kind), delay);
        if (cfg->sleep_ms)
            cfg->sleep_ms(cfg->hook_ud, delay);
        else
            default_sleep_ms(delay);
    }
}
