/* http.c - the HTTP transport: the only file that knows libcurl. libcurl is loaded with dlopen on
 * first use and never linked (see http.h and contract.md's startup-cost note). */
#define CURL_DISABLE_TYPECHECK 1 /* we call through our own function pointers */
#define CURL_NO_OLDIES 1
#include "common/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/retry.h"
#include "common/timeutil.h"

#ifndef MT_HTTP_USER_AGENT
#define MT_HTTP_USER_AGENT "mytools"
#endif

/* ---- the dynamically loaded libcurl ------------------------------------------------------------ */

struct curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    void (*easy_reset)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
    curl_version_info_data *(*version_info)(CURLversion v);
};

/* Process-wide load state (an edge: loading a library is inherently global). */
static struct curl_api cu;
static int cu_state;                 /* 0 not tried, 1 loaded, -1 failed */
static char cu_error[300];           /* why loading failed, for every later request */
static const char *cu_soname = MT_HTTP_LIBCURL_SONAME;

void mt_http_set_libcurl_name(const char *soname)
{
    if (cu_state == 0 && soname && *soname)
        cu_soname = soname;
}

/* dlsym into a function pointer without the object-to-function-pointer cast ISO C forbids. */
static int sym(void *lib, const char *name, void *fnptr, size_t fnsize)
{
    void *p = dlsym(lib, name);
    if (!p) {
        const char *e = dlerror();
        snprintf(cu_error, sizeof(cu_error), "cannot load %s: missing %s%s%s", cu_soname, name,
                 e ? ": " : "", e ? e : "");
        return -1;
    }
    memcpy(fnptr, &p, fnsize);
    return 0;
}

#define SYM(lib, name, field) sym(lib, name, &cu.field, sizeof(cu.field))

static int load_curl(struct mt_err *err)
{
    void *lib;
    curl_version_info_data *vi;

    if (cu_state == 1)
        return 0;
    if (cu_state == 0) {
        cu_state = -1;
        lib = dlopen(cu_soname, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            const char *e = dlerror();
            snprintf(cu_error, sizeof(cu_error), "cannot load %s: %s", cu_soname,
                     e ? e : "unknown error");
        } else if (SYM(lib, "curl_global_init", global_init) < 0 ||
                   SYM(lib, "curl_easy_init", easy_init) < 0 ||
                   SYM(lib, "curl_easy_setopt", easy_setopt) < 0 ||
                   SYM(lib, "curl_easy_perform", easy_perform) < 0 ||
                   SYM(lib, "curl_easy_getinfo", easy_getinfo) < 0 ||
                   SYM(lib, "curl_easy_cleanup", easy_cleanup) < 0 ||
                   SYM(lib, "curl_easy_reset", easy_reset) < 0 ||
                   SYM(lib, "curl_easy_strerror", easy_strerror) < 0 ||
                   SYM(lib, "curl_slist_append", slist_append) < 0 ||
                   SYM(lib, "curl_slist_free_all", slist_free_all) < 0 ||
                   SYM(lib, "curl_version_info", version_info) < 0) {
            /* cu_error set; the library stays mapped (harmless, and dlclose of libcurl's TLS
             * stack is not reliably safe) */
        } else if (!(vi = cu.version_info(CURLVERSION_NOW)) || vi->version_num < 0x073d00) {
            snprintf(cu_error, sizeof(cu_error), "cannot use %s: libcurl %s is older than 7.61.0",
                     cu_soname, vi && vi->version ? vi->version : "?");
        } else if (!(vi->features & CURL_VERSION_SSL)) {
            snprintf(cu_error, sizeof(cu_error), "cannot use %s: libcurl has no TLS support",
                     cu_soname);
        } else if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(cu_error, sizeof(cu_error), "cannot initialise %s", cu_soname);
        } else {
            cu_state = 1; /* never dlclose'd: libcurl and its TLS library stay for the process */
            return 0;
        }
    }
    return mt_err_set(err, MT_E_HTTP, "%s", cu_error);
}

int mt_http_load(struct mt_err *err)
{
    return load_curl(err);
}

const char *mt_http_libcurl_version(void)
{
    struct mt_err e = MT_ERR_INIT;
    curl_version_info_data *vi;

    if (load_curl(&e) < 0 || !(vi = cu.version_info(CURLVERSION_NOW)))
        return NULL;
    return vi->version;
}

/* ---- the transport object ---------------------------------------------------------------------- */

struct mt_http {
    CURL *easy; /* created by the first request, reused (with its connection cache) */
    void (*debug)(void *ud, const char *line);
    void *debug_ud;
    struct mt_retry_cfg retry;
};

struct mt_http *mt_http_new(struct mt_err *err)
{
    struct mt_http *h = calloc(1, sizeof(*h));
    static const struct mt_retry_cfg rinit = MT_RETRY_CFG_INIT;

    if (!h) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        return NULL;
    }
    h->retry = rinit;
    return h;
}

void mt_http_free(struct mt_http *h)
{
    if (!h)
        return;
    if (h->easy && cu_state == 1)
        cu.easy_cleanup(h->easy);
    free(h);
}

struct mt_retry_cfg *mt_http_retry_cfg(struct mt_http *h)
{
    return h ? &h->retry : NULL;
}

void mt_http_set_debug(struct mt_http *h, void (*fn)(void *ud, const char *line), void *ud)
{
    if (!h)
        return;
    h->debug = fn;
    h->debug_ud = ud;
}

void mt_http_debugf(struct mt_http *h, const char *fmt, ...)
{
    char line[512], clean[512];
    va_list ap;

    if (!h || !h->debug)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    mt_err_sanitize(clean, sizeof(clean), line, strlen(line));
    h->debug(h->debug_ud, clean);
}

void mt_http_resp_release(struct mt_http_resp *r)
{
    struct mt_buf b;

    if (!r)
        return;
    b = r->body;
    mt_buf_release(&b);
    memset(r, 0, sizeof(*r));
    r->body = b; /* keeps mode and cap, as mt_buf_release does */
    r->body.secret = 1;
    r->retry_after_ms = -1;
}

/* ---- URL checks -------------------------------------------------------------------------------- */

struct url_parts {
    int https;
    char host[256];      /* without brackets for IPv6 */
    char hostport[272];  /* as written in the URL (for messages) */
    const char *path;    /* into the URL */
    size_t path_len;     /* up to '?' or '#' */
    const char *query;   /* after '?', or NULL */
};

static int parse_url(const char *url, struct url_parts *u)
{
    const char *p, *a_end, *h, *h_end;
    size_t i;

    memset(u, 0, sizeof(*u));
    for (i = 0; url[i]; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\')
            return -1;
    }
    if (!strncasecmp(url, "https://", 8)) {
        u->https = 1;
        p = url + 8;
    } else if (!strncasecmp(url, "http://", 7)) {
        p = url + 7;
    } else {
        return -1;
    }
    a_end = p + strcspn(p, "/?#");
    if (a_end == p || memchr(p, '@', (size_t)(a_end - p)))
        return -1;
    if ((size_t)(a_end - p) >= sizeof(u->hostport))
        return -1;
    memcpy(u->hostport, p, (size_t)(a_end - p));
    u->hostport[a_end - p] = '\0';
    if (*p == '[') {
        h = p + 1;
        h_end = memchr(h, ']', (size_t)(a_end - h));
        if (!h_end || (h_end + 1 < a_end && h_end[1] != ':'))
            return -1;
    } else {
        h = p;
        h_end = memchr(p, ':', (size_t)(a_end - p));
        if (!h_end)
            h_end = a_end;
    }
    if (h_end == h || (size_t)(h_end - h) >= sizeof(u->host))
        return -1;
    memcpy(u->host, h, (size_t)(h_end - h));
    u->host[h_end - h] = '\0';
    u->path = a_end;
    u->path_len = strcspn(a_end, "?#");
    u->query = a_end[u->path_len] == '?' ? a_end + u->path_len + 1 : NULL;
    return 0;
}

int mt_http_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost."))
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return 0;
}

static int host_is_metadata(const char *host)
{
    static const char *const v4[] = {"169.254.169.254", "169.254.170.2", "169.254.170.23"};
    static const char *const v6[] = {"fd00:ec2::254", "fd00:ec2::23"};
    struct in_addr a4, b4;
    struct in6_addr a6, b6;
    size_t i;

    if (inet_pton(AF_INET, host, &a4) == 1) {
        for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
            if (inet_pton(AF_INET, v4[i], &b4) == 1 && a4.s_addr == b4.s_addr)
                return 1;
    } else if (inet_pton(AF_INET6, host, &a6) == 1) {
        for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
            if (inet_pton(AF_INET6, v6[i], &b6) == 1 && !memcmp(&a6, &b6, sizeof(a6)))
                return 1;
    }
    return 0;
}

/* ---- callbacks --------------------------------------------------------------------------------- */

struct xfer {
    struct mt_http_resp *resp;
    size_t cap;
    int too_big;
    int nomem;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;

    if (n > x->cap || x->resp->body.len > x->cap - n) {
        x->too_big = 1;
        return 0; /* aborts the transfer (CURLE_WRITE_ERROR) */
    }
    if (mt_buf_add(&x->resp->body, data, n) < 0) {
        x->nomem = 1;
        return 0;
    }
    return n;
}

static void copy_value(char *dst, size_t dstsz, const char *v, size_t n)
{
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    mt_err_sanitize(dst, dstsz, v, n);
}

static long parse_long(const char *s, size_t n, int *ok)
{
    long v = 0;
    size_t i = 0;

    *ok = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == n || s[i] < '0' || s[i] > '9')
        return 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > 100000000L)
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    *ok = i == n;
    return v;
}

/* RFC 7231 IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" -> ms from now (>= 0), or -1. The date
 * itself is read by mt_time_parse_http_date, the one HTTP-date parser. */
static long http_date_delay_ms(const char *s, size_t n)
{
    char buf[64];
    time_t t, now;

    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (mt_time_parse_http_date(buf, &t) < 0)
        return -1;
    now = mt_clock_now();
    return t > now ? (long)(t - now) * 1000L : 0;
}

static int hdr_is(const char *line, size_t n, const char *name, const char **val, size_t *vlen)
{
    size_t l = strlen(name);
    if (n <= l || line[l] != ':' || strncasecmp(line, name, l))
        return 0;
    *val = line + l + 1;
    *vlen = n - l - 1;
    while (*vlen && (**val == ' ' || **val == '\t')) {
        (*val)++;
        (*vlen)--;
    }
    return 1;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    struct mt_http_resp *r = x->resp;
    size_t n = size * nmemb;
    const char *v;
    size_t vl;
    int ok;
    long ms;

    if (n >= 5 && !memcmp(line, "HTTP/", 5)) {
        /* a new response head (after 100 Continue or a proxy CONNECT): forget the old one */
        r->request_id[0] = r->error_type[0] = r->date[0] = r->location[0] = '\0';
        r->retry_after_ms = -1;
        return n;
    }
    if (hdr_is(line, n, "x-amzn-RequestId", &v, &vl) ||
        (!r->request_id[0] && hdr_is(line, n, "x-amz-request-id", &v, &vl)))
        copy_value(r->request_id, sizeof(r->request_id), v, vl);
    else if (hdr_is(line, n, "x-amzn-ErrorType", &v, &vl))
        copy_value(r->error_type, sizeof(r->error_type), v, vl);
    else if (hdr_is(line, n, "Date", &v, &vl))
        copy_value(r->date, sizeof(r->date), v, vl);
    else if (hdr_is(line, n, "Location", &v, &vl))
        copy_value(r->location, sizeof(r->location), v, vl);
    else if (hdr_is(line, n, "x-amz-retry-after", &v, &vl)) {
        ms = parse_long(v, vl, &ok);
        if (ok)
            r->retry_after_ms = ms; /* milliseconds; wins over Retry-After */
    } else if (hdr_is(line, n, "Retry-After", &v, &vl) && r->retry_after_ms < 0) {
        ms = parse_long(v, vl, &ok);
        if (ok)
            r->retry_after_ms = ms > 86400 ? 86400000L : ms * 1000L;
        else
            r->retry_after_ms = http_date_delay_ms(v, vl);
    }
    return n;
}

/* ---- the request ------------------------------------------------------------------------------- */

static int header_ok(const struct mt_http_header *hd)
{
    const char *p;

    if (!hd->name || !*hd->name || !hd->value)
        return 0;
    for (p = hd->name; *p; p++) /* RFC 7230 token characters */
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *p)))
            return 0;
    for (p = hd->value; *p; p++)
        if (*p == '\r' || *p == '\n' || *p == '\0')
            return 0;
    return 1;
}

static void wipe_slist(struct curl_slist *l)
{
    struct curl_slist *it;

    for (it = l; it; it = it->next)
        if (it->data)
            mt_memzero(it->data, strlen(it->data));
    if (l)
        cu.slist_free_all(l);
}

/* Builds the header list; every string is built in a secret buffer that is wiped after curl has
 * copied it. */
static int build_headers(const struct mt_http_req *req, struct curl_slist **out, struct mt_err *err)
{
    struct mt_buf line = MT_BUF_INIT_SECRET;
    struct curl_slist *l = NULL, *nl;
    size_t i;
    int rc = -1;

    for (i = 0; i < req->nheaders; i++) {
        const struct mt_http_header *hd = &req->headers[i];
        if (!header_ok(hd)) {
            mt_err_set(err, MT_E_USAGE, "invalid HTTP header '%s'", hd->name ? hd->name : "");
            goto out;
        }
        mt_buf_reset(&line);
        /* "Name;" is curl's way to send a header with an empty value */
        if ((*hd->value ? mt_buf_addf(&line, "%s: %s", hd->name, hd->value)
                        : mt_buf_addf(&line, "%s;", hd->name)) < 0 ||
            !(nl = cu.slist_append(l, line.p))) {
            mt_err_set(err, MT_E_NOMEM, "out of memory");
            goto out;
        }
        l = nl;
    }
    /* no "Expect: 100-continue" round trip before a body */
    if (!(nl = cu.slist_append(l, "Expect:"))) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    l = nl;
    *out = l;
    l = NULL;
    rc = 0;
out:
    wipe_slist(l);
    mt_buf_release(&line);
    return rc;
}

static int method_ok(const char *m)
{
    size_t i;
    if (!m || !*m || strlen(m) > 16)
        return 0;
    for (i = 0; m[i]; i++)
        if (m[i] < 'A' || m[i] > 'Z')
            return 0;
    return 1;
}

/* curl's error text, sanitised, with the query string cut out if curl quoted the URL. */
static void curl_text(char *dst, size_t dstsz, const char *errbuf, CURLcode rc,
                      const struct url_parts *u)
{
    char tmp[CURL_ERROR_SIZE];
    const char *src = errbuf[0] ? errbuf : cu.easy_strerror(rc);
    char *q;

    snprintf(tmp, sizeof(tmp), "%s", src ? src : "unknown error");
    if (u->query && *u->query && (q = strstr(tmp, u->query)) != NULL)
        *q = '\0';
    {
        size_t n = strlen(tmp);
        while (n && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r' || tmp[n - 1] == ' '))
            tmp[--n] = '\0';
    }
    mt_err_sanitize(dst, dstsz, tmp, strlen(tmp));
}

#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if ((crc = cu.easy_setopt(h->easy, opt, val)) != CURLE_OK) {                               \
            mt_err_set(err, MT_E_HTTP, "cannot set up the HTTP request (%s): %s", #opt,            \
                       cu.easy_strerror(crc));                                                      \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

int mt_http_do(struct mt_http *h, const struct mt_http_req *req, struct mt_http_resp *resp,
               struct mt_err *err)
{
    struct url_parts u;
    struct xfer x;
    struct curl_slist *hl = NULL;
    char errbuf[CURL_ERROR_SIZE];
    char text[CURL_ERROR_SIZE];
    CURLcode crc, prc;
    curl_off_t total_us = 0;
    long status = 0, nconn = 0;
    size_t cap;
    int plain, local, rc = -1;

    if (!resp)
        return mt_err_set(err, MT_E_INTERNAL, "mt_http_do: no response object");
    mt_http_resp_release(resp);
    resp->fail = MT_HTTP_FAIL_FATAL;
    if (!h || !req || !req->url)
        return mt_err_set(err, MT_E_INTERNAL, "mt_http_do: bad arguments");
    if (!method_ok(req->method))
        return mt_err_set(err, MT_E_USAGE, "invalid HTTP method '%s'",
                          req->method ? req->method : "");
    if (req->body_len && !req->body)
        return mt_err_set(err, MT_E_USAGE, "HTTP body length without a body");
    if (parse_url(req->url, &u) < 0) {
        /* never echo user info or a query: either may hold a secret */
        if (strchr(req->url, '@'))
            return mt_err_set(err, MT_E_HTTP, "invalid URL: a user name or password in a URL "
                              "is not allowed");
        return mt_err_set(err, MT_E_HTTP, "invalid URL '%.*s'", (int)strcspn(req->url, "?#"),
                          req->url);
    }
    plain = !u.https;
    local = mt_http_host_is_loopback(u.host) ||
            ((req->flags & MT_HTTP_ALLOW_METADATA) && host_is_metadata(u.host));
    if (plain && !local) {
        mt_err_set(err, MT_E_HTTP, "refusing plain http:// to '%s': only loopback addresses may "
                   "be reached without TLS", u.hostport);
        mt_err_hint(err, "use an https:// endpoint");
        return -1;
    }
    if ((req->body_len || req->body) &&
        (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")))
        return mt_err_set(err, MT_E_USAGE, "HTTP %s with a body", req->method);
    if (req->ca_bundle && access(req->ca_bundle, R_OK) < 0)
        return mt_err_sys(err, MT_E_HTTP, errno, "cannot read CA bundle '%s'",
                          req->ca_bundle);
    if (load_curl(err) < 0)
        return -1;
    if (!h->easy) {
        if (!(h->easy = cu.easy_init()))
            return mt_err_set(err, MT_E_HTTP, "cannot create a libcurl handle");
    } else {
        cu.easy_reset(h->easy); /* options only: the connection cache and TLS sessions stay */
    }
    if (build_headers(req, &hl, err) < 0)
        return -1;

    cap = req->max_response ? req->max_response : MT_HTTP_MAX_RESPONSE_DEFAULT;
    x.resp = resp;
    x.cap = cap;
    x.too_big = x.nomem = 0;
    resp->body.secret = 1;
    resp->body.max = cap;
    errbuf[0] = '\0';

    SETOPT(CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(CURLOPT_URL, req->url);
    /* only http(s), also for anything curl might be tempted to follow; older libcurl lacks it */
    crc = cu.easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
    if (crc != CURLE_OK && crc != CURLE_UNKNOWN_OPTION) {
        mt_err_set(err, MT_E_HTTP, "cannot restrict protocols: %s", cu.easy_strerror(crc));
        goto out;
    }
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (req->ca_bundle) {
        SETOPT(CURLOPT_CAINFO, req->ca_bundle);
        SETOPT(CURLOPT_CAPATH, (char *)NULL); /* only the given bundle, as botocore's verify */
    }
    if (local)
        SETOPT(CURLOPT_NOPROXY, "*"); /* loopback / metadata: never through a proxy */
    SETOPT(CURLOPT_PATH_AS_IS, 1L); /* send the path SigV4 signed, without dot-segment removal */
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS,
           req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                       : MT_HTTP_CONNECT_TIMEOUT_MS_DEFAULT);
    SETOPT(CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : MT_HTTP_TIMEOUT_MS_DEFAULT);
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap);
    SETOPT(CURLOPT_USERAGENT, MT_HTTP_USER_AGENT);
    SETOPT(CURLOPT_HTTPHEADER, hl);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, &x);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, &x);
    SETOPT(CURLOPT_VERBOSE, 0L);

    if (!strcmp(req->method, "GET")) {
        SETOPT(CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(req->method, "HEAD")) {
        SETOPT(CURLOPT_NOBODY, 1L);
    } else {
        if (req->body || !strcmp(req->method, "POST") || !strcmp(req->method, "PUT")) {
            /* POSTFIELDS does not copy: the caller's buffer is used in place */
            SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            SETOPT(CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
        }
        if (strcmp(req->method, "POST"))
            SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
    }

    mt_http_debugf(h, "http: > %s %s://%s%.*s", req->method, u.https ? "https" : "http",
                   u.hostport, (int)(u.path_len ? u.path_len : 1), u.path_len ? u.path : "/");
    prc = cu.easy_perform(h->easy);
    (void)cu.easy_getinfo(h->easy, CURLINFO_TOTAL_TIME_T, &total_us);
    (void)cu.easy_getinfo(h->easy, CURLINFO_NUM_CONNECTS, &nconn);
    resp->total_ms = (long)(total_us / 1000);
    resp->new_connections = nconn;

    if (prc != CURLE_OK) {
        mt_buf_release(&resp->body);
        curl_text(text, sizeof(text), errbuf, prc, &u);
        switch (prc) {
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
            if (x.nomem) {
                mt_err_set(err, MT_E_NOMEM, "out of memory reading the response from '%s'",
                           u.hostport);
                break;
            }
            if (x.too_big || prc == CURLE_FILESIZE_EXCEEDED) {
                mt_err_set(err, MT_E_HTTP, "response from '%s' is larger than %zu bytes",
                           u.hostport, cap);
                break;
            }
            mt_err_set(err, MT_E_HTTP, "request to '%s' failed: %s", u.hostport, text);
            break;
        case CURLE_OPERATION_TIMEDOUT:
            resp->fail = MT_HTTP_FAIL_TIMEOUT;
            mt_err_set(err, MT_E_HTTP, "request to '%s' timed out: %s", u.hostport, text);
            break;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
            mt_err_set(err, MT_E_HTTP, "TLS verification of '%s' failed: %s", u.hostport, text);
            if (req->ca_bundle)
                mt_err_hint(err, "is the server certificate signed by a CA in '%s'?",
                            req->ca_bundle);
            else
                mt_err_hint(err, "set AWS_CA_BUNDLE or the profile's ca_bundle to the CA file "
                                 "that signs this endpoint");
            break;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_QUIC_CONNECT_ERROR:
            resp->fail = MT_HTTP_FAIL_CONNECT;
            mt_err_set(err, MT_E_HTTP, "cannot reach '%s': %s", u.hostport, text);
            break;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_HTTP3:
            /* reached, then the connection broke (reset mid-body, closed without an answer):
             * transient like a failed connect, but "cannot reach" would send people to the
             * wrong place */
            resp->fail = MT_HTTP_FAIL_CONNECT;
            mt_err_set(err, MT_E_HTTP, "connection to '%s' broke: %s", u.hostport, text);
            break;
        default:
            mt_err_set(err, MT_E_HTTP, "request to '%s' failed: %s", u.hostport, text);
            break;
        }
        mt_http_debugf(h, "http: < %s %s%.*s failed after %ld ms (%s)", req->method, u.hostport,
                       (int)(u.path_len ? u.path_len : 1), u.path_len ? u.path : "/",
                       resp->total_ms, cu.easy_strerror(prc));
        goto out;
    }
    (void)cu.easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
    resp->status = status;
    resp->fail = MT_HTTP_FAIL_NONE;
    mt_http_debugf(h, "http: < %ld %s %s%.*s%s%s %ld ms, %s connection", status, req->method,
                   u.hostport, (int)(u.path_len ? u.path_len : 1), u.path_len ? u.path : "/",
                   resp->request_id[0] ? " request-id " : "", resp->request_id, resp->total_ms,
                   nconn ? "new" : "reused");
    rc = 0;
out:
    /* forget every pointer into our stack and the caller's memory (error buffer, header list,
     * body); the connection cache and TLS session cache survive the reset */
    if (h->easy)
        cu.easy_reset(h->easy);
    wipe_slist(hl);
    return rc;
}
