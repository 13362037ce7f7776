/* cache.c - AWS CLI-compatible cache names and formats (pure). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/hash.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "sso/sso.h"
#include "sso/sso_int.h"

void mt_creds_release(struct mt_creds *c)
{
    if (!c)
        return;
    mt_free_secret(c->access_key_id);
    mt_free_secret(c->secret_access_key);
    mt_free_secret(c->session_token);
    free(c->account_id);
    memset(c, 0, sizeof(*c));
}

/* Decodes one UTF-8 sequence; returns its length, or 0 when invalid (then the byte is taken
 * as U+FFFD like Python's surrogateescape would not; config files are UTF-8 text). */
static size_t utf8_decode(const unsigned char *s, unsigned long *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
        *cp = ((s[0] & 0x1ful) << 6) | (s[1] & 0x3f);
        return *cp >= 0x80 ? 2 : 0;
    }
    if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *cp = ((s[0] & 0x0ful) << 12) | ((s[1] & 0x3ful) << 6) | (s[2] & 0x3f);
        /* UTF-8 encoded surrogates are invalid (Python's decoder rejects them) */
        return *cp >= 0x800 && (*cp < 0xd800 || *cp > 0xdfff) ? 3 : 0;
    }
    if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
        (s[3] & 0xc0) == 0x80) {
        *cp = ((s[0] & 0x07ul) << 18) | ((s[1] & 0x3ful) << 12) | ((s[2] & 0x3ful) << 6) |
              (s[3] & 0x3f);
        return *cp >= 0x10000 && *cp <= 0x10ffff ? 4 : 0;
    }
    return 0;
}

int mt_pyjson_string(struct mt_buf *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    if (mt_buf_addc(out, '"') < 0)
        return -1;
    while (*s) {
        unsigned long cp;
        size_t n = utf8_decode(s, &cp);
        int r;
        if (n == 0) {
            cp = 0xfffd;
            n = 1;
        }
        switch (cp) {
        case '"': r = mt_buf_adds(out, "\\\""); break;
        case '\\': r = mt_buf_adds(out, "\\\\"); break;
        case '\n': r = mt_buf_adds(out, "\\n"); break;
        case '\r': r = mt_buf_adds(out, "\\r"); break;
        case '\t': r = mt_buf_adds(out, "\\t"); break;
        case '\b': r = mt_buf_adds(out, "\\b"); break;
        case '\f': r = mt_buf_adds(out, "\\f"); break;
        default:
            if (cp < 0x20 || (cp >= 0x7f && cp < 0x10000))
                r = cp == 0x7f ? mt_buf_addc(out, 0x7f) : mt_buf_addf(out, "\\u%04lx", cp);
            else if (cp >= 0x10000)
                r = mt_buf_addf(out, "\\u%04lx\\u%04lx", 0xd800 + ((cp - 0x10000) >> 10),
                                0xdc00 + ((cp - 0x10000) & 0x3ff));
            else
                r = mt_buf_addc(out, (char)cp);
        }
        if (r < 0)
            return -1;
        s += n;
    }
    return mt_buf_addc(out, '"');
}

static int sha1_name(const char *data, size_t len, char out[46])
{
    uint8_t md[MT_SHA1_LEN];
    if (mt_sha1(md, data, len) < 0)
        return -1;
    mt_hex(out, md, MT_SHA1_LEN);
    memcpy(out + 40, ".json", 6);
    return 0;
}

int mt_sso_token_cache_name(const struct mt_sso_profile *p, char out[46])
{
    const char *key = p->session_name ? p->session_name : p->start_url;
    if (!key)
        return -1;
    return sha1_name(key, strlen(key), out);
}

int mt_sso_cli_cache_name(const struct mt_sso_profile *p, char out[46])
{
    struct mt_buf b = MT_BUF_INIT;
    int rc = -1;
    /* json.dumps(args, sort_keys=True, separators=(',', ':')): accountId < roleName <
     * sessionName|startUrl in code-point order */
    if (mt_buf_adds(&b, "{\"accountId\":") < 0 || mt_pyjson_string(&b, p->account_id) < 0 ||
        mt_buf_adds(&b, ",\"roleName\":") < 0 || mt_pyjson_string(&b, p->role_name) < 0)
        goto out;
    if (p->session_name) {
        if (mt_buf_adds(&b, ",\"sessionName\":") < 0 || mt_pyjson_string(&b, p->session_name) < 0)
            goto out;
    } else if (mt_buf_adds(&b, ",\"startUrl\":") < 0 || mt_pyjson_string(&b, p->start_url) < 0) {
        goto out;
    }
    if (mt_buf_addc(&b, '}') < 0)
        goto out;
    rc = sha1_name(b.p, b.len, out);
out:
    mt_buf_release(&b);
    return rc;
}

int mt_sso_parse_cli_cache(const char *json, size_t len, struct mt_creds *out, struct mt_err *err)
{
    /* strict like botocore's json.loads: trailing bytes (an interrupted in-place rewrite by the
     * AWS CLI) make the file unusable */
    cJSON *root = cJSON_ParseWithLengthOpts(json, len + 1, NULL, 1); /* json[len] is NUL */
    const cJSON *c, *exp;
    struct mt_creds tmp = MT_CREDS_INIT;
    int rc = -1;

    if (!root) {
        mt_err_set(err, MT_E_IO, "not valid JSON");
        goto out;
    }
    if (mt_sso_json_has_ctl(root->child)) {
        mt_err_set(err, MT_E_IO, "a value holds control characters");
        goto out;
    }
    c = cJSON_GetObjectItemCaseSensitive(root, "Credentials");
    if (!cJSON_IsObject(c)) {
        mt_err_set(err, MT_E_IO, "no 'Credentials' object");
        goto out;
    }
    tmp.access_key_id = mt_sso_json_str(c, "AccessKeyId");
    tmp.secret_access_key = mt_sso_json_str(c, "SecretAccessKey");
    tmp.session_token = mt_sso_json_str(c, "SessionToken");
    tmp.account_id = mt_sso_json_str(c, "AccountId");
    exp = cJSON_GetObjectItemCaseSensitive(c, "Expiration");
    if (!tmp.access_key_id || !tmp.secret_access_key || !cJSON_IsString(exp) ||
        mt_time_parse_iso8601(exp->valuestring, &tmp.expiration) < 0) {
        mt_err_set(err, MT_E_IO, "missing or malformed credential fields");
        goto out;
    }
    tmp.source = "AWS CLI cache";
    *out = tmp;
    memset(&tmp, 0, sizeof(tmp));
    rc = 0;
out:
    mt_creds_release(&tmp);
    mt_json_delete_wiped(root);
    return rc;
}

int mt_sso_render_cli_cache(const struct mt_creds *c, struct mt_buf *out)
{
    char exp[21];
    mt_time_format_iso8601(c->expiration, exp);
    if (mt_buf_adds(out, "{\"ProviderType\": \"sso\", \"Credentials\": {\"AccessKeyId\": ") < 0 ||
        mt_pyjson_string(out, c->access_key_id) < 0 ||
        mt_buf_adds(out, ", \"SecretAccessKey\": ") < 0 ||
        mt_pyjson_string(out, c->secret_access_key) < 0 ||
        mt_buf_adds(out, ", \"SessionToken\": ") < 0 ||
        mt_pyjson_string(out, c->session_token ? c->session_token : "") < 0 ||
        mt_buf_addf(out, ", \"Expiration\": \"%s\"", exp) < 0)
        return -1;
    if (c->account_id &&
        (mt_buf_adds(out, ", \"AccountId\": ") < 0 || mt_pyjson_string(out, c->account_id) < 0))
        return -1;
    return mt_buf_adds(out, "}}");
}
