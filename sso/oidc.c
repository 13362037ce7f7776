/* oidc.c - the SSO-OIDC and portal calls (edge): CreateToken, GetRoleCredentials, Logout, and the
 * POST helper the login flows use. Unsigned rest-json requests over the shared transport with the
 * standard retries (aws-wire.md section 3.11, sso-and-hashes.md sections 3-5). Bodies holding
 * secrets live in secret buffers; responses are secret buffers of the transport. */
#include <stdlib.h>
#include <string.h>

#include "common/awserr.h"
#include "common/endpoint.h"
#include "common/mem.h"
#include "sso/sso_int.h"

struct call {
    const char *method;
    const char *url;
    struct mt_http_header hdr[2];
    size_t nhdr;
    const struct mt_buf *body;
    const char *ca_bundle;
};

static int prepare(void *ud, int attempt, struct mt_http_req *req, struct mt_err *err)
{
    const struct call *c = ud;
    (void)attempt;
    (void)err;
    req->method = c->method;
    req->url = c->url;
    req->headers = c->hdr;
    req->nheaders = c->nhdr;
    if (c->body) {
        req->body = c->body->p;
        req->body_len = c->body->len;
    }
    req->ca_bundle = c->ca_bundle;
    return 0;
}

/* base has no trailing '/' (mt_endpoint_resolve); path starts with '/'. Caller frees. */
static char *join_url(const char *base, const char *path)
{
    size_t a = strlen(base), b = strlen(path);
    char *u = malloc(a + b + 1);
    if (!u)
        return NULL;
    memcpy(u, base, a);
    memcpy(u + a, path, b + 1);
    return u;
}

static struct mt_http *get_http(const struct mt_sso_net *net, struct mt_err *err)
{
    struct mt_http *h = net->http(net->ud, err);
    if (!h && err && !err->code)
        mt_err_set(err, MT_E_NOMEM, "out of memory");
    return h;
}

/* One SSO call (OIDC or portal; both unsigned): resolve the endpoint, join the path, send with
 * retries and one header (content type, or the bearer token marked secret). */
static int sso_call(const struct mt_sso_net *net, const char *service, const char *region,
                    const char *method, const char *path, const char *hname, const char *hvalue,
                    int hsecret, const struct mt_buf *body, struct mt_http_resp *resp,
                    struct mt_err *err)
{
    struct mt_http *h = get_http(net, err);
    char *base = NULL, *url = NULL;
    struct call c;
    int rc = -1;

    if (!h)
        return -1;
    base = net->endpoint(net->ud, service, region, err);
    if (!base)
        return -1;
    url = join_url(base, path);
    if (!url) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    memset(&c, 0, sizeof(c));
    c.method = method;
    c.url = url;
    c.hdr[0].name = hname;
    c.hdr[0].value = hvalue;
    c.hdr[0].secret = hsecret;
    c.nhdr = 1;
    c.body = body;
    c.ca_bundle = net->ca_bundle;
    rc = mt_http_call_retry(h, prepare, &c, resp, err);
out:
    free(base);
    free(url);
    return rc;
}

int mt_sso_oidc_post(const struct mt_sso_net *net, const char *region, const char *path,
                     const struct mt_buf *body, struct mt_http_resp *resp, struct mt_err *err)
{
    return sso_call(net, MT_SVC_SSO_OIDC, region, "POST", path, "Content-Type",
                    "application/json", 0, body, resp, err);
}

void mt_sso_created_release(struct mt_sso_created *c)
{
    if (!c)
        return;
    mt_free_secret(c->access_token);
    mt_free_secret(c->refresh_token);
    memset(c, 0, sizeof(*c));
}

int mt_sso_create_token(const struct mt_sso_net *net, const char *region, const struct mt_buf *body,
                        struct mt_sso_created *out, struct mt_err *err)
{
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    struct mt_sso_created c = {0};
    cJSON *root = NULL;
    const cJSON *ei;
    int rc = -1;

    if (mt_sso_oidc_post(net, region, "/token", body, &resp, err) < 0)
        goto out;
    root = cJSON_ParseWithLength(resp.body.p ? resp.body.p : "", resp.body.len);
    c.access_token = root ? mt_sso_json_str(root, "accessToken") : NULL;
    ei = root ? cJSON_GetObjectItemCaseSensitive(root, "expiresIn") : NULL;
    if (!c.access_token || !cJSON_IsNumber(ei) || ei->valuedouble <= 0) {
        mt_err_set(err, MT_E_AWS, "malformed CreateToken response from SSO OIDC");
        goto out;
    }
    c.expires_in = (long)ei->valuedouble;
    c.refresh_token = mt_sso_json_str(root, "refreshToken");
    *out = c;
    memset(&c, 0, sizeof(c));
    rc = 0;
out:
    mt_json_delete_wiped(root);
    mt_sso_created_release(&c);
    mt_http_resp_release(&resp);
    return rc;
}

int mt_sso_refresh(const struct mt_sso_net *net, const char *region, const struct mt_sso_token *t,
                   struct mt_sso_created *out, struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT_SECRET;
    int rc = -1;

    /* botocore's body, byte for byte (aws-wire.md section 3.11) */
    if (mt_buf_adds(&body, "{\"grantType\": \"refresh_token\", \"clientId\": ") < 0 ||
        mt_pyjson_string(&body, t->client_id) < 0 ||
        mt_buf_adds(&body, ", \"clientSecret\": ") < 0 ||
        mt_pyjson_string(&body, t->client_secret) < 0 ||
        mt_buf_adds(&body, ", \"refreshToken\": ") < 0 ||
        mt_pyjson_string(&body, t->refresh_token) < 0 || mt_buf_addc(&body, '}') < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    rc = mt_sso_create_token(net, region, &body, out, err);
out:
    mt_buf_release(&body);
    return rc;
}

static int portal_call(const struct mt_sso_net *net, const char *region, const char *method,
                       const char *path_query, const char *access_token,
                       struct mt_http_resp *resp, struct mt_err *err)
{
    return sso_call(net, MT_SVC_SSO, region, method, path_query, "x-amz-sso_bearer_token",
                    access_token, 1, NULL, resp, err);
}

int mt_sso_get_role_credentials(const struct mt_sso_net *net, const struct mt_sso_profile *p,
                                const char *access_token, struct mt_creds *out,
                                struct mt_err *err)
{
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    struct mt_buf pq = MT_BUF_INIT;
    struct mt_creds c = MT_CREDS_INIT;
    cJSON *root = NULL;
    const cJSON *rcj, *exp;
    int rc = -1;

    /* the AWS CLI sends role_name first */
    if (mt_buf_adds(&pq, "/federation/credentials?role_name=") < 0 ||
        mt_sso_form_encode(&pq, p->role_name) < 0 || mt_buf_adds(&pq, "&account_id=") < 0 ||
        mt_sso_form_encode(&pq, p->account_id) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    if (portal_call(net, p->region, "GET", pq.p, access_token, &resp, err) < 0)
        goto out;
    root = cJSON_ParseWithLength(resp.body.p ? resp.body.p : "", resp.body.len);
    rcj = root ? cJSON_GetObjectItemCaseSensitive(root, "roleCredentials") : NULL;
    exp = rcj ? cJSON_GetObjectItemCaseSensitive(rcj, "expiration") : NULL;
    if (cJSON_IsObject(rcj)) {
        c.access_key_id = mt_sso_json_str(rcj, "accessKeyId");
        c.secret_access_key = mt_sso_json_str(rcj, "secretAccessKey");
        c.session_token = mt_sso_json_str(rcj, "sessionToken");
    }
    if (!c.access_key_id || !c.secret_access_key || !cJSON_IsNumber(exp) ||
        exp->valuedouble <= 0) {
        mt_err_set(err, MT_E_AWS, "malformed GetRoleCredentials response from the SSO portal");
        goto out;
    }
    c.expiration = (time_t)(exp->valuedouble / 1000.0); /* epoch milliseconds */
    c.account_id = strdup(p->account_id);
    if (!c.account_id) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    c.source = "SSO GetRoleCredentials";
    *out = c;
    memset(&c, 0, sizeof(c));
    rc = 0;
out:
    mt_json_delete_wiped(root);
    mt_creds_release(&c);
    mt_buf_release(&pq);
    mt_http_resp_release(&resp);
    return rc;
}

int mt_sso_portal_logout(const struct mt_sso_net *net, const char *region,
                         const char *access_token, struct mt_err *err)
{
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    int rc = portal_call(net, region, "POST", "/logout", access_token, &resp, err);
    mt_http_resp_release(&resp);
    return rc;
}
