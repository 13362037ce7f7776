/* presign.c - database tokens: query-presigned GETs without the scheme (aws-wire.md 2, 10).
 * RDS and DSQL byte-identical to botocore 1.43; ElastiCache / MemoryDB as the AWS documentation
 * describes them. Pure. */
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "sigv4/sigv4_int.h"

/* A DNS name or IPv4 address (letters, digits, '-', '.', '_') or a bracketed IPv6 literal.
 * Anything else (':', '/', '@', spaces...) would change how botocore's urlsplit reads
 * "https://<host>:<port>", so it is refused rather than signed differently. */
static int valid_host(const char *h)
{
    size_t n = strlen(h), i;

    if (n == 0 || n > 255)
        return 0;
    if (h[0] == '[') {
        if (n < 4 || h[n - 1] != ']')
            return 0;
        for (i = 1; i < n - 1; i++) {
            char c = h[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':' || c == '.'))
                return 0;
        }
        return 1;
    }
    for (i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

/* Undoes a failed partial append to a (secret) output buffer: wiped back to start. */
static void roll_back(struct mt_buf *out, size_t start)
{
    if (out->len > start) {
        mt_memzero(out->p + start, out->len - start);
        out->len = start;
        out->p[start] = '\0';
    }
}

/* Presigns GET <scheme>://<signed_host>/?<params> and appends "<shown>/?<query>" to out. */
static int presign_token(const char *signed_host, const char *shown, const struct mt_sigv4_pair *params,
                         size_t nparams, const char *region, const char *service,
                         unsigned expires, const struct mt_sigv4_creds *creds, time_t now,
                         struct mt_buf *out, struct mt_err *err)
{
    struct mt_sigv4_request g;
    struct mt_sigv4_result r;
    struct mt_sigv4_pair hdr = {"host", signed_host};
    size_t start = out->len;
    int rc = -1;

    mt_sigv4_result_init(&r);
    memset(&g, 0, sizeof(g));
    g.mode = MT_SIGV4_MODE_QUERY;
    g.method = "GET";
    g.path = "/";
    g.params = params;
    g.nparams = nparams;
    g.headers = &hdr;
    g.nheaders = 1;
    g.region = region;
    g.service = service;
    g.creds = creds;
    g.now = now;
    g.expires = expires;
    if (mt_sigv4_sign(&g, &r, err) < 0)
        goto out;
    if (mt_buf_addf(out, "%s/?", shown) < 0 || mt_buf_add(out, r.query.p, r.query.len) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        roll_back(out, start);
    mt_sigv4_result_release(&r);
    return rc;
}

static int lower_into(struct mt_buf *b, const char *s)
{
    for (; *s; s++)
        if (mt_buf_addc(b, (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s) < 0)
            return -1;
    return mt_buf_add(b, "", 0);
}

int mt_sigv4_dsql_token(const struct mt_sigv4_dsql_req *req, struct mt_buf *out,
                        struct mt_err *err)
{
    struct mt_sigv4_pair param;
    struct mt_buf host = MT_BUF_INIT;
    int rc;

    if (!req || !out)
        return mt_err_set(err, MT_E_INTERNAL, "mt_sigv4_dsql_token: NULL argument");
    if (!out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "DSQL token buffer is not a secret buffer");
    if (!req->host || !*req->host)
        return mt_err_set(err, MT_E_USAGE, "empty database host");
    if (!valid_host(req->host))
        return mt_err_set(err, MT_E_USAGE, "invalid database host '%.255s'", req->host);
    if (!req->region || !*req->region)
        return mt_err_set(err, MT_E_USAGE, "empty region");
    if (req->expires < 1 || req->expires > MT_SIGV4_MAX_EXPIRES)
        return mt_err_set(err, MT_E_USAGE, "token lifetime %u s not in 1..%u", req->expires,
                          MT_SIGV4_MAX_EXPIRES);
    if (lower_into(&host, req->host) < 0)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    param = (struct mt_sigv4_pair){"Action", req->admin ? "DbConnectAdmin" : "DbConnect"};
    rc = presign_token(host.p, req->host, &param, 1, req->region, MT_SIGV4_DSQL_SERVICE,
                       req->expires, req->creds, req->now, out, err);
    mt_buf_release(&host);
    return rc;
}

int mt_sigv4_cache_token(const struct mt_sigv4_cache_req *req, struct mt_buf *out,
                         struct mt_err *err)
{
    struct mt_sigv4_pair params[3];
    struct mt_buf name = MT_BUF_INIT;
    int rc, ec;

    if (!req || !out)
        return mt_err_set(err, MT_E_INTERNAL, "mt_sigv4_cache_token: NULL argument");
    if (!out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "cache token buffer is not a secret buffer");
    if (!req->service || (strcmp(req->service, "elasticache") && strcmp(req->service, "memorydb")))
        return mt_err_set(err, MT_E_INTERNAL, "cache token for an unknown service");
    ec = !strcmp(req->service, "elasticache");
    if (!req->cache_name || !*req->cache_name)
        return mt_err_set(err, MT_E_USAGE, "empty cache name");
    if (!valid_host(req->cache_name) || req->cache_name[0] == '[')
        return mt_err_set(err, MT_E_USAGE, "invalid cache name '%.255s'", req->cache_name);
    if (!req->user || !*req->user)
        return mt_err_set(err, MT_E_USAGE, "empty user");
    if (!req->region || !*req->region)
        return mt_err_set(err, MT_E_USAGE, "empty region");
    if (req->serverless && !ec)
        return mt_err_set(err, MT_E_USAGE, "serverless caches are an ElastiCache feature");
    /* the host header is signed lower-cased (host names are case-insensitive; every SigV4
     * signer does so); ElastiCache also shows the name lower-cased, as it stores it */
    if (lower_into(&name, req->cache_name) < 0)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    params[0] = (struct mt_sigv4_pair){"Action", "connect"};
    params[1] = (struct mt_sigv4_pair){"User", req->user};
    params[2] = (struct mt_sigv4_pair){"ResourceType", "ServerlessCache"};
    rc = presign_token(name.p, ec ? name.p : req->cache_name, params, req->serverless ? 3 : 2, req->region, req->service,
                       MT_SIGV4_RDS_EXPIRES, req->creds, req->now, out, err);
    mt_buf_release(&name);
    return rc;
}

int mt_sigv4_rds_token(const struct mt_sigv4_rds_req *req, struct mt_buf *out, struct mt_err *err)
{
    struct mt_sigv4_request g;
    struct mt_sigv4_result r;
    struct mt_sigv4_pair params[2], hdr;
    struct mt_buf signed_host = MT_BUF_INIT;
    size_t start, i;
    int rc = -1;

    mt_sigv4_result_init(&r);
    if (!req || !out)
        return mt_err_set(err, MT_E_INTERNAL, "mt_sigv4_rds_token: NULL argument");
    if (!out->secret)
        return mt_err_set(err, MT_E_INTERNAL, "RDS token buffer is not a secret buffer");
    start = out->len;
    if (!req->host || !*req->host)
        return mt_err_set(err, MT_E_USAGE, "empty database host");
    if (!valid_host(req->host))
        return mt_err_set(err, MT_E_USAGE, "invalid database host '%.255s'", req->host);
    if (req->port < 1 || req->port > 65535)
        return mt_err_set(err, MT_E_USAGE, "database port %u not in 1..65535", req->port);
    if (!req->user || !*req->user)
        return mt_err_set(err, MT_E_USAGE, "empty database user");
    if (!req->region || !*req->region)
        return mt_err_set(err, MT_E_USAGE, "empty region");

    /* botocore signs urlsplit("https://host:port").hostname (lower-cased) and drops the port
     * only when it is the https default, 443 */
    for (i = 0; req->host[i]; i++) {
        char c = req->host[i];
        if (mt_buf_addc(&signed_host, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c) < 0)
            goto nomem;
    }
    if (req->port != 443 && mt_buf_addf(&signed_host, ":%u", req->port) < 0)
        goto nomem;

    params[0] = (struct mt_sigv4_pair){"Action", "connect"};
    params[1] = (struct mt_sigv4_pair){"DBUser", req->user};
    hdr = (struct mt_sigv4_pair){"host", signed_host.p};
    memset(&g, 0, sizeof(g));
    g.mode = MT_SIGV4_MODE_QUERY;
    g.method = "GET";
    g.path = "/";
    g.params = params;
    g.nparams = 2;
    g.headers = &hdr;
    g.nheaders = 1;
    g.region = req->region;
    g.service = MT_SIGV4_RDS_SERVICE;
    g.creds = req->creds;
    g.now = req->now;
    g.expires = MT_SIGV4_RDS_EXPIRES;
    if (mt_sigv4_sign(&g, &r, err) < 0)
        goto out;

    /* the token keeps the host exactly as given, and ":port" even for 443 */
    if (mt_buf_addf(out, "%s:%u/?", req->host, req->port) < 0 ||
        mt_buf_add(out, r.query.p, r.query.len) < 0)
        goto nomem;
    rc = 0;
    goto out;
nomem:
    mt_err_set(err, MT_E_NOMEM, "out of memory");
out:
    if (rc < 0)
        roll_back(out, start);
    mt_sigv4_result_release(&r);
    mt_buf_release(&signed_host);
    return rc;
}
