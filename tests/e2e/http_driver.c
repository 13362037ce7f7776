/* http_driver.c - drives common/http.c for tests/e2e/test_http.py.
 *
 * usage: http_driver [options] URL
 *   --method M            (default GET, or POST with a body)
 *   --ca FILE             CA bundle
 *   --header 'N: v'       a non-secret header (repeatable)
 *   --stdin               read secret parts from stdin, one per line:
 *                           "header Name: value"  (a header flagged secret)
 *                           "body TEXT"           (request body)
 *   --count N             N sequential requests on one transport (connection reuse)
 *   --retry               go through mt_http_call_retry (prepare counts attempts)
 *   --max-attempts N      retry setting
 *   --no-jitter           jitter b = 0 (delays then come from Retry-After only)
 *   --timeout-ms N, --connect-timeout-ms N, --max-response N
 *   --allow-metadata      MT_HTTP_ALLOW_METADATA
 *   --libcurl SONAME      load this instead of libcurl.so.4
 *   --print-body          print the response body after the status line
 *   -v                    debug lines on stderr ("debug: ...")
 * Output: per request "status=S attempts=A body_len=L new_connections=C request_id=R", then "ok" or
 * "error code=NAME exit=X fail=F status=S type=T msg=M". Exit status: mt_err_exit_code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/http.h"
#include "common/mem.h"
#include "common/retry.h"

#define MAX_HEADERS 32

struct ctx {
    struct mt_http_req req;
    struct mt_http_header headers[MAX_HEADERS];
    size_t nheaders;
    int attempts;
};

static const char *code_name(enum mt_errc c)
{
    static const char *const names[] = {"MT_E_OK",   "MT_E_USAGE", "MT_E_NOMEM",
                                        "MT_E_IO",   "MT_E_CONFIG", "MT_E_AUTH",
                                        "MT_E_HTTP", "MT_E_AWS",   "MT_E_CRYPTO",
                                        "MT_E_INTERNAL"};
    return (size_t)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

static void debug_line(void *ud, const char *line)
{
    (void)ud;
    fprintf(stderr, "debug: %s\n", line);
}

static double zero(void *ud)
{
    (void)ud;
    return 0.0;
}

static int prepare(void *ud, int attempt, struct mt_http_req *req, struct mt_err *err)
{
    struct ctx *c = ud;
    (void)err;
    c->attempts = attempt;
    *req = c->req;
    return 0;
}

static long num(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0) {
        fprintf(stderr, "http_driver: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static int split_header(char *line, struct mt_http_header *h, int secret)
{
    char *colon = strchr(line, ':');
    if (!colon)
        return -1;
    *colon = '\0';
    h->name = line;
    h->value = colon + 1;
    while (*h->value == ' ')
        h->value++;
    h->secret = secret;
    return 0;
}

int main(int argc, char **argv)
{
    struct ctx c;
    struct mt_err err = MT_ERR_INIT;
    struct mt_http *h = NULL;
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    struct mt_buf body = MT_BUF_INIT_SECRET;
    char *lines[MAX_HEADERS + 1];
    size_t nlines = 0;
    long count = 1;
    int use_retry = 0, no_jitter = 0, print_body = 0, verbose = 0, read_stdin = 0, i, rc = 0;
    int max_attempts = 0;
    const char *url = NULL, *libcurl = NULL;
    long n;

    memset(&c, 0, sizeof(c));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV                                                                                      \
    do {                                                                                           \
        if (!v) {                                                                                  \
            fprintf(stderr, "http_driver: %s needs a value\n", a);                                 \
            return 2;                                                                              \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "--method")) {
            NEEDV;
            c.req.method = v;
        } else if (!strcmp(a, "--ca")) {
            NEEDV;
            c.req.ca_bundle = v;
        } else if (!strcmp(a, "--header")) {
            NEEDV;
            if (c.nheaders >= MAX_HEADERS || !(lines[nlines] = strdup(v)) ||
                split_header(lines[nlines], &c.headers[c.nheaders], 0) < 0)
                return 2;
            nlines++;
            c.nheaders++;
        } else if (!strcmp(a, "--stdin")) {
            read_stdin = 1;
        } else if (!strcmp(a, "--count")) {
            NEEDV;
            count = num(v);
        } else if (!strcmp(a, "--retry")) {
            use_retry = 1;
        } else if (!strcmp(a, "--max-attempts")) {
            NEEDV;
            max_attempts = (int)num(v);
        } else if (!strcmp(a, "--no-jitter")) {
            no_jitter = 1;
        } else if (!strcmp(a, "--timeout-ms")) {
            NEEDV;
            c.req.timeout_ms = num(v);
        } else if (!strcmp(a, "--connect-timeout-ms")) {
            NEEDV;
            c.req.connect_timeout_ms = num(v);
        } else if (!strcmp(a, "--max-response")) {
            NEEDV;
            c.req.max_response = (size_t)num(v);
        } else if (!strcmp(a, "--allow-metadata")) {
            c.req.flags |= MT_HTTP_ALLOW_METADATA;
        } else if (!strcmp(a, "--libcurl")) {
            NEEDV;
            libcurl = v;
        } else if (!strcmp(a, "--print-body")) {
            print_body = 1;
        } else if (!strcmp(a, "-v")) {
            verbose = 1;
        } else if (a[0] == '-' || url) {
            fprintf(stderr, "http_driver: bad argument '%s'\n", a);
            return 2;
        } else {
            url = a;
        }
    }
    if (!url) {
        fprintf(stderr, "usage: http_driver [options] URL\n");
        return 2;
    }
    c.req.url = url;

    if (read_stdin) {
        char line[8192];
        while (fgets(line, sizeof(line), stdin)) {
            size_t l = strlen(line);
            while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
                line[--l] = '\0';
            if (!strncmp(line, "header ", 7)) {
                if (c.nheaders >= MAX_HEADERS || nlines >= MAX_HEADERS ||
                    !(lines[nlines] = strdup(line + 7)) ||
                    split_header(lines[nlines], &c.headers[c.nheaders], 1) < 0)
                    return 2;
                nlines++;
                c.nheaders++;
            } else if (!strncmp(line, "body ", 5)) {
                if (mt_buf_adds(&body, line + 5) < 0)
                    return 1;
            }
            mt_memzero(line, sizeof(line));
        }
        if (body.len) {
            c.req.body = body.p;
            c.req.body_len = body.len;
        }
    }
    if (!c.req.method)
        c.req.method = c.req.body ? "POST" : "GET";
    c.req.headers = c.headers;
    c.req.nheaders = c.nheaders;

    if (libcurl)
        mt_http_set_libcurl_name(libcurl);
    if (!(h = mt_http_new(&err)))
        goto fail;
    if (verbose)
        mt_http_set_debug(h, debug_line, NULL);
    if (max_attempts)
        mt_http_retry_cfg(h)->max_attempts = max_attempts;
    if (no_jitter)
        mt_http_retry_cfg(h)->rand01 = zero;

    for (n = 0; n < count; n++) {
        c.attempts = 1;
        if (use_retry)
            rc = mt_http_call_retry(h, prepare, &c, &resp, &err);
        else
            rc = mt_http_do(h, &c.req, &resp, &err);
        printf("status=%ld attempts=%d body_len=%zu new_connections=%ld request_id=%s\n",
               resp.status, c.attempts, resp.body.len, resp.new_connections, resp.request_id);
        if (print_body)
            printf("%s\n", mt_buf_str(&resp.body));
        if (rc < 0)
            goto fail;
    }
    printf("ok\n");
    goto out;
fail:
    printf("error code=%s exit=%d fail=%d status=%ld type=%s msg=%s\n", code_name(err.code),
           mt_err_exit_code(&err), (int)resp.fail, err.http_status, err.aws_type, err.msg);
    if (err.hint[0])
        printf("hint: %s\n", err.hint);
    rc = -1;
out:
    fflush(stdout);
    mt_http_resp_release(&resp);
    mt_http_free(h);
    mt_buf_release(&body);
    for (i = 0; (size_t)i < nlines; i++)
        mt_free_secret(lines[i]);
    return rc < 0 ? (mt_err_exit_code(&err) ? mt_err_exit_code(&err) : 1) : 0;
}
