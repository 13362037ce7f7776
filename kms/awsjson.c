/* awsjson.c - one signed AWS call: awsJson 1.1 (KMS, Secrets Manager) or the query protocol (RDS
 * describe calls, form-encoded body, no X-Amz-Target): POST /, SigV4 header signing re-done
 * before every attempt of the standard retry loop (aws-wire.md 6.1, 1.4, 7.1). The edge of kms/:
 * the only file here that reads the clock or talks to the network. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "common/awserr.h"
#include "common/http.h"
#include "common/mem.h"
#include "common/target_url.h"
#include "common/timeutil.h"
#include "kms/kms.h"
#include "sigv4/sigv4.h"

#define CONTENT_TYPE "application/x-amz-json-1.1"

struct call {
    const struct mt_kms_client *c;
    const char *signing_name;
    const char *content_type;
    const char *target; /* X-Amz-Target, or NULL (query protocol) */
    const struct mt_buf *body;
    struct mt_target_url u;
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
    sh[0].value = st->content_type;
    sh[1].name = "X-Amz-Target";
    sh[1].value = st->target;
    memset(&hr, 0, sizeof(hr));
    hr.method = "POST";
    hr.host = st->u.host;
    hr.path = st->u.path;
    hr.headers = sh;
    hr.nheaders = st->target ? 2 : 1;
    hr.body = st->body->p;
    hr.body_len = st->body->len;
    hr.region = st->c->region;
    hr.service = st->signing_name;
    hr.creds = &st->creds;
    hr.now = mt_clock_now() + (st->c->clock_skew ? *st->c->clock_skew : 0);
    if (mt_sigv4_sign_headers(&hr, &st->sig, err) < 0)
        return -1;

    st->hdrs[n++] = (struct mt_http_header){"Content-Type", st->content_type, 0};
    if (st->target)
        st->hdrs[n++] = (struct mt_http_header){"X-Amz-Target", st->target, 0};
    n += mt_sigv4_signed_http_headers(&st->sig, st->creds.session_token, st->hdrs + n);

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
    return mt_kms_aws_call(c, signing_name, CONTENT_TYPE, target, what, body, out, err);
}

int mt_kms_aws_call(const struct mt_kms_client *c, const char *signing_name,
                    const char *content_type, const char *target, const char *what,
                    const struct mt_buf *body, struct mt_buf *out, struct mt_err *err)
{
    struct call st;
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    int rc = -1;

    memset(&st, 0, sizeof(st));
    if (!c || !c->http || !body || !out || !out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "mt_kms_aws_call: bad arguments");
    if (!c->region || !*c->region)
        return mt_err_set(err, MT_E_CONFIG, "no AWS region for %s", what);
    if (!c->creds.access_key_id || !c->creds.secret_access_key)
        return mt_err_set(err, MT_E_AUTH, "no AWS credentials for %s", what);
    st.c = c;
    st.signing_name = signing_name;
    st.content_type = content_type;
    st.target = target;
    st.body = body;
    st.creds = c->creds;
    if (st.creds.session_token && !*st.creds.session_token)
        st.creds.session_token = NULL;
    if (mt_target_url_split(c->endpoint, &st.u, err) < 0)
        return -1;
    mt_http_debugf(c->http, "aws: %s (%s, region %s)", target ? target : what, signing_name,
                   c->region);
    rc = mt_http_call_retry(c->http, prepare, &st, &resp, err);
    if (rc < 0 && mt_aws_skew_retry(err, resp.date, (long)mt_clock_now(), c->clock_skew)) {
        mt_http_debugf(c->http, "aws: %s rejected (%s) with a server clock %+ld s from ours: "
                                "signing again with the server's clock",
                       target ? target : what, err->aws_type,
                       *c->clock_skew);
        mt_err_clear(err);
        rc = mt_http_call_retry(c->http, prepare, &st, &resp, err);
    }
    if (rc < 0) {
        if (err && err->code != MT_E_NOMEM && err->code != MT_E_INTERNAL)
            mt_err_prefix(err, "%s", what);
        goto out;
    }
    rc = -1;
    if (mt_buf_add(out, resp.body.p ? resp.body.p : "", resp.body.len) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    rc = 0;
out:
    mt_http_resp_release(&resp); /* wipes the body */
    mt_sigv4_signed_release(&st.sig);
    mt_memzero(st.hdrs, sizeof(st.hdrs));
    mt_target_url_release(&st.u);
    return rc;
}
