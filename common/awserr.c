#include "common/awserr.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "common/timeutil.h"

/* ---- small helpers ---------------------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && is_space(*p))
        p++;
    return p;
}

void mt_aws_clean_code(const char *raw, char *out, size_t n)
{
    const char *s, *e, *hash;
    size_t i;

    if (!n)
        return;
    out[0] = '\0';
    if (!raw)
        return;
    s = raw;
    e = strchr(s, ':');
    if (!e)
        e = s + strlen(s);
    hash = NULL;
    for (i = 0; s + i < e; i++)
        if (s[i] == '#')
            hash = s + i;
    if (hash)
        s = hash + 1;
    while (s < e && is_space(*s))
        s++;
    while (e > s && is_space(e[-1]))
        e--;
    mt_err_sanitize(out, n, s, (size_t)(e - s));
}

/* "authorization_pending" -> "AuthorizationPendingException" (what x-amzn-ErrorType would say). */
static void oauth_to_exception(const char *raw, char *out, size_t n)
{
    size_t i, j = 0;
    int up = 1;

    for (i = 0; raw[i]; i++) {
        char c = raw[i];
        if (!((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'))) {
            mt_aws_clean_code(raw, out, n); /* not an OAuth-style string: keep it */
            return;
        }
    }
    for (i = 0; raw[i] && j + 1 < n; i++) {
        char c = raw[i];
        if (c == '_') {
            up = 1;
            continue;
        }
        out[j++] = up && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        up = 0;
    }
    out[j] = '\0';
    if (j && j + sizeof("Exception") <= n && (j < 9 || strcmp(out + j - 9, "Exception")))
        memcpy(out + j, "Exception", sizeof("Exception"));
}

/* ---- XML -------------------------------------------------------------------------------------- */

/* Matches "<[prefix:]tag" at p followed by '>', '/', or white space; returns the position after
 * the name, or NULL. */
static const char *match_open(const char *p, const char *end, const char *tag, int closing)
{
    const char *q = p + 1, *name;
    size_t tl = strlen(tag);

    if (closing) {
        if (q >= end || *q != '/')
            return NULL;
        q++;
    }
    name = q;
    while (q < end && *q != '>' && *q != '/' && !is_space(*q) && *q != ':')
        q++;
    if (q < end && *q == ':') /* namespace prefix */
        name = ++q;
    while (q < end && *q != '>' && *q != '/' && !is_space(*q))
        q++;
    if (q >= end || (size_t)(q - name) != tl || memcmp(name, tag, tl))
        return NULL;
    return q;
}

static size_t decode_entity(const char *p, const char *end, char *c)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t i;

    for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
        size_t l = strlen(ents[i].name);
        if ((size_t)(end - p) >= l && !memcmp(p, ents[i].name, l)) {
            *c = ents[i].c;
            return l;
        }
    }
    if (end - p >= 4 && p[1] == '#') {
        const char *q = p + 2;
        int hex = 0;
        long v = 0;
        if (*q == 'x' || *q == 'X') {
            hex = 1;
            q++;
        }
        while (q < end && q - p < 12 && *q != ';') {
            int d;
            if (*q >= '0' && *q <= '9')
                d = *q - '0';
            else if (hex && *q >= 'a' && *q <= 'f')
                d = *q - 'a' + 10;
            else if (hex && *q >= 'A' && *q <= 'F')
                d = *q - 'A' + 10;
            else
                return 0;
            v = v * (hex ? 16 : 10) + d;
            q++;
        }
        if (q < end && *q == ';' && q > p + 2 + hex) {
            *c = v > 0 && v < 0x7f ? (char)v : '?';
            return (size_t)(q - p) + 1;
        }
    }
    return 0;
}

int mt_aws_xml_next(const char *xml, size_t len, const char *tag, size_t *pos,
                    const char **inner, size_t *inner_len)
{
    const char *p, *end = xml + len, *q, *text;
    int depth;

    *inner = NULL;
    *inner_len = 0;
    if (!xml || !tag || !*tag || *pos >= len)
        return 0;
    for (p = xml + *pos; p < end; p++) {
        if (*p != '<' || !(q = match_open(p, end, tag, 0)))
            continue;
        while (q < end && *q != '>') /* attributes */
            q++;
        if (q >= end)
            return 0;
        if (q[-1] == '/') { /* <Tag/> */
            *inner = q + 1;
            *pos = (size_t)(q + 1 - xml);
            return 1;
        }
        text = q + 1;
        /* the matching close: same-name elements may nest (query XML's <member> lists) */
        for (depth = 0, q = text; q < end; q++) {
            const char *r;
            if (*q != '<')
                continue;
            if (match_open(q, end, tag, 1)) {
                if (depth-- == 0) {
                    *inner = text;
                    *inner_len = (size_t)(q - text);
                    while (q < end && *q != '>')
                        q++;
                    *pos = (size_t)(q < end ? q + 1 - xml : (const char *)end - xml);
                    return 1;
                }
            } else if ((r = match_open(q, end, tag, 0))) {
                while (r < end && *r != '>')
                    r++;
                if (r < end && r[-1] != '/')
                    depth++;
            }
        }
        return 0;
    }
    return 0;
}

int mt_aws_xml_text(const char *xml, size_t len, const char *tag, char *out, size_t n)
{
    const char *text, *text_end, *q;
    size_t j = 0, pos = 0, tl;

    if (n)
        out[0] = '\0';
    if (!mt_aws_xml_next(xml, len, tag, &pos, &text, &tl))
        return -1;
    text_end = text + tl;
    while (text < text_end && is_space(*text))
        text++;
    while (text_end > text && is_space(text_end[-1]))
        text_end--;
    if (text_end - text >= 12 && !memcmp(text, "<![CDATA[", 9) && !memcmp(text_end - 3, "]]>", 3)) {
        for (q = text + 9; q < text_end - 3 && j + 1 < n; q++)
            out[j++] = (unsigned char)*q < 0x20 || *q == 0x7f ? '?' : *q;
    } else {
        for (q = text; q < text_end && j + 1 < n; q++) {
            char c = *q;
            size_t l;
            if (c == '&' && (l = decode_entity(q, text_end, &c)) > 0)
                q += l - 1;
            out[j++] = (unsigned char)c < 0x20 || c == 0x7f ? '?' : c;
        }
    }
    if (n)
        out[j] = '\0';
    return 0;
}

/* ---- the parser ------------------------------------------------------------------------------- */

struct parsed {
    char code[64];
    char message[400];
    char request_id[80];
};

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) && it->valuestring ? it->valuestring : NULL;
}

static void parse_body(const struct mt_http_resp *resp, struct parsed *p)
{
    const char *b = resp->body.p, *end, *s;
    size_t len = resp->body.len;

    if (!b || !len)
        return;
    end = b + len;
    s = skip_space(b, end);
    if (s < end && *s == '{') {
        cJSON *root = cJSON_ParseWithLength(s, (size_t)(end - s));
        const char *v;
        if (cJSON_IsObject(root)) {
            if (!p->code[0]) {
                if ((v = json_str(root, "__type")) || (v = json_str(root, "code")) ||
                    (v = json_str(root, "Code")))
                    mt_aws_clean_code(v, p->code, sizeof(p->code));
                else if ((v = json_str(root, "error")))
                    oauth_to_exception(v, p->code, sizeof(p->code));
            }
            if ((v = json_str(root, "message")) || (v = json_str(root, "Message")) ||
                (v = json_str(root, "error_description")) || (v = json_str(root, "errorMessage")))
                mt_err_sanitize(p->message, sizeof(p->message), v, strlen(v));
        }
        cJSON_Delete(root);
    } else if (s < end && *s == '<') {
        if (!p->code[0]) {
            char raw[128];
            if (mt_aws_xml_text(s, (size_t)(end - s), "Code", raw, sizeof(raw)) == 0)
                mt_aws_clean_code(raw, p->code, sizeof(p->code));
        }
        (void)mt_aws_xml_text(s, (size_t)(end - s), "Message", p->message, sizeof(p->message));
        (void)mt_aws_xml_text(s, (size_t)(end - s), "RequestId", p->request_id,
                              sizeof(p->request_id));
    }
}

static void parse(const struct mt_http_resp *resp, struct parsed *p)
{
    memset(p, 0, sizeof(*p));
    if (resp->error_type[0])
        mt_aws_clean_code(resp->error_type, p->code, sizeof(p->code));
    parse_body(resp, p);
}

int mt_aws_error_code(const struct mt_http_resp *resp, char *out, size_t n)
{
    struct parsed p;

    if (n)
        out[0] = '\0';
    if (!resp)
        return -1;
    parse(resp, &p);
    if (n)
        snprintf(out, n, "%s", p.code);
    return p.code[0] ? 0 : -1;
}

static const char *const auth_codes[] = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "UnauthorizedException",
    "InvalidGrantException",
    "InvalidClientException",
    "InvalidToken",
    "AuthFailure",
    "RequestExpired",
};

enum mt_errc mt_aws_error_class(const char *code, long status)
{
    size_t i;

    if (code && *code) {
        for (i = 0; i < sizeof(auth_codes) / sizeof(auth_codes[0]); i++)
            if (!strcmp(code, auth_codes[i]))
                return MT_E_AUTH;
        return MT_E_AWS;
    }
    return status == 401 ? MT_E_AUTH : MT_E_AWS;
}

int mt_aws_parse_error(const struct mt_http_resp *resp, struct mt_err *err)
{
    struct parsed p;
    enum mt_errc code;

    if (!err)
        return -1;
    if (!resp)
        return mt_err_set(err, MT_E_INTERNAL, "no response to parse");
    parse(resp, &p);
    err->hint[0] = '\0'; /* no stale hint from an earlier error in the same object */
    code = mt_aws_error_class(p.code, resp->status);
    if (resp->status >= 300 && resp->status < 400) {
        /* AWS APIs never redirect; libcurl does not follow, and whatever the body claims, the
         * endpoint is wrong (a proxy, a captive portal, a misconfigured override) */
        mt_err_set(err, MT_E_HTTP, "the endpoint answered with a redirect (HTTP %ld), which is "
                   "not followed", resp->status);
        mt_err_hint(err, "check the endpoint override (AWS_ENDPOINT_URL*, endpoint_url) and any proxy");
        err->http_status = resp->status;
        return -1;
    }
    if (p.code[0] && p.message[0])
        mt_err_set(err, code, "%s: %s", p.code, p.message);
    else if (p.code[0])
        mt_err_set(err, code, "%s (HTTP %ld)", p.code, resp->status);
    else if (p.message[0])
        mt_err_set(err, code, "HTTP %ld: %s", resp->status, p.message);
    else
        mt_err_set(err, code, "HTTP %ld from the service, without error details", resp->status);
    snprintf(err->aws_type, sizeof(err->aws_type), "%s", p.code);
    err->http_status = resp->status;
    if (resp->request_id[0])
        mt_err_sanitize(err->request_id, sizeof(err->request_id), resp->request_id,
                        strlen(resp->request_id));
    else
        snprintf(err->request_id, sizeof(err->request_id), "%s", p.request_id);

    if (!strcmp(p.code, "RequestTimeTooSkewed") || strstr(p.message, "Signature expired") ||
        strstr(p.message, "Signature not yet current"))
        mt_err_hint(err, "check the system clock: AWS accepts signatures only within minutes "
                         "of its own time");
    else if (!strcmp(p.code, "AccessDeniedException") || !strcmp(p.code, "AccessDenied"))
        mt_err_hint(err, "the credentials were accepted but lack permission for this action");
    return -1;
}

char *mt_aws_xml_dup(const char *xml, size_t len, const char *tag)
{
    char *out;

    if (!xml)
        return NULL;
    out = malloc(len + 1); /* the text is never longer than the document */
    if (!out)
        return NULL;
    if (mt_aws_xml_text(xml, len, tag, out, len + 1) < 0 || !out[0]) {
        mt_freezero(out, len + 1);
        return NULL;
    }
    return out;
}

int mt_aws_skew_retry(const struct mt_err *err, const char *date, long local_now, long *skew)
{
    static const char *const codes[] = {"SignatureDoesNotMatch", "RequestTimeTooSkewed",
                                        "InvalidSignatureException", "AuthFailure",
                                        "RequestExpired"};
    time_t server;
    long off;
    size_t i;

    if (!err || !skew || !date || mt_time_parse_http_date(date, &server) < 0)
        return 0;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(err->aws_type, codes[i]))
            break;
    if (i == sizeof(codes) / sizeof(codes[0]))
        return 0;
    off = (long)server - local_now;
    if (labs(off - *skew) < 240)
        return 0;
    *skew = off;
    return 1;
}
