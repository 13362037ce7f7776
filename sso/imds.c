/* imds.c - EC2 instance metadata credentials, IMDSv2 (aws-wire.md 3.10): PUT /latest/api/token
 * (TTL 21600), then the role name and its credentials with x-aws-ec2-metadata-token. Settings:
 * AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT, _ENDPOINT_MODE (IPv4 | IPv6),
 * AWS_EC2_METADATA_V1_DISABLED, AWS_METADATA_SERVICE_TIMEOUT (1 s) and _NUM_ATTEMPTS (1), the
 * SDKs' defaults, so a laptop without IMDS gives up within about a second. A token PUT answered
 * 403/404/405 falls back to IMDSv1 unless v1 is disabled; no answer at all means "no IMDS". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "sso/sso_int.h"

#define TTL "21600"

struct imds {
    struct mt_http *h;
    const char *base;
    long timeout_ms;
    int attempts;
    const char *token; /* NULL: IMDSv1 */
};

/* GET/PUT one path; 0 with resp filled (any status), -1 when nothing answered. */
static int imds_do(const struct imds *m, const char *method, const char *path,
                   struct mt_http_resp *resp, struct mt_err *err)
{
    struct mt_buf url = MT_BUF_INIT;
    struct mt_http_header hdr[1];
    struct mt_http_req req;
    int rc = -1, i;

    if (mt_buf_addf(&url, "%s%s", m->base, path) < 0)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url.p;
    if (!strcmp(method, "PUT"))
        hdr[0] = (struct mt_http_header){"x-aws-ec2-metadata-token-ttl-seconds", TTL, 0};
    else if (m->token)
        hdr[0] = (struct mt_http_header){"x-aws-ec2-metadata-token", m->token, 1};
    req.headers = hdr;
    req.nheaders = !strcmp(method, "PUT") || m->token ? 1 : 0;
    if (!strcmp(method, "PUT"))
        req.body = "";
    req.connect_timeout_ms = m->timeout_ms;
    req.timeout_ms = m->timeout_ms;
    req.max_response = 65536;
    req.flags = MT_HTTP_ALLOW_METADATA;
    for (i = 0; i < m->attempts; i++) {
        rc = mt_http_do(m->h, &req, resp, err);
        if (rc == 0 && resp->status < 500)
            break;
        if (rc < 0 && resp->fail == MT_HTTP_FAIL_FATAL)
            break;
    }
    mt_buf_release(&url);
    return rc;
}

static long env_long(const struct mt_chain *ch, const char *name, long def, long min, long max)
{
    const char *v = mt_chain_env(ch, name);
    char *end;
    double d;
    if (!v)
        return def;
    d = strtod(v, &end);
    if (end == v || *end || d < min || d > max)
        return def;
    return (long)d;
}

int mt_imds_creds(const struct mt_chain *ch, struct mt_creds *out, int *found, struct mt_err *err)
{
    const struct mt_creds_in *in = ch->in;
    const char *dis = mt_chain_env(ch, "AWS_EC2_METADATA_DISABLED");
    const char *ep = mt_chain_env(ch, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = mt_chain_env(ch, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    const char *v1off = mt_chain_env(ch, "AWS_EC2_METADATA_V1_DISABLED");
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    struct mt_err ierr = MT_ERR_INIT;
    struct mt_buf token = MT_BUF_INIT_SECRET, path = MT_BUF_INIT;
    struct imds m;
    char role[256], base[512];
    size_t n;
    int rc = -1;

    *found = 0;
    if (dis && !strcasecmp(dis, "true"))
        return 0;
    if (!in->sso)
        return 0;
    memset(&m, 0, sizeof(m));
    if (ep)
        snprintf(base, sizeof(base), "%s", ep);
    else if (mode && !strcasecmp(mode, "IPv6"))
        snprintf(base, sizeof(base), "http://[fd00:ec2::254]");
    else
        snprintf(base, sizeof(base), "http://169.254.169.254");
    for (n = strlen(base); n && base[n - 1] == '/'; n--)
        base[n - 1] = '\0';
    m.base = base;
    m.timeout_ms = env_long(ch, "AWS_METADATA_SERVICE_TIMEOUT", 1, 1, 3600) * 1000L;
    m.attempts = (int)env_long(ch, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 1, 10);
    if (!(m.h = in->sso->http(in->sso->ud, &ierr)))
        return mt_err_set(err, MT_E_NOMEM, "out of memory");

    /* IMDSv2 token */
    if (imds_do(&m, "PUT", "/latest/api/token", &resp, &ierr) < 0) {
        if (in->sso->debug)
            in->sso->debug(in->sso->ud, "credentials: no EC2 instance metadata service answered");
        rc = 0; /* no IMDS here */
        goto out;
    }
    if (resp.status == 200 && resp.body.len) {
        if (mt_buf_add(&token, resp.body.p, resp.body.len) < 0) {
            mt_err_set(err, MT_E_NOMEM, "out of memory");
            goto out;
        }
        m.token = token.p;
    } else if (resp.status == 400) {
        mt_err_set(err, MT_E_AUTH, "EC2 instance metadata refused the token request (HTTP 400)");
        goto out;
    } else if ((resp.status == 403 || resp.status == 404 || resp.status == 405) && !(v1off &&
               !strcasecmp(v1off, "true"))) {
        m.token = NULL; /* IMDSv1 */
    } else {
        mt_err_set(err, MT_E_AUTH, "EC2 instance metadata: token request answered HTTP %ld%s",
                   resp.status, v1off ? " and IMDSv1 is disabled" : "");
        goto out;
    }

    /* role name */
    if (imds_do(&m, "GET", "/latest/meta-data/iam/security-credentials/", &resp, &ierr) < 0 ||
        resp.status != 200) {
        if (resp.status == 404) {
            rc = 0; /* an instance without a role */
            goto out;
        }
        mt_err_set(err, MT_E_AUTH, "EC2 instance metadata: cannot read the role name (%s)",
                   resp.status ? "HTTP error" : ierr.msg);
        goto out;
    }
    mt_err_sanitize(role, sizeof(role), resp.body.p ? resp.body.p : "", resp.body.len);
    n = strcspn(role, "\r\n");
    role[n] = '\0';
    while (n && (role[n - 1] == ' ' || role[n - 1] == '\t'))
        role[--n] = '\0';
    if (!n || strchr(role, '/') || strchr(role, '?') || strchr(role, '#')) {
        mt_err_set(err, MT_E_AUTH, "EC2 instance metadata: no usable role name");
        goto out;
    }
    if (mt_buf_addf(&path, "/latest/meta-data/iam/security-credentials/%s", role) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    if (imds_do(&m, "GET", path.p, &resp, &ierr) < 0 || resp.status != 200) {
        mt_err_set(err, MT_E_AUTH, "EC2 instance metadata: cannot read the credentials of role "
                                   "'%s'", role);
        goto out;
    }
    if (mt_metadata_creds_parse(resp.body.p, resp.body.len, "EC2 instance metadata", out, err) < 0)
        goto out;
    mt_creds_detail(out, "EC2 instance metadata (IMDS%s, role %s)", m.token ? "v2" : "v1", role);
    *found = 1;
    rc = 0;
out:
    mt_http_resp_release(&resp);
    mt_buf_release(&token);
    mt_buf_release(&path);
    return rc;
}
