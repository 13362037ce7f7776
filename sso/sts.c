/* sts.c - STS over the query protocol (edge): AssumeRole, AssumeRoleWithWebIdentity,
 * GetCallerIdentity, and the one clock-skew correction of the run (sts.h). */
#include "sso/sts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/awserr.h"
#include "common/endpoint.h"
#include "common/mem.h"
#include "common/target_url.h"
#include "common/timeutil.h"
#include "sigv4/sigv4.h"
#include "sso/sso_int.h"

#define FORM_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define STS_VERSION "2011-06-15"
#define SKEW_MIN 240 /* seconds: below this a rejection is not a clock problem (aws-wire 4.2) */

struct call {
    const struct mt_sso_net *net;
    const char *region;          /* signing region */
    const struct mt_creds *creds; /* NULL: unsigned */
    const struct mt_buf *body;
    struct mt_target_url u;
    struct mt_sigv4_creds sc;
    struct mt_sigv4_signed sig;
    struct mt_http_header hdrs[4];
};

static long skew_of(const struct mt_sso_net *net)
{
    return net->clock_skew ? *net->clock_skew : 0;
}

static int prepare(void *ud, int attempt, struct mt_http_req *req, struct mt_err *err)
{
    struct call *st = ud;
    size_t n = 0;

    (void)attempt;
    mt_sigv4_signed_release(&st->sig);
    st->hdrs[n++] = (struct mt_http_header){"Content-Type", FORM_TYPE, 0};
    if (st->creds) {
        struct mt_sigv4_pair sh[1] = {{"Content-Type", FORM_TYPE}};
        struct mt_sigv4_header_req hr;
        memset(&hr, 0, sizeof(hr));
        hr.method = "POST";
        hr.host = st->u.host;
        hr.path = st->u.path;
        hr.headers = sh;
        hr.nheaders = 1;
        hr.body = st->body->p;
        hr.body_len = st->body->len;
        hr.region = st->region;
        hr.service = "sts";
        hr.creds = &st->sc;
        hr.now = mt_clock_now() + skew_of(st->net);
        if (mt_sigv4_sign_headers(&hr, &st->sig, err) < 0)
            return -1;
        n += mt_sigv4_signed_http_headers(&st->sig, st->sc.session_token, st->hdrs + n);
    }
    req->method = "POST";
    req->url = st->u.url;
    req->headers = st->hdrs;
    req->nheaders = n;
    req->body = st->body->p ? st->body->p : "";
    req->body_len = st->body->len;
    req->ca_bundle = st->net->ca_bundle;
    return 0;
}

static void debugf(const struct mt_sso_net *net, const char *fmt, ...) MT_PRINTF(2, 3);
static void debugf(const struct mt_sso_net *net, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    if (!net->debug)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    net->debug(net->ud, line);
}

/* One STS call: body is the complete form (Action, Version, parameters). resp gets the 2xx
 * answer. creds NULL = unsigned. */
static int sts_call(const struct mt_sso_net *net, const char *region, const struct mt_creds *creds,
                    const char *action, const struct mt_buf *body, struct mt_http_resp *resp,
                    struct mt_err *err)
{
    struct mt_http *h;
    struct call st;
    char *base = NULL;
    int rc = -1, tries;

    memset(&st, 0, sizeof(st));
    h = net->http(net->ud, err);
    if (!h) {
        if (err && !err->code)
            mt_err_set(err, MT_E_NOMEM, "out of memory");
        return -1;
    }
    base = net->endpoint(net->ud, MT_SVC_STS, region ? region : "aws-global", err);
    if (!base)
        return -1;
    if (mt_target_url_split(base, &st.u, err) < 0)
        goto out;
    st.net = net;
    st.region = region ? region : "us-east-1";
    st.creds = creds;
    st.body = body;
    if (creds) {
        st.sc = mt_creds_sigv4(creds);
    }
    debugf(net, "aws: sts %s (region %s%s)", action, st.region, creds ? "" : ", unsigned");
    for (tries = 0; tries < 2; tries++) {
        rc = mt_http_call_retry(h, prepare, &st, resp, err);
        if (rc == 0 || !creds || tries ||
            !mt_aws_skew_retry(err, resp->date, (long)mt_clock_now(), net->clock_skew))
            break;
        debugf(net, "aws: sts %s rejected (%s) with a server clock %+ld s from ours: signing again "
                    "with the server's clock", action, err->aws_type, *net->clock_skew);
        mt_err_clear(err);
    }
    if (rc < 0 && err && err->code != MT_E_NOMEM && err->code != MT_E_INTERNAL)
        mt_err_prefix(err, "STS %s", action);
out:
    mt_sigv4_signed_release(&st.sig);
    mt_memzero(st.hdrs, sizeof(st.hdrs));
    mt_target_url_release(&st.u);
    free(base);
    return rc;
}

static int add_param(struct mt_buf *b, const char *name, const char *value)
{
    if (!value || !*value)
        return 0;
    if (mt_buf_addf(b, "&%s=", name) < 0 || mt_sso_form_encode(b, value) < 0)
        return -1;
    return 0;
}

/* "arn:aws:sts::123456789012:assumed-role/R/s" -> "123456789012" (NULL if not an ARN). */
static char *account_of_arn(const char *arn)
{
    const char *p = arn;
    int i;
    for (i = 0; i < 4 && p; i++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    if (!p)
        return NULL;
    return mt_strndup(p, strcspn(p, ":"));
}

int mt_sts_parse_credentials(const char *xml, size_t len, struct mt_creds *out,
                             struct mt_sts_user *user, struct mt_err *err)
{
    struct mt_creds c = MT_CREDS_INIT;
    char *exp = NULL, *arn = NULL;
    const char *cs, *ce;
    int rc = -1;

    if (!xml)
        return mt_err_set(err, MT_E_AWS, "empty response from STS");
    /* the Credentials element only: no other Expiration or key can be taken for its own */
    cs = strstr(xml, "<Credentials>");
    ce = cs ? strstr(cs, "</Credentials>") : NULL;
    if (!cs || !ce || (size_t)(ce - xml) > len) {
        mt_err_set(err, MT_E_AWS, "malformed STS response: no Credentials");
        goto out;
    }
    ce += strlen("</Credentials>");
    c.access_key_id = mt_aws_xml_dup(cs, (size_t)(ce - cs), "AccessKeyId");
    c.secret_access_key = mt_aws_xml_dup(cs, (size_t)(ce - cs), "SecretAccessKey");
    c.session_token = mt_aws_xml_dup(cs, (size_t)(ce - cs), "SessionToken");
    exp = mt_aws_xml_dup(cs, (size_t)(ce - cs), "Expiration");
    if (!c.access_key_id || !c.secret_access_key || !c.session_token || !exp ||
        mt_time_parse_iso8601(exp, &c.expiration) < 0) {
        mt_err_set(err, MT_E_AWS, "malformed STS response: incomplete Credentials");
        goto out;
    }
    arn = mt_aws_xml_dup(xml, len, "Arn");
    if (arn)
        c.account_id = account_of_arn(arn);
    if (user) {
        memset(user, 0, sizeof(*user));
        if (arn)
            snprintf(user->arn, sizeof(user->arn), "%s", arn);
        (void)mt_aws_xml_text(xml, len, "AssumedRoleId", user->id, sizeof(user->id));
    }
    c.source = "STS";
    *out = c;
    memset(&c, 0, sizeof(c));
    rc = 0;
out:
    mt_creds_release(&c);
    free(exp);
    free(arn);
    return rc;
}

int mt_sts_parse_identity(const char *xml, size_t len, struct mt_sts_identity *out,
                          struct mt_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!xml || mt_aws_xml_text(xml, len, "Account", out->account, sizeof(out->account)) < 0 ||
        mt_aws_xml_text(xml, len, "Arn", out->arn, sizeof(out->arn)) < 0 || !out->account[0] ||
        !out->arn[0])
        return mt_err_set(err, MT_E_AWS, "malformed GetCallerIdentity response from STS");
    (void)mt_aws_xml_text(xml, len, "UserId", out->user_id, sizeof(out->user_id));
    return 0;
}

static int nomem(struct mt_err *err)
{
    return mt_err_set(err, MT_E_NOMEM, "out of memory");
}

int mt_sts_get_caller_identity(const struct mt_sso_net *net, const char *region,
                               const struct mt_creds *c, struct mt_sts_identity *out,
                               struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT;
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (!c || !c->access_key_id)
        return mt_err_set(err, MT_E_AUTH, "no AWS credentials for STS GetCallerIdentity");
    if (mt_buf_adds(&body, "Action=GetCallerIdentity&Version=" STS_VERSION) < 0) {
        nomem(err);
        goto out;
    }
    if (sts_call(net, region, c, "GetCallerIdentity", &body, &resp, err) < 0)
        goto out;
    if (mt_sts_parse_identity(resp.body.p, resp.body.len, out, err) < 0)
        goto out;
    out->local_date = mt_clock_now();
    if (mt_time_parse_http_date(resp.date, &out->server_date) < 0)
        out->server_date = 0;
    rc = 0;
out:
    mt_buf_release(&body);
    mt_http_resp_release(&resp);
    return rc;
}

/* An STS call whose answer carries Credentials (AssumeRole*): sts_call, then the one parser. */
static int call_for_creds(const struct mt_sso_net *net, const char *region,
                          const struct mt_creds *src, const char *action,
                          const struct mt_buf *body, struct mt_creds *out,
                          struct mt_sts_user *user, struct mt_err *err)
{
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    int rc = -1;

    if (sts_call(net, region, src, action, body, &resp, err) == 0)
        rc = mt_sts_parse_credentials(resp.body.p, resp.body.len, out, user, err);
    mt_http_resp_release(&resp);
    return rc;
}

int mt_sts_assume_role(const struct mt_sso_net *net, const char *region, const struct mt_creds *src,
                       const struct mt_sts_assume_in *in, struct mt_creds *out,
                       struct mt_sts_user *user, struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT_SECRET; /* TokenCode */
    char dur[24];
    int rc = -1;

    if (!src || !src->access_key_id)
        return mt_err_set(err, MT_E_AUTH, "no source credentials to assume role '%s'",
                          in->role_arn);
    snprintf(dur, sizeof(dur), "%ld", in->duration_seconds);
    /* botocore's order (aws-wire 3.8): Action, Version, then the members as supplied */
    if (mt_buf_adds(&body, "Action=AssumeRole&Version=" STS_VERSION) < 0 ||
        add_param(&body, "RoleArn", in->role_arn) < 0 ||
        add_param(&body, "RoleSessionName", in->session_name) < 0 ||
        add_param(&body, "ExternalId", in->external_id) < 0 ||
        add_param(&body, "SerialNumber", in->serial_number) < 0 ||
        add_param(&body, "TokenCode", in->token_code) < 0 ||
        (in->duration_seconds > 0 && add_param(&body, "DurationSeconds", dur) < 0)) {
        nomem(err);
        goto out;
    }
    rc = call_for_creds(net, region, src, "AssumeRole", &body, out, user, err);
out:
    mt_buf_release(&body);
    return rc;
}

int mt_sts_assume_role_web_identity(const struct mt_sso_net *net, const char *region,
                                    const char *role_arn, const char *session_name,
                                    const char *token, long duration_seconds,
                                    struct mt_creds *out, struct mt_sts_user *user,
                                    struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT_SECRET;
    char dur[24];
    int rc = -1;

    snprintf(dur, sizeof(dur), "%ld", duration_seconds);
    if (mt_buf_adds(&body, "Action=AssumeRoleWithWebIdentity&Version=" STS_VERSION) < 0 ||
        add_param(&body, "RoleArn", role_arn) < 0 ||
        add_param(&body, "RoleSessionName", session_name) < 0 ||
        add_param(&body, "WebIdentityToken", token) < 0 ||
        (duration_seconds > 0 && add_param(&body, "DurationSeconds", dur) < 0)) {
        nomem(err);
        goto out;
    }
    rc = call_for_creds(net, region, NULL, "AssumeRoleWithWebIdentity", &body, out, user, err);
out:
    mt_buf_release(&body);
    return rc;
}
