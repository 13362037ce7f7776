/* sign.c - SigV4 scope, key derivation, string to sign, signature; the general signer and the
 * header-signing front end (aws-wire.md 1.1, 1.5-1.8). Pure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hash.h"
#include "common/http.h" /* struct mt_http_header, filled by mt_sigv4_signed_http_headers */
#include "common/mem.h"
#include "common/timeutil.h"
#include "sigv4/sigv4_int.h"

#define LAST_AMZ_TIME 253402300799LL /* 9999-12-31T23:59:59Z */

static int nomem(struct mt_err *err)
{
    return mt_err_set(err, MT_E_NOMEM, "out of memory");
}

/* region / service / access key id: 1..max characters from A-Z a-z 0-9 - _ . (they go verbatim
 * into the credential scope and the Authorization header) */
static int check_chars(const char *what, const char *s, size_t max, struct mt_err *err)
{
    size_t i;
    if (!s || !*s)
        return mt_err_set(err, MT_E_USAGE, "empty %s", what);
    for (i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= max || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return strstr(what, "key")
                       /* a credential is never echoed: it may be a pasted secret (issue 7) */
                       ? mt_err_set(err, MT_E_USAGE, "invalid %s (the value is not shown)", what)
                       : mt_err_set(err, MT_E_USAGE, "invalid %s '%.128s'", what, s);
    }
    return 0;
}

static int check_name(const char *what, const char *s, struct mt_err *err)
{
    return check_chars(what, s, 64, err);
}

static int check_creds(const struct mt_sigv4_creds *c, struct mt_err *err)
{
    const char *s;
    if (!c)
        return mt_err_set(err, MT_E_USAGE, "no AWS credentials");
    /* IAM access key ids are 16..128 characters */
    if (check_chars("AWS access key id", c->access_key_id, 128, err) < 0)
        return -1;
    if (!c->secret_access_key || !*c->secret_access_key)
        return mt_err_set(err, MT_E_USAGE, "empty AWS secret access key");
    for (s = c->session_token; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return mt_err_set(err, MT_E_USAGE, "control character in AWS session token");
    return 0;
}

static const char *token_of(const struct mt_sigv4_creds *c)
{
    return c->session_token && *c->session_token ? c->session_token : NULL;
}

int mt_sigv4_derive_keys(const char *secret_access_key, const char *date8, const char *region,
                         const char *service, struct mt_sigv4_keys *out, struct mt_err *err)
{
    struct mt_buf ksecret = MT_BUF_INIT_SECRET;
    size_t i;

    if (!secret_access_key || !*secret_access_key)
        return mt_err_set(err, MT_E_USAGE, "empty AWS secret access key");
    if (!date8 || strlen(date8) != 8)
        return mt_err_set(err, MT_E_USAGE, "invalid signing date");
    for (i = 0; i < 8; i++)
        if (date8[i] < '0' || date8[i] > '9')
            return mt_err_set(err, MT_E_USAGE, "invalid signing date '%s'", date8);
    if (check_name("region", region, err) < 0 || check_name("service", service, err) < 0)
        return -1;
    if (mt_buf_adds(&ksecret, "AWS4") < 0 || mt_buf_adds(&ksecret, secret_access_key) < 0) {
        mt_buf_release(&ksecret);
        return nomem(err);
    }
    mt_hmac_sha256(out->k_date, ksecret.p, ksecret.len, date8, 8);
    mt_hmac_sha256(out->k_region, out->k_date, MT_SIGV4_KEY_LEN, region, strlen(region));
    mt_hmac_sha256(out->k_service, out->k_region, MT_SIGV4_KEY_LEN, service, strlen(service));
    mt_hmac_sha256(out->k_signing, out->k_service, MT_SIGV4_KEY_LEN, "aws4_request", 12);
    mt_buf_release(&ksecret);
    return 0;
}

void mt_sigv4_result_init(struct mt_sigv4_result *r)
{
    memset(r, 0, sizeof(*r));
    r->canonical_request.secret = 1;
    r->string_to_sign.secret = 1;
    r->signed_headers.secret = 1;
    r->authorization.secret = 1;
    r->query.secret = 1;
}

void mt_sigv4_result_release(struct mt_sigv4_result *r)
{
    if (!r)
        return;
    mt_buf_release(&r->canonical_request);
    mt_buf_release(&r->string_to_sign);
    mt_buf_release(&r->signed_headers);
    mt_buf_release(&r->authorization);
    mt_buf_release(&r->query);
    mt_memzero(r, sizeof(*r));
    mt_sigv4_result_init(r);
}

/* Header names the signer owns in header mode; the caller may not pass them. */
static int reserved_header(const char *name, unsigned flags, int header_mode)
{
    static const char *const always[] = {"authorization"};
    static const char *const hdr[] = {"x-amz-date", "x-amz-security-token"};
    size_t i;
    for (i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        if (strcasecmp(name, always[i]) == 0)
            return 1;
    if (!header_mode)
        return 0;
    for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
        if (strcasecmp(name, hdr[i]) == 0)
            return 1;
    return (flags & MT_SIGV4_ADD_CONTENT_SHA256) && strcasecmp(name, "x-amz-content-sha256") == 0;
}

/* Query parameters the signer owns in query mode (after decoding; case-sensitive like AWS). */
static int reserved_param(const struct mt_buf *enc_key)
{
    static const char *const names[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                        "X-Amz-Expires", "X-Amz-SignedHeaders",
                                        "X-Amz-Security-Token", "X-Amz-Signature"};
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(mt_buf_str(enc_key), names[i]) == 0)
            return 1;
    return 0;
}

static int check_request(const struct mt_sigv4_request *req, struct mt_err *err)
{
    const char *s;
    size_t i;
    int has_host = 0;

    if (req->mode != MT_SIGV4_MODE_HEADER && req->mode != MT_SIGV4_MODE_QUERY)
        return mt_err_set(err, MT_E_USAGE, "invalid signing mode");
    if (req->flags & ~(unsigned)(MT_SIGV4_NO_NORMALIZE_PATH | MT_SIGV4_NO_ENCODE_PATH |
                                 MT_SIGV4_ADD_CONTENT_SHA256 | MT_SIGV4_UNSIGNED_SESSION_TOKEN))
        return mt_err_set(err, MT_E_USAGE, "unknown signing flags 0x%x", req->flags);
    if (!req->method || !*req->method || strlen(req->method) > 32)
        return mt_err_set(err, MT_E_USAGE, "invalid HTTP method");
    for (s = req->method; *s; s++)
        if (!mt_sigv4_is_tchar((unsigned char)*s))
            return mt_err_set(err, MT_E_USAGE, "invalid HTTP method '%s'", req->method);
    if (check_name("region", req->region, err) < 0 ||
        check_name("service", req->service, err) < 0 || check_creds(req->creds, err) < 0)
        return -1;
    if (req->now < 0 || (long long)req->now > LAST_AMZ_TIME)
        return mt_err_set(err, MT_E_USAGE, "signing time out of range");
    if (req->mode == MT_SIGV4_MODE_QUERY &&
        (req->expires < 1 || req->expires > MT_SIGV4_MAX_EXPIRES))
        return mt_err_set(err, MT_E_USAGE, "X-Amz-Expires %u not in 1..%u", req->expires,
                          MT_SIGV4_MAX_EXPIRES);
    if (req->body_len && !req->body)
        return mt_err_set(err, MT_E_USAGE, "request body is NULL");
    if ((req->nheaders && !req->headers) || (req->nparams && !req->params))
        return mt_err_set(err, MT_E_USAGE, "NULL header or parameter list");
    for (i = 0; i < req->nheaders; i++) {
        if (!req->headers[i].name)
            return mt_err_set(err, MT_E_USAGE, "header without a name");
        if (strcasecmp(req->headers[i].name, "host") == 0)
            has_host = 1;
        if (reserved_header(req->headers[i].name, req->flags,
                            req->mode == MT_SIGV4_MODE_HEADER))
            return mt_err_set(err, MT_E_USAGE, "header '%s' is set by the signer",
                              req->headers[i].name);
    }
    if (!has_host)
        return mt_err_set(err, MT_E_USAGE, "no 'host' header to sign");
    return 0;
}

static void add_hex_signature(struct mt_sigv4_result *r, const uint8_t k_signing[32])
{
    uint8_t mac[MT_SHA256_LEN];
    mt_hmac_sha256(mac, k_signing, MT_SIGV4_KEY_LEN, r->string_to_sign.p, r->string_to_sign.len);
    mt_hex(r->signature, mac, sizeof(mac));
    mt_memzero(mac, sizeof(mac));
}

int mt_sigv4_sign(const struct mt_sigv4_request *req, struct mt_sigv4_result *out,
                  struct mt_err *err)
{
    struct mt_sigv4_result r;
    struct mt_sigv4_keys keys;
    struct mt_sigv4_qlist q = {0};
    struct mt_sigv4_pair *hdrs = NULL;
    struct mt_buf scope = MT_BUF_INIT, canon_headers = MT_BUF_INIT_SECRET,
                  credential = MT_BUF_INIT;
    uint8_t digest[MT_SHA256_LEN];
    char date8[9], hexhash[65], expires[16];
    const char *token;
    size_t nh = 0, i, nop;
    int header_mode, sign_token, rc = -1;

    mt_sigv4_result_init(&r);
    memset(&keys, 0, sizeof(keys));
    if (out)
        mt_sigv4_result_init(out);
    if (!req || !out) {
        mt_err_set(err, MT_E_INTERNAL, "mt_sigv4_sign: NULL argument");
        goto out;
    }
    if (check_request(req, err) < 0)
        goto out;
    header_mode = req->mode == MT_SIGV4_MODE_HEADER;
    token = token_of(req->creds);
    sign_token = token && !(req->flags & MT_SIGV4_UNSIGNED_SESSION_TOKEN);

    mt_time_format_amz(req->now, r.amz_date);
    memcpy(date8, r.amz_date, 8);
    date8[8] = '\0';
    mt_sha256(digest, req->body_len ? req->body : "", req->body_len);
    mt_hex(r.payload_hash, digest, sizeof(digest));
    if (mt_buf_addf(&scope, "%s/%s/%s/aws4_request", date8, req->region, req->service) < 0 ||
        mt_buf_addf(&credential, "%s/%s", req->creds->access_key_id, scope.p) < 0) {
        nomem(err);
        goto out;
    }

    /* headers: the caller's, then the ones header mode adds */
    hdrs = calloc(req->nheaders + 3, sizeof(*hdrs));
    if (!hdrs) {
        nomem(err);
        goto out;
    }
    for (i = 0; i < req->nheaders; i++)
        hdrs[nh++] = req->headers[i];
    if (header_mode) {
        hdrs[nh++] = (struct mt_sigv4_pair){"x-amz-date", r.amz_date};
        if (sign_token)
            hdrs[nh++] = (struct mt_sigv4_pair){"x-amz-security-token", token};
        if (req->flags & MT_SIGV4_ADD_CONTENT_SHA256)
            hdrs[nh++] = (struct mt_sigv4_pair){"x-amz-content-sha256", r.payload_hash};
        r.send_security_token = token != NULL;
        r.send_content_sha256 = (req->flags & MT_SIGV4_ADD_CONTENT_SHA256) != 0;
    }
    if (mt_sigv4_canonical_headers(&canon_headers, &r.signed_headers, hdrs, nh, err) < 0)
        goto out;

    /* query: raw, then decoded params, then (query mode) the X-Amz-* auth params */
    if (req->raw_query && mt_sigv4_qlist_add_raw(&q, req->raw_query, err) < 0)
        goto out;
    for (i = 0; i < req->nparams; i++)
        if (mt_sigv4_qlist_add(&q, req->params[i].name, req->params[i].value, err) < 0)
            goto out;
    nop = q.n;
    if (!header_mode) {
        for (i = 0; i < nop; i++)
            if (reserved_param(&q.v[i].key)) {
                mt_err_set(err, MT_E_USAGE, "query parameter '%s' is set by the signer",
                           q.v[i].key.p);
                goto out;
            }
        snprintf(expires, sizeof(expires), "%u", req->expires);
        if (mt_sigv4_qlist_add(&q, "X-Amz-Algorithm", MT_SIGV4_ALGORITHM, err) < 0 ||
            mt_sigv4_qlist_add(&q, "X-Amz-Credential", credential.p, err) < 0 ||
            mt_sigv4_qlist_add(&q, "X-Amz-Date", r.amz_date, err) < 0 ||
            mt_sigv4_qlist_add(&q, "X-Amz-Expires", expires, err) < 0 ||
            mt_sigv4_qlist_add(&q, "X-Amz-SignedHeaders", r.signed_headers.p, err) < 0 ||
            (sign_token && mt_sigv4_qlist_add(&q, "X-Amz-Security-Token", token, err) < 0))
            goto out;
    }

    /* canonical request (aws-wire.md 1.1) */
    for (i = 0; req->method[i]; i++) {
        char c = req->method[i];
        if (mt_buf_addc(&r.canonical_request, (c >= 'a' && c <= 'z') ? (char)(c - 32) : c) < 0) {
            nomem(err);
            goto out;
        }
    }
    if (mt_buf_addc(&r.canonical_request, '\n') < 0) {
        nomem(err);
        goto out;
    }
    if (mt_sigv4_canonical_path(&r.canonical_request, req->path, req->flags, err) < 0)
        goto out;
    if (mt_buf_addc(&r.canonical_request, '\n') < 0) {
        nomem(err);
        goto out;
    }
    if (mt_sigv4_qlist_join(&r.canonical_request, &q, 1, err) < 0)
        goto out;
    if (mt_buf_addc(&r.canonical_request, '\n') < 0 ||
        mt_buf_add(&r.canonical_request, canon_headers.p, canon_headers.len) < 0 ||
        mt_buf_addc(&r.canonical_request, '\n') < 0 ||
        mt_buf_add(&r.canonical_request, r.signed_headers.p, r.signed_headers.len) < 0 ||
        mt_buf_addc(&r.canonical_request, '\n') < 0 ||
        mt_buf_adds(&r.canonical_request, r.payload_hash) < 0) {
        nomem(err);
        goto out;
    }

    /* string to sign and signature (aws-wire.md 1.6) */
    mt_sha256(digest, r.canonical_request.p, r.canonical_request.len);
    mt_hex(hexhash, digest, sizeof(digest));
    if (mt_buf_addf(&r.string_to_sign, "%s\n%s\n%s\n%s", MT_SIGV4_ALGORITHM, r.amz_date, scope.p,
                    hexhash) < 0) {
        nomem(err);
        goto out;
    }
    if (mt_sigv4_derive_keys(req->creds->secret_access_key, date8, req->region, req->service,
                             &keys, err) < 0)
        goto out;
    add_hex_signature(&r, keys.k_signing);

    if (header_mode) {
        if (mt_buf_addf(&r.authorization, "%s Credential=%s, SignedHeaders=%s, Signature=%s",
                        MT_SIGV4_ALGORITHM, credential.p, r.signed_headers.p, r.signature) < 0) {
            nomem(err);
            goto out;
        }
    } else if ((token && !sign_token &&
                mt_sigv4_qlist_add(&q, "X-Amz-Security-Token", token, err) < 0) ||
               mt_sigv4_qlist_add(&q, "X-Amz-Signature", r.signature, err) < 0) {
        goto out;
    }

    /* the query to send: the raw query verbatim, then q after its raw pieces, encoded:
     * q = [raw pieces][params][auth params + signature] */
    {
        struct mt_sigv4_qlist rest = q;
        size_t nraw = nop - req->nparams;
        rest.v = q.v ? q.v + nraw : NULL; /* no list yet: NULL + 0 is undefined */
        rest.n = q.n - nraw;
        if (req->raw_query && *req->raw_query && mt_buf_adds(&r.query, req->raw_query) < 0) {
            nomem(err);
            goto out;
        }
        if (rest.n && r.query.len && mt_buf_addc(&r.query, '&') < 0) {
            nomem(err);
            goto out;
        }
        if (mt_sigv4_qlist_join(&r.query, &rest, 0, err) < 0)
            goto out;
    }

    *out = r;
    mt_sigv4_result_init(&r);
    rc = 0;
out:
    mt_memzero(&keys, sizeof(keys));
    mt_memzero(digest, sizeof(digest));
    mt_sigv4_result_release(&r);
    mt_sigv4_qlist_release(&q);
    free(hdrs);
    mt_buf_release(&scope);
    mt_buf_release(&canon_headers);
    mt_buf_release(&credential);
    return rc;
}

/* ---- header-signing front end ---- */

size_t mt_sigv4_signed_http_headers(const struct mt_sigv4_signed *s, const char *session_token,
                                    struct mt_http_header *h)
{
    size_t n = 0;
    h[n++] = (struct mt_http_header){"X-Amz-Date", s->amz_date, 0};
    h[n++] = (struct mt_http_header){"Authorization", s->authorization, 1};
    if (s->send_security_token)
        h[n++] = (struct mt_http_header){"X-Amz-Security-Token", session_token, 1};
    return n;
}

void mt_sigv4_signed_release(struct mt_sigv4_signed *s)
{
    if (!s)
        return;
    mt_free_secret(s->authorization);
    mt_free_secret(s->query);
    mt_free_secret(s->canonical_request);
    mt_free_secret(s->string_to_sign);
    mt_memzero(s, sizeof(*s));
}

int mt_sigv4_sign_headers(const struct mt_sigv4_header_req *req, struct mt_sigv4_signed *out,
                          struct mt_err *err)
{
    struct mt_sigv4_request g;
    struct mt_sigv4_result r;
    struct mt_sigv4_signed s;
    struct mt_sigv4_pair *hdrs = NULL;
    const char *p;
    size_t i;
    int rc = -1;

    mt_sigv4_result_init(&r);
    memset(&s, 0, sizeof(s));
    if (out)
        memset(out, 0, sizeof(*out));
    if (!req || !out) {
        mt_err_set(err, MT_E_INTERNAL, "mt_sigv4_sign_headers: NULL argument");
        goto out;
    }
    if (!req->host || !*req->host) {
        mt_err_set(err, MT_E_USAGE, "empty host");
        goto out;
    }
    for (p = req->host; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '/' || *p == '?' || *p == '#' ||
            *p == '@') {
            mt_err_set(err, MT_E_USAGE, "invalid host '%s'", req->host);
            goto out;
        }
    if (req->nheaders && !req->headers) {
        mt_err_set(err, MT_E_USAGE, "NULL header list");
        goto out;
    }
    for (i = 0; i < req->nheaders; i++) {
        const char *n = req->headers[i].name;
        if (n && strcasecmp(n, "host") == 0) {
            mt_err_set(err, MT_E_USAGE, "header 'host' is set from the host field");
            goto out;
        }
        if (n && strcasecmp(n, "x-amz-content-sha256") == 0) {
            mt_err_set(err, MT_E_USAGE, "header '%s' is not signed here", n);
            goto out;
        }
        /* these go on the wire: no CR/LF (header injection) */
        for (p = req->headers[i].value; p && *p; p++)
            if (*p == '\r' || *p == '\n') {
                mt_err_set(err, MT_E_USAGE, "line break in header '%s'", n ? n : "");
                goto out;
            }
    }
    hdrs = calloc(req->nheaders + 1, sizeof(*hdrs));
    if (!hdrs) {
        nomem(err);
        goto out;
    }
    hdrs[0] = (struct mt_sigv4_pair){"Host", req->host};
    for (i = 0; i < req->nheaders; i++)
        hdrs[i + 1] = req->headers[i];

    memset(&g, 0, sizeof(g));
    g.mode = MT_SIGV4_MODE_HEADER;
    g.method = req->method;
    g.path = req->path;
    g.params = req->params;
    g.nparams = req->nparams;
    g.headers = hdrs;
    g.nheaders = req->nheaders + 1;
    g.body = req->body;
    g.body_len = req->body_len;
    g.region = req->region;
    g.service = req->service;
    g.creds = req->creds;
    g.now = req->now;
    if (mt_sigv4_sign(&g, &r, err) < 0)
        goto out;

    memcpy(s.amz_date, r.amz_date, sizeof(s.amz_date));
    s.send_security_token = r.send_security_token;
    s.authorization = mt_buf_detach(&r.authorization);
    s.query = mt_buf_detach(&r.query);
    s.canonical_request = mt_buf_detach(&r.canonical_request);
    s.string_to_sign = mt_buf_detach(&r.string_to_sign);
    if (!s.authorization || !s.query || !s.canonical_request || !s.string_to_sign) {
        nomem(err);
        goto out;
    }
    *out = s;
    memset(&s, 0, sizeof(s));
    rc = 0;
out:
    mt_sigv4_signed_release(&s);
    mt_sigv4_result_release(&r);
    free(hdrs);
    return rc;
}
