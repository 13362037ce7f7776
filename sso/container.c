/* container.c - container credentials (ECS task roles, EKS Pod Identity; aws-wire.md 3.9):
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2 + value; wins) or _FULL_URI, whose
 * http:// host must be loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23 (https: any host);
 * Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read on every fetch; wins) or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN, sent verbatim. 2 s timeout, 3 attempts (botocore). Also the
 * credential JSON shared with imds.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "common/file.h"
#include "common/http.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "sso/sso_int.h"

#define ECS_BASE "http://169.254.170.2"
#define ATTEMPTS 3
#define TIMEOUT_MS 2000L

int mt_metadata_creds_parse(const char *json, size_t len, const char *what, struct mt_creds *out,
                            struct mt_err *err)
{
    cJSON *root = cJSON_ParseWithLength(json ? json : "", json ? len : 0);
    struct mt_creds c = MT_CREDS_INIT;
    char *exp = NULL;
    int rc = -1;

    if (cJSON_IsObject(root)) {
        c.access_key_id = mt_sso_json_dup(root, "AccessKeyId");
        c.secret_access_key = mt_sso_json_dup(root, "SecretAccessKey");
        c.session_token = mt_sso_json_dup(root, "Token");
        c.account_id = mt_sso_json_dup(root, "AccountId");
        exp = mt_sso_json_dup(root, "Expiration");
    }
    if (!c.access_key_id || !c.secret_access_key || !c.session_token || !exp ||
        mt_time_parse_iso8601(exp, &c.expiration) < 0) {
        mt_err_set(err, MT_E_AUTH, "malformed credentials from %s (AccessKeyId, SecretAccessKey, "
                                   "Token and Expiration are required)", what);
        goto out;
    }
    if (mt_creds_check(&c, what, what, what, err) < 0) {
        err->code = MT_E_AUTH;
        goto out;
    }
    c.source = what;
    *out = c;
    memset(&c, 0, sizeof(c));
    rc = 0;
out:
    free(exp);
    mt_creds_release(&c);
    mt_json_delete_wiped(root);
    return rc;
}

/* The host of an http(s) URL into out; 1 for https. -1 when not a URL. */
static int url_host(const char *url, char *out, size_t n)
{
    const char *a, *e;
    int https;
    if (!strncasecmp(url, "https://", 8)) {
        https = 1;
        a = url + 8;
    } else if (!strncasecmp(url, "http://", 7)) {
        https = 0;
        a = url + 7;
    } else {
        return -1;
    }
    if (*a == '[') {
        e = strchr(a, ']');
        if (!e)
            return -1;
        a++;
    } else {
        e = a + strcspn(a, ":/?#");
    }
    if (e == a || (size_t)(e - a) >= n || memchr(a, '@', (size_t)(e - a)))
        return -1;
    memcpy(out, a, (size_t)(e - a));
    out[e - a] = '\0';
    return https;
}

/* As botocore decides it: a literal loopback address or localhost (common/http.c's rule), or one
 * of the ECS / EKS Pod Identity addresses. A name is never resolved, so "127.evil.example" is not
 * loopback. */
static int allowed_http_host(const char *h)
{
    static const char *const container[] = {"169.254.170.2", "169.254.170.23", "fd00:ec2::23"};
    unsigned char a[sizeof(struct in6_addr)], b[sizeof(struct in6_addr)];
    size_t i;
    int af = strchr(h, ':') ? AF_INET6 : AF_INET;

    if (mt_http_host_is_loopback(h))
        return 1;
    if (inet_pton(af, h, a) != 1)
        return 0;
    for (i = 0; i < sizeof(container) / sizeof(container[0]); i++)
        if (inet_pton(af, container[i], b) == 1 &&
            !memcmp(a, b, af == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr)))
            return 1;
    return 0;
}

int mt_container_creds(const struct mt_chain *ch, struct mt_creds *out, int *found,
                       struct mt_err *err)
{
    const struct mt_creds_in *in = ch->in;
    const char *rel = mt_chain_env(ch, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = mt_chain_env(ch, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *tfile = mt_chain_env(ch, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *tval = mt_chain_env(ch, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    struct mt_buf url = MT_BUF_INIT, tok = MT_BUF_INIT_SECRET;
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    struct mt_http_header hdr[2];
    struct mt_http_req req;
    struct mt_http *h;
    char host[256];
    size_t nh = 0;
    int rc = -1, i;

    *found = 0;
    if (!rel && !full)
        return 0;
    *found = 1;
    if (rel) {
        if (rel[0] != '/' || mt_buf_addf(&url, "%s%s", ECS_BASE, rel) < 0) {
            mt_err_set(err, MT_E_CONFIG, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start "
                                         "with '/'");
            goto out;
        }
    } else {
        int https = url_host(full, host, sizeof(host));
        if (https < 0 || (!https && !allowed_http_host(host))) {
            mt_err_set(err, MT_E_CONFIG,
                       "AWS_CONTAINER_CREDENTIALS_FULL_URI: %s", https < 0
                           ? "not an http(s) URL"
                           : "an http:// URL must name a loopback or container metadata "
                             "address (169.254.170.2, 169.254.170.23, fd00:ec2::23); use https "
                             "for other hosts");
            goto out;
        }
        if (mt_buf_adds(&url, full) < 0) {
            mt_err_set(err, MT_E_NOMEM, "out of memory");
            goto out;
        }
    }
    hdr[nh++] = (struct mt_http_header){"Accept", "application/json", 0};
    if (tfile || tval) {
        if (tfile) {
            char *p = mt_expand_tilde(tfile);
            int r = p ? mt_file_read(p, 16384, &tok, err) : mt_err_set(err, MT_E_NOMEM, "oom");
            free(p);
            if (r < 0) {
                mt_err_prefix(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
                goto out;
            }
        } else if (mt_buf_adds(&tok, tval) < 0) {
            mt_err_set(err, MT_E_NOMEM, "out of memory");
            goto out;
        }
        if (strchr(mt_buf_str(&tok), '\r') || strchr(mt_buf_str(&tok), '\n') ||
            strlen(mt_buf_str(&tok)) != tok.len) {
            mt_err_set(err, MT_E_CONFIG, "%s contains a line break",
                       tfile ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
                             : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
            goto out;
        }
        hdr[nh++] = (struct mt_http_header){"Authorization", mt_buf_str(&tok), 1};
    }
    if (!in->sso || !(h = in->sso->http(in->sso->ud, err))) {
        if (!err->code)
            mt_err_set(err, MT_E_INTERNAL, "no network access for container credentials");
        goto out;
    }
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = url.p;
    req.headers = hdr;
    req.nheaders = nh;
    req.ca_bundle = in->sso->ca_bundle;
    req.connect_timeout_ms = TIMEOUT_MS;
    req.timeout_ms = TIMEOUT_MS;
    req.max_response = 65536;
    req.flags = MT_HTTP_ALLOW_METADATA;
    for (i = 0; i < ATTEMPTS; i++) {
        rc = mt_http_do(h, &req, &resp, err);
        if (rc == 0 && resp.status >= 200 && resp.status < 300)
            break;
        if (rc == 0 && resp.status < 500) {
            rc = -1;
            break;
        }
        rc = -1;
        if (rc < 0 && resp.fail == MT_HTTP_FAIL_FATAL)
            break;
    }
    if (rc < 0) {
        if (resp.status)
            mt_err_set(err, MT_E_AUTH, "container credentials endpoint answered HTTP %ld",
                       resp.status);
        else
            mt_err_prefix(err, "container credentials");
        err->code = err->code == MT_E_NOMEM ? MT_E_NOMEM : MT_E_AUTH;
        goto out;
    }
    if (mt_metadata_creds_parse(resp.body.p, resp.body.len, "container credentials", out, err) < 0)
        goto out;
    mt_creds_detail(out, "container credentials (%s)",
                    rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                        : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    rc = 0;
out:
    mt_http_resp_release(&resp);
    mt_buf_release(&url);
    mt_buf_release(&tok);
    return rc;
}
