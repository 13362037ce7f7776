/* http.h - the one HTTP transport of mytools (the only user of libcurl).
 *
 * libcurl is never linked: common/http.c loads "libcurl.so.4" with dlopen on the first request, so
 * commands that make no request (the warm `db token` path) pay nothing for it (contract.md, design
 * note on startup cost). Nothing in this header needs <curl/curl.h>.
 *
 * Policy, fixed here for every caller:
 *   - TLS is always verified (peer and host name), TLS 1.2 or newer; `ca_bundle` replaces the
 *     system store (AWS_CA_BUNDLE / profile ca_bundle semantics).
 *   - `http://` is allowed only to loopback hosts (127.0.0.0/8, ::1, localhost), and with
 *     MT_HTTP_ALLOW_METADATA also to the AWS instance/container metadata addresses
 *     (169.254.169.254, 169.254.170.2, 169.254.170.23, fd00:ec2::254, fd00:ec2::23). Anything else
 *     is refused before any connection is made. URLs carrying user:password@ are refused.
 *   - Proxies: the standard variables are honoured the way curl does (https_proxy/HTTPS_PROXY,
 *     http_proxy, ALL_PROXY, NO_PROXY); TLS stays end-to-end verified through a CONNECT tunnel.
 *     Plain-http requests (loopback / metadata only) never go through a proxy.
 *   - No redirects are followed (a 3xx comes back with `location` filled), no `Expect:
 *     100-continue`, no cookies, no compression, the request path is sent as is (SigV4 signs it).
 *   - The response body is capped while it is received; a larger one aborts the transfer.
 *   - CURLOPT_VERBOSE is never enabled. The debug callback gets method, host, path (never the
 *     query), status, request id and timing; never headers or bodies.
 * Secrets: request headers are built in wiped buffers, curl's copies in the header list are wiped
 * before the list is freed, the request body is passed without copying, and the response body is a
 * secret mt_buf (wiped on release). Copies libcurl makes internally while sending (its request
 * buffer) cannot be reached from here. */
#ifndef MT_COMMON_HTTP_H
#define MT_COMMON_HTTP_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

#define MT_HTTP_CONNECT_TIMEOUT_MS_DEFAULT 5000L
#define MT_HTTP_TIMEOUT_MS_DEFAULT 30000L
#define MT_HTTP_MAX_RESPONSE_DEFAULT ((size_t)1 << 20)
/* The shared object loaded on first use (see mt_http_set_libcurl_name). */
#define MT_HTTP_LIBCURL_SONAME "libcurl.so.4"

/* mt_http_req.flags */
#define MT_HTTP_ALLOW_METADATA 0x1u /* http:// also to the EC2/ECS/EKS metadata addresses */

/* One per run: owns the reused libcurl easy handle, so requests of one run to the same host share
 * a connection (one TLS handshake), and the retry settings and quota of mt_http_call_retry. */
struct mt_http;

struct mt_http_header {
    const char *name;
    const char *value;
    int secret; /* never logged (it never is anyway; the flag documents intent) */
};

/* All pointers are borrowed for the duration of mt_http_do. */
struct mt_http_req {
    const char *method;                   /* "GET", "POST", "PUT", "DELETE", "HEAD" ... */
    const char *url;                      /* absolute http(s) URL, query already encoded */
    const struct mt_http_header *headers; /* Host and Content-Length are set by the transport */
    size_t nheaders;
    const void *body; /* passed to libcurl without copying (CURLOPT_POSTFIELDS + SIZE) */
    size_t body_len;
    const char *ca_bundle;   /* PEM file replacing the system CA store; NULL = system store */
    long connect_timeout_ms; /* 0 = MT_HTTP_CONNECT_TIMEOUT_MS_DEFAULT */
    long timeout_ms;         /* whole request; 0 = MT_HTTP_TIMEOUT_MS_DEFAULT */
    size_t max_response;     /* body cap; 0 = MT_HTTP_MAX_RESPONSE_DEFAULT */
    unsigned flags;          /* MT_HTTP_ALLOW_METADATA */
};

/* Why mt_http_do failed without a response (for the retry rules). */
enum mt_http_fail {
    MT_HTTP_FAIL_NONE = 0, /* got a response */
    MT_HTTP_FAIL_CONNECT,  /* DNS, refused, reset, dropped connection, TLS handshake I/O: retryable */
    MT_HTTP_FAIL_TIMEOUT,  /* connect or total timeout: retryable (costs more quota) */
    MT_HTTP_FAIL_FATAL     /* refused URL, TLS verification, response too large, ...: final */
};

struct mt_http_resp {
    long status;          /* HTTP status; 0 when there was no response */
    struct mt_buf body;   /* SECRET mode: wiped on release */
    char request_id[80];  /* x-amzn-RequestId / x-amz-request-id */
    char error_type[128]; /* x-amzn-ErrorType, raw */
    char date[64];        /* Date */
    long retry_after_ms;  /* x-amz-retry-after (ms) or Retry-After (s or HTTP-date); -1 none */
    char location[512];   /* Location (redirects are not followed) */
    enum mt_http_fail fail;
    long total_ms;       /* duration of the attempt */
    long new_connections; /* connections opened by the attempt (0 = reused) */
};

#define MT_HTTP_RESP_INIT {.body = MT_BUF_INIT_SECRET, .retry_after_ms = -1}

/* Allocates a transport. Cheap: libcurl is loaded by the first mt_http_do. NULL with MT_E_NOMEM.
 * Caller releases with mt_http_free. */
struct mt_http *mt_http_new(struct mt_err *err) MT_WUR;
/* Closes connections and frees. NULL-safe. */
void mt_http_free(struct mt_http *h);

/* One attempt. Returns 0 when an HTTP response arrived (any status: check resp->status), or -1
 * with MT_E_HTTP (transport or TLS failure, refused URL, response over the cap; resp->fail says
 * which kind) or MT_E_USAGE (malformed request). resp may be zero-initialised or reused: its
 * previous contents are released first. Caller releases resp with mt_http_resp_release. */
int mt_http_do(struct mt_http *h, const struct mt_http_req *req, struct mt_http_resp *resp,
               struct mt_err *err) MT_WUR;
/* Wipes and frees the body and resets every field (retry_after_ms to -1). NULL-safe. */
void mt_http_resp_release(struct mt_http_resp *r);

/* Diagnostics for -v: fn gets one line at a time (no newline). NULL turns them off. */
void mt_http_set_debug(struct mt_http *h, void (*fn)(void *ud, const char *line), void *ud);
/* Emits one debug line through the callback, if any (for callers' own -v lines). */
void mt_http_debugf(struct mt_http *h, const char *fmt, ...) MT_PRINTF(2, 3);
/* The plain-http rule above, for callers that check a URL before any request: 1 when host (a URL's
 * host, brackets removed) is a literal loopback address or localhost. Names are never resolved. */
int mt_http_host_is_loopback(const char *host);

/* Loads libcurl now (normally done by the first request). Returns 0, or -1 with MT_E_HTTP
 * "cannot load libcurl.so.4: ...". */
int mt_http_load(struct mt_err *err) MT_WUR;
/* libcurl's version string ("7.88.1 OpenSSL/3.0.x ...") if it is loaded or loadable, else NULL.
 * Loads libcurl: for --version only. Borrowed. */
const char *mt_http_libcurl_version(void);
/* Replaces the soname to dlopen (tests, packagers). Call before the first request; borrowed. */
void mt_http_set_libcurl_name(const char *soname);

/* Retries ("standard" mode, aws-wire.md section 7) -------------------------------------------- */

struct mt_retry_cfg; /* common/retry.h */

/* The transport's retry settings and quota (one token bucket per run); never NULL for a valid h.
 * Callers may set max_attempts (AWS_MAX_ATTEMPTS / max_attempts); tests may set the hooks. */
struct mt_retry_cfg *mt_http_retry_cfg(struct mt_http *h);

/* Calls prepare(ud, attempt, &req, err) before every attempt (attempt = 1, 2, ...; re-sign there:
 * new X-Amz-Date), sends with mt_http_do, and retries throttling, 5xx, transient codes, dropped
 * connections and timeouts with full-jitter backoff, Retry-After and the retry quota.
 * The req that prepare fills (and what it points to) must stay valid until the next prepare call
 * or the return. Returns 0 only for a 2xx response (in resp). Otherwise -1 with err set:
 * the prepare error, the transport error of the last attempt (MT_E_HTTP), or for a non-2xx
 * response the parsed AWS error (mt_aws_parse_error: MT_E_AUTH or MT_E_AWS, aws_type,
 * request_id, http_status); resp then still holds that last response. Caller releases resp. */
int mt_http_call_retry(struct mt_http *h,
                       int (*prepare)(void *ud, int attempt, struct mt_http_req *req,
                                      struct mt_err *err),
                       void *ud, struct mt_http_resp *resp, struct mt_err *err) MT_WUR;

#endif
