/* awsjson.c - one awsJson 1.1 call (KMS, Secrets Manager): POST /, SigV4 header signing re-done
 * before every attempt of the standard retry loop (aws-wire.md 6.1, 1.4, 7.1). The edge of kms/:
 * the only file here that reads the clock or talks to the network. */
#include <ctype.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "kms/kms.h"
#include "sigv4/sigv4.h"

#define CONTENT_TYPE "application/x-amz-json-1.1"

/* What the URL and the signature need, split once per call. */
struct target_url {
    char *url;  /* scheme://host[:port]<prefix>/ : what is sent */
    char *host; /* Host header exactly as curl sends it: lower-case, default port left out */
    char *path; /* <prefix>/ */
};

static void target_url_release(struct target_url *t)
{
    free(t->url);
    free(t->host);
    free(t->path);
    memset(t, 0, sizeof(*t));
}

/* Splits the endpoint (scheme://authority[/prefix], no query) into what is signed and sent.
 * Host names are lower-cased in both (botocore signs them so; curl sends what the URL says). */
static int split_endpoint(const char *endpoint, struct target_url *t, struct mt_err *err)
{
    struct mt_buf url = MT_BUF_INIT, host = MT_BUF_INIT, path = MT_BUF_INIT;
    const char *p, *auth, *auth_end, *port = NULL;
    int https;
    size_t i;

    memset(t, 0, sizeof(*t));
    if (!endpoint)
        return mt_err_set(err, MT_E_INTERNAL, "no endpoint");
    if (!strncasecmp(endpoint, "https://", 8)) {
        https = 1;
        auth = endpoint + 8;
    } else if (!strncasecmp(endpoint, "http://", 7)) {
        https = 0;
        auth = endpoint + 7;
    } else {
        return mt_err_set(err, MT_E_CONFIG, "endpoint '%s' is not an http(s) URL", endpoint);
    }
    auth_end = auth + strcspn(auth, "/?#");
    if (auth_end == auth || *auth_end == '?' || *auth_end == '#')
        return mt_err_set(err, MT_E_CONFIG, "endpoint '%s' is not a plain base URL", endpoint);
    /* port: after the last ':' that is not inside [IPv6] brackets */
    for (p = auth_end; p > auth; p--) {
        if (p[-1] == ']')
            break;
        if (p[-1] == ':') {
            port = p;
            break;
        }
    }
    for (i = 0; auth + i < (port ? port - 1 : auth_end); i++)
        if (mt_buf_addc(&host, (char)tolower((unsigned char)auth[i])) < 0)
            goto nomem;
    if (port && port < auth_end) {
        size_t plen = (size_t)(auth_end - port);
        int is_default = (https && plen == 3 && !memcmp(port, "443", 3)) ||
                         (!https && plen == 2 && !memcmp(port, "80", 2));
        if (!is_default && (mt_buf_addc(&host, ':') < 0 || mt_buf_add(&host, port, plen) < 0))
            goto nomem;
    }
    if (mt_buf_add(&path, auth_end, strlen(auth_end)) < 0)
        goto nomem;
    while (path.len && path.p[path.len - 1] == '/')
        path.p[--path.len] = '\0';
    if (mt_buf_addc(&path, '/') < 0 ||
        mt_buf_addf(&url, "%s://%s%s", https ? "https" : "http", mt_buf_str(&host),
                    mt_buf_str(&path)) < 0)
        goto nomem;
    t->url = mt_buf_detach(&url);
    t->host = mt_buf_detach(&host);
    t->path = mt_buf_detach(&path);
    if (!t->url || !t->host || !t->path) {
        target_url_release(t);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    return 0;
nomem:
    mt_buf_release(&url);
    mt_buf_release(&host);
    mt_buf_release(&path);
    return mt_err_set(err, MT_E_NOMEM, "out of memory");
}

struct call {
    const struct mt_kms_client *c;
    const char *signing_name;
    const char *target;
    const struct mt_buf *body;
    struct target_url u;
    struct mt_sigv4_creds creds;
    struct mt_sigv4_signed sig;      /* of the current attempt; wiped when replaced */
    struct mt_http_header hdrs[5];
};

/* Before every attempt: sign again with the current time (a retry after a backoff must not carry
 * a stale X-Amz-Date), and point req at this attempt's headers. */
static int prepare(void *ud, int attempt, struct mt_http_req *req, struct mt_err *err)
{
    struct call *st = ud;
    struct mt_sigv4_pair sh[2];
    struct mt_sigv4_header_req hr;
    size_t n = 0;

    (void)attempt;
    mt_sigv4_signed_release(&st->sig);
    sh[0].name = "Content-Type";
    sh[0].value = CONTENT_TYPE;
    sh[1].name = "X-Amz-Target";
    sh[1].value = st->target;
    memset(&hr, 0, sizeof(hr));
    hr.method = "POST";
    hr.host = st->u.host;
    hr.path = st->u.path;
    hr.headers = sh;
    hr.nheaders = 2;
    hr.body = st->body->p;
    hr.body_len = st->body->len;
    hr.region = st->c->region;
    hr.service = st->signing_name;
    hr.creds = &st->creds;
    hr.now = mt_clock_now();
    if (mt_sigv4_sign_headers(&hr, &st->sig, err) < 0)
        return -1;

    st->hdrs[n++] = (struct mt_http_header){"Content-Type", CONTENT_TYPE, 0};
    st->hdrs[n++] = (struct mt_http_header){"X-Amz-Target", st->target, 0};
    st->hdrs[n++] = (struct mt_http_header){"X-Amz-Date", st->sig.amz_date, 0};
    st->hdrs[n++] = (struct mt_http_header){"Authorization", st->sig.authorization, 1};
    if (st->sig.send_security_token)
        st->hdrs[n++] = (struct mt_http_header){"X-Amz-Security-Token", st->creds.session_token, 1};

    req->method = "POST";
    req->url = st->u.url;
    req->headers = st->hdrs;
    req->nheaders = n;
    req->body = st->body->p ? st->body->p : "";
    req->body_len = st->body->len;
    req->ca_bundle = st->c->ca_bundle;
    return 0;
}

int mt_kms_json_call(const struct mt_kms_client *c, const char *signing_name, const char *target,
                     const char *what, const struct mt_buf *body, struct mt_buf *out,
                     struct mt_err *err)
{
    struct call st;
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    int rc = -1;

    memset(&st, 0, sizeof(st));
    if (!c || !c->http || !body || !out || !out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "mt_kms_json_call: bad arguments");
    if (!c->region || !*c->region)
        return mt_err_set(err, MT_E_CONFIG, "no AWS region for %s", what);
    if (!c->access_key_id || !c->secret_access_key)
        return mt_err_set(err, MT_E_AUTH, "no AWS credentials for %s", what);
    st.c = c;
    st.signing_name = signing_name;
    st.target = target;
    st.body = body;
    st.creds.access_key_id = c->access_key_id;
    st.creds.secret_access_key = c->secret_access_key;
    st.creds.session_token = c->session_token && *c->session_token ? c->session_token : NULL;
    if (split_endpoint(c->endpoint, &st.u, err) < 0)
        return -1;
    mt_http_debugf(c->http, "aws: %s (%s, region %s)", target, signing_name, c->region);
    if (mt_http_call_retry(c->http, prepare, &st, &resp, err) < 0) {
        if (err && err->code != MT_E_NOMEM && err->code != MT_E_INTERNAL)
            mt_err_prefix(err, "%s", what);
        goto out;
    }
    if (mt_buf_add(out, resp.body.p ? resp.body.p : "", resp.body.len) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    rc = 0;
out:
    mt_http_resp_release(&resp); /* wipes the body */
    mt_sigv4_signed_release(&st.sig);
    mt_memzero(st.hdrs, sizeof(st.hdrs));
    target_url_release(&st.u);
    return rc;
}
