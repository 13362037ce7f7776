/* token.c - IAM Identity Center token and client-registration caches in the AWS CLI's formats,
 * PKCE and form encoding (pure; sso-and-hashes.md sections 2 and 4). */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "sso/sso_int.h"

/* ---- JSON helpers ---- */

static int has_ctl(const char *s)
{
    const unsigned char *c;
    for (c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return 1;
    return 0;
}

int mt_sso_json_has_ctl(const cJSON *n)
{
    for (; n; n = n->next)
        if ((cJSON_IsString(n) && n->valuestring && has_ctl(n->valuestring)) ||
            (n->string && has_ctl(n->string)) || mt_sso_json_has_ctl(n->child))
            return 1;
    return 0;
}

char *mt_sso_json_dup(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(it) && it->valuestring && it->valuestring[0] ? strdup(it->valuestring)
                                                                       : NULL;
}

char *mt_sso_json_str(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    /* a CR/LF (or any control byte) in a token or key would end up in an HTTP header: such a
     * value is corrupt, as if it were missing */
    if (!cJSON_IsString(it) || !it->valuestring || !it->valuestring[0] ||
        has_ctl(it->valuestring))
        return NULL;
    return strdup(it->valuestring);
}

cJSON *mt_sso_json_parse_object(const char *data, size_t len)
{
    struct mt_buf b = MT_BUF_INIT_SECRET;
    cJSON *root;
    size_t i = 0;

    if (!data)
        return NULL;
    /* the first complete value; whatever follows (a longer old file under a shorter in-place
     * rewrite) is ignored */
    root = cJSON_ParseWithLengthOpts(data, len, NULL, 0);
    if (root && !cJSON_IsObject(root)) {
        mt_json_delete_wiped(root);
        return NULL;
    }
    if (root)
        return root;
    /* a write cut off just before the final brace: everything else is intact */
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i >= len || data[i] != '{')
        return NULL;
    if (mt_buf_add(&b, data, len) < 0 || mt_buf_addc(&b, '}') < 0) {
        mt_buf_release(&b);
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(b.p, b.len, NULL, 0);
    mt_buf_release(&b);
    if (root && !cJSON_IsObject(root)) {
        mt_json_delete_wiped(root);
        root = NULL;
    }
    return root;
}

int mt_sso_sha1_name(const char *s, size_t len, const char *suffix, char *out)
{
    uint8_t md[MT_SHA1_LEN];
    if (mt_sha1(md, s, len) < 0)
        return -1;
    mt_hex(out, md, MT_SHA1_LEN);
    memcpy(out + 40, suffix, strlen(suffix) + 1);
    return 0;
}

static time_t json_time(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    time_t t;
    if (!cJSON_IsString(it) || !it->valuestring || mt_time_parse_iso8601(it->valuestring, &t) < 0)
        return 0;
    return t;
}

/* ---- token ---- */

void mt_sso_token_release(struct mt_sso_token *t)
{
    if (!t)
        return;
    free(t->start_url);
    free(t->region);
    mt_free_secret(t->access_token);
    free(t->client_id);
    mt_free_secret(t->client_secret);
    mt_free_secret(t->refresh_token);
    memset(t, 0, sizeof(*t));
}

int mt_sso_token_parse(const char *data, size_t len, struct mt_sso_token *out,
                       struct mt_err *err)
{
    cJSON *root = mt_sso_json_parse_object(data, len);
    struct mt_sso_token t = MT_SSO_TOKEN_INIT;

    if (!root)
        return mt_err_set(err, MT_E_IO, "not a JSON object");
    if (mt_sso_json_has_ctl(root->child)) {
        mt_json_delete_wiped(root);
        return mt_err_set(err, MT_E_IO, "a value holds control characters");
    }
    t.start_url = mt_sso_json_str(root, "startUrl");
    t.region = mt_sso_json_str(root, "region");
    t.access_token = mt_sso_json_str(root, "accessToken");
    t.expires_at = json_time(root, "expiresAt");
    t.client_id = mt_sso_json_str(root, "clientId");
    t.client_secret = mt_sso_json_str(root, "clientSecret");
    t.registration_expires_at = json_time(root, "registrationExpiresAt");
    t.refresh_token = mt_sso_json_str(root, "refreshToken");
    mt_json_delete_wiped(root);
    *out = t;
    return 0;
}

int mt_sso_token_valid(const struct mt_sso_token *t, time_t now, long window)
{
    return t->access_token && t->expires_at && t->expires_at > now + window;
}

int mt_sso_token_can_refresh(const struct mt_sso_token *t, time_t now)
{
    return t->refresh_token && t->client_id && t->client_secret && t->registration_expires_at &&
           t->registration_expires_at > now;
}

static int add_kv(struct mt_buf *out, int *first, const char *key, const char *val)
{
    if (!val)
        return 0;
    if (!*first && mt_buf_adds(out, ", ") < 0)
        return -1;
    *first = 0;
    if (mt_pyjson_string(out, key) < 0 || mt_buf_adds(out, ": ") < 0 ||
        mt_pyjson_string(out, val) < 0)
        return -1;
    return 0;
}

int mt_sso_token_render(const struct mt_sso_token *t, struct mt_buf *out)
{
    char exp[21], reg[21];
    int first = 1;

    if (t->expires_at)
        mt_time_format_iso8601(t->expires_at, exp);
    if (t->registration_expires_at)
        mt_time_format_iso8601(t->registration_expires_at, reg);
    if (mt_buf_addc(out, '{') < 0 || add_kv(out, &first, "startUrl", t->start_url) < 0 ||
        add_kv(out, &first, "region", t->region) < 0 ||
        add_kv(out, &first, "accessToken", t->access_token) < 0 ||
        add_kv(out, &first, "expiresAt", t->expires_at ? exp : NULL) < 0 ||
        add_kv(out, &first, "clientId", t->client_id) < 0 ||
        add_kv(out, &first, "clientSecret", t->client_secret) < 0 ||
        add_kv(out, &first, "registrationExpiresAt", t->registration_expires_at ? reg : NULL) < 0 ||
        add_kv(out, &first, "refreshToken", t->refresh_token) < 0)
        return -1;
    return mt_buf_addc(out, '}');
}

/* ---- scopes ---- */

void mt_sso_scopes_release(struct mt_sso_scopes *s)
{
    size_t i;
    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

int mt_sso_scopes_parse(const char *configured, struct mt_sso_scopes *out)
{
    struct mt_sso_scopes s = {NULL, 0, 0};
    const char *p = configured;

    memset(out, 0, sizeof(*out));
    if (!configured)
        return 0;
    s.configured = 1;
    while (*p) {
        const char *e = strchr(p, ',');
        const char *a = p, *b = e ? e : p + strlen(p);
        char **nv;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a) {
            nv = realloc(s.v, (s.n + 1) * sizeof(*nv));
            if (!nv)
                goto oom;
            s.v = nv;
            if (!(s.v[s.n] = mt_strndup(a, (size_t)(b - a))))
                goto oom;
            s.n++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    *out = s;
    return 0;
oom:
    mt_sso_scopes_release(&s);
    return -1;
}

/* ---- registration ---- */

void mt_sso_registration_release(struct mt_sso_registration *r)
{
    if (!r)
        return;
    free(r->client_id);
    mt_free_secret(r->client_secret);
    memset(r, 0, sizeof(*r));
}

static int scopes_json(struct mt_buf *b, const struct mt_sso_scopes *s)
{
    size_t i;
    if (mt_buf_addc(b, '[') < 0)
        return -1;
    for (i = 0; i < s->n; i++)
        if ((i && mt_buf_adds(b, ", ") < 0) || mt_pyjson_string(b, s->v[i]) < 0)
            return -1;
    return mt_buf_addc(b, ']');
}

int mt_sso_registration_cache_name(const struct mt_sso_profile *p, char out[46])
{
    struct mt_buf b = MT_BUF_INIT;
    struct mt_sso_scopes s;
    int rc = -1;

    if (mt_sso_scopes_parse(p->scopes, &s) < 0)
        return -1;
    /* json.dumps(sort_keys=True): region, scopes, session_name, startUrl, tool */
    if (mt_buf_adds(&b, "{\"region\": ") < 0 || mt_pyjson_string(&b, p->region) < 0 ||
        mt_buf_adds(&b, ", \"scopes\": ") < 0 ||
        (s.configured ? scopes_json(&b, &s) : mt_buf_adds(&b, "null")) < 0 ||
        mt_buf_adds(&b, ", \"session_name\": ") < 0 ||
        (p->session_name ? mt_pyjson_string(&b, p->session_name) : mt_buf_adds(&b, "null")) < 0 ||
        mt_buf_adds(&b, ", \"startUrl\": ") < 0 || mt_pyjson_string(&b, p->start_url) < 0 ||
        mt_buf_adds(&b, ", \"tool\": \"botocore\"}") < 0)
        goto out;
    rc = mt_sso_sha1_name(b.p, b.len, ".json", out);
out:
    mt_buf_release(&b);
    mt_sso_scopes_release(&s);
    return rc;
}

int mt_sso_registration_parse(const char *data, size_t len, struct mt_sso_registration *out,
                              struct mt_err *err)
{
    cJSON *root = mt_sso_json_parse_object(data, len);
    struct mt_sso_registration r = {0};
    const cJSON *gt, *it;

    if (!root)
        return mt_err_set(err, MT_E_IO, "not a JSON object");
    r.client_id = mt_sso_json_str(root, "clientId");
    r.client_secret = mt_sso_json_str(root, "clientSecret");
    r.expires_at = json_time(root, "expiresAt");
    gt = cJSON_GetObjectItemCaseSensitive(root, "grantTypes");
    if (cJSON_IsArray(gt)) {
        cJSON_ArrayForEach(it, gt)
        {
            if (cJSON_IsString(it) && !strcmp(it->valuestring, "authorization_code"))
                r.auth_code = 1;
        }
    }
    mt_json_delete_wiped(root);
    if (!r.client_id || !r.client_secret || !r.expires_at) {
        mt_sso_registration_release(&r);
        return mt_err_set(err, MT_E_IO, "incomplete client registration");
    }
    *out = r;
    return 0;
}

int mt_sso_registration_reusable(const struct mt_sso_registration *r, int pkce, time_t now)
{
    if (!r->client_id || !r->client_secret || r->expires_at - MT_SSO_REFRESH_WINDOW <= now)
        return 0;
    return pkce ? r->auth_code : !r->auth_code;
}

int mt_sso_registration_render(const struct mt_sso_registration *r,
                               const struct mt_sso_scopes *s, int pkce, struct mt_buf *out)
{
    char exp[21];
    mt_time_format_iso8601(r->expires_at, exp);
    if (mt_buf_adds(out, "{\"clientId\": ") < 0 || mt_pyjson_string(out, r->client_id) < 0 ||
        mt_buf_adds(out, ", \"clientSecret\": ") < 0 ||
        mt_pyjson_string(out, r->client_secret) < 0 ||
        mt_buf_addf(out, ", \"expiresAt\": \"%s\"", exp) < 0)
        return -1;
    if (s && (mt_buf_adds(out, ", \"scopes\": ") < 0 || scopes_json(out, s) < 0))
        return -1;
    if (pkce && mt_buf_adds(out, ", \"grantTypes\": [\"authorization_code\", \"refresh_token\"]") < 0)
        return -1;
    return mt_buf_addc(out, '}');
}

/* ---- PKCE, form encoding ---- */

void mt_sso_pkce_challenge(const char *verifier, char out[44])
{
    static const char b64u[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t md[MT_SHA256_LEN + 1];
    size_t i, o = 0;

    mt_sha256(md, verifier, strlen(verifier));
    md[MT_SHA256_LEN] = 0;
    /* 32 bytes = 10 full groups + 2 bytes -> 43 characters, no padding */
    for (i = 0; i + 3 <= MT_SHA256_LEN; i += 3) {
        unsigned v = ((unsigned)md[i] << 16) | ((unsigned)md[i + 1] << 8) | md[i + 2];
        out[o++] = b64u[(v >> 18) & 63];
        out[o++] = b64u[(v >> 12) & 63];
        out[o++] = b64u[(v >> 6) & 63];
        out[o++] = b64u[v & 63];
    }
    {
        unsigned v = ((unsigned)md[i] << 16) | ((unsigned)md[i + 1] << 8);
        out[o++] = b64u[(v >> 18) & 63];
        out[o++] = b64u[(v >> 12) & 63];
        out[o++] = b64u[(v >> 6) & 63];
    }
    out[o] = 0;
    mt_memzero(md, sizeof(md));
}

int mt_sso_form_encode(struct mt_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int r;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-' || c == '~')
            r = mt_buf_addc(out, (char)c);
        else if (c == ' ')
            r = mt_buf_addc(out, '+');
        else
            r = mt_buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
        if (r < 0)
            return -1;
    }
    return 0;
}
