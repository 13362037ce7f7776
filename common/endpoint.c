#include "common/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct svc {
    const char *id;       /* [services] key */
    const char *env;      /* AWS_ENDPOINT_URL_<ID> */
    const char *host_pre; /* default host prefix before ".<region>." */
};

static const struct svc services[] = {
    {MT_SVC_KMS, "AWS_ENDPOINT_URL_KMS", "kms"},
    {MT_SVC_SECRETS_MANAGER, "AWS_ENDPOINT_URL_SECRETS_MANAGER", "secretsmanager"},
    {MT_SVC_STS, "AWS_ENDPOINT_URL_STS", "sts"},
    {MT_SVC_SSO, "AWS_ENDPOINT_URL_SSO", "portal.sso"},
    {MT_SVC_SSO_OIDC, "AWS_ENDPOINT_URL_SSO_OIDC", "oidc"},
    {MT_SVC_RDS, "AWS_ENDPOINT_URL_RDS", "rds"},
};

static int set(const char *s)
{
    return s && *s;
}

static const struct svc *find_svc(const char *name)
{
    char norm[32];
    size_t i, n;

    if (!name)
        return NULL;
    n = strlen(name);
    if (n == 0 || n >= sizeof(norm))
        return NULL;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (c == '-' || c == ' ')
            c = '_';
        else if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        norm[i] = c;
    }
    norm[n] = '\0';
    if (!strcmp(norm, "secretsmanager"))
        return &services[1];
    for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (!strcmp(norm, services[i].id))
            return &services[i];
    return NULL;
}

const char *mt_endpoint_env_name(const char *service)
{
    const struct svc *s = find_svc(service);
    return s ? s->env : NULL;
}

const char *mt_endpoint_service_id(const char *service)
{
    const struct svc *s = find_svc(service);
    return s ? s->id : NULL;
}

/* Region names are lower-case letters, digits and '-', like every AWS region; anything else could
 * smuggle a different host into the default endpoint. */
int mt_endpoint_region_ok(const char *r)
{
    size_t i, n = strlen(r);
    if (n == 0 || n > 64 || r[0] == '-' || r[n - 1] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = r[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

/* http(s)://host[:port][/path]; no spaces or control characters, no user info, no query or
 * fragment. */
static int url_ok(const char *u)
{
    const char *p, *auth_end;
    size_t i;

    if (!strncasecmp(u, "https://", 8))
        p = u + 8;
    else if (!strncasecmp(u, "http://", 7))
        p = u + 7;
    else
        return 0;
    for (i = 0; u[i]; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c <= 0x20 || c == 0x7f || c == '?' || c == '#' || c == '\\')
            return 0;
    }
    auth_end = strchr(p, '/');
    if (!auth_end)
        auth_end = p + strlen(p);
    if (auth_end == p || memchr(p, '@', (size_t)(auth_end - p)))
        return 0;
    if (*p == ':')
        return 0;
    return 1;
}

static int is_true(const char *s)
{
    return s && !strcasecmp(s, "true");
}

static char *dup_url(const char *u, const char *source, struct mt_err *err)
{
    size_t n;
    char *r;

    if (!url_ok(u)) {
        mt_err_set(err, MT_E_CONFIG, "invalid endpoint URL '%s' (from %s)", u, source);
        return NULL;
    }
    n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        n--;
    r = malloc(n + 1);
    if (!r) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(r, u, n);
    r[n] = '\0';
    return r;
}

char *mt_endpoint_resolve(const struct mt_endpoint_in *in, struct mt_err *err)
{
    const struct svc *s;
    int ignore;
    const char *sfx;
    char *out;
    int n;

    if (!in || !(s = find_svc(in->service))) {
        mt_err_set(err, MT_E_USAGE, "unknown service '%s'", in && in->service ? in->service : "");
        return NULL;
    }
    if (set(in->explicit_url))
        return dup_url(in->explicit_url, "--endpoint-url", err);

    ignore = set(in->env_ignore) ? is_true(in->env_ignore) : is_true(in->profile_ignore);
    if (!ignore) {
        if (set(in->env_service_url))
            return dup_url(in->env_service_url, s->env, err);
        if (set(in->env_url))
            return dup_url(in->env_url, "AWS_ENDPOINT_URL", err);
        if (set(in->services_url))
            return dup_url(in->services_url, "the profile's services section", err);
        if (set(in->profile_url))
            return dup_url(in->profile_url, "the profile's endpoint_url", err);
    }

    if (!set(in->region)) {
        mt_err_set(err, MT_E_CONFIG, "no region for the %s endpoint", s->id);
        mt_err_hint(err, "set --region, AWS_REGION or the profile's region");
        return NULL;
    }
    if (!mt_endpoint_region_ok(in->region)) {
        mt_err_set(err, MT_E_CONFIG, "invalid region '%s'", in->region);
        return NULL;
    }
    if (s == &services[2] && !strcmp(in->region, "aws-global"))
        return dup_url("https://sts.amazonaws.com", "the default", err);
    sfx = !strncmp(in->region, "cn-", 3) ? "amazonaws.com.cn" : "amazonaws.com";
    n = snprintf(NULL, 0, "https://%s.%s.%s", s->host_pre, in->region, sfx);
    out = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (!out) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(out, (size_t)n + 1, "https://%s.%s.%s", s->host_pre, in->region, sfx);
    return out;
}
