/* retry.h - AWS "standard" retry mode (aws-wire.md section 7.1), pure: classification, full-jitter
 * backoff, Retry-After clamping (section 7.2 rule) and the retry quota token bucket.
 * The driver that sleeps and re-sends is mt_http_call_retry (common/http.h, in retry.c). */
#ifndef MT_COMMON_RETRY_H
#define MT_COMMON_RETRY_H

#include "common/http.h"

#define MT_RETRY_MAX_ATTEMPTS_DEFAULT 3 /* total attempts, initial one included */
#define MT_RETRY_QUOTA_MAX 500
#define MT_RETRY_COST 5          /* per retry */
#define MT_RETRY_TIMEOUT_COST 10 /* per retry after a timeout */
#define MT_RETRY_NO_RETRY_REFUND 1
#define MT_RETRY_BACKOFF_CAP_MS 20000L
#define MT_RETRY_AFTER_EXTRA_MS 5000L /* Retry-After is honoured up to backoff + 5 s */

enum mt_retry_kind {
    MT_RETRY_NONE = 0,   /* success or a final error */
    MT_RETRY_TRANSIENT,  /* 500/502/503/504, transient codes, connection errors */
    MT_RETRY_THROTTLE,   /* throttling codes, HTTP 429 */
    MT_RETRY_TIMEOUT     /* connect/read timeout */
};

/* The retry quota: MT_RETRY_QUOTA_MAX tokens at the start of a run. */
struct mt_retry_quota {
    int tokens;
};
#define MT_RETRY_QUOTA_INIT {MT_RETRY_QUOTA_MAX}

/* Settings of mt_http_call_retry, one per struct mt_http (mt_http_retry_cfg). */
struct mt_retry_cfg {
    int max_attempts;            /* 0 = MT_RETRY_MAX_ATTEMPTS_DEFAULT; 1 = never retry */
    struct mt_retry_quota quota;
    double (*rand01)(void *ud);  /* jitter in [0,1); NULL = libsodium randombytes_uniform */
    void (*sleep_ms)(void *ud, long ms); /* NULL = nanosleep */
    void *hook_ud;
};
#define MT_RETRY_CFG_INIT {0, MT_RETRY_QUOTA_INIT, NULL, NULL, NULL}

/* 1 if code is in the standard throttling list (Throttling, ThrottlingException, SlowDown, ...). */
int mt_retry_is_throttling_code(const char *code);
/* 1 if code is a transient code (RequestTimeout, RequestTimeoutException, PriorRequestNotComplete,
 * TimeoutError). */
int mt_retry_is_transient_code(const char *code);
/* Classifies one attempt: its transport failure (MT_HTTP_FAIL_*), else HTTP status and AWS error
 * code (NULL or "" if none). 2xx and other 4xx are MT_RETRY_NONE. */
enum mt_retry_kind mt_retry_classify(enum mt_http_fail fail, long status, const char *code);
/* Full-jitter backoff after the failed attempt number `attempt` (1-based):
 * b * min(2^(attempt-1), 20) seconds, in ms; b in [0,1) (clamped). */
long mt_retry_backoff_ms(int attempt, double b);
/* The delay to sleep: the backoff t, or with a server hint (retry_after_ms >= 0)
 * max(t, min(retry_after_ms, t + 5 s)). */
long mt_retry_delay_ms(int attempt, double b, long retry_after_ms);
/* Takes the cost of one retry of this kind from the quota. Returns the cost taken (> 0), or 0 when
 * the quota cannot pay it (then do not retry; the quota is unchanged). */
int mt_retry_quota_take(struct mt_retry_quota *q, enum mt_retry_kind kind);
/* Refund after a success: last_cost 0 (first attempt succeeded) refunds 1, else last_cost.
 * Never above MT_RETRY_QUOTA_MAX. */
void mt_retry_quota_refund(struct mt_retry_quota *q, int last_cost);

#endif
