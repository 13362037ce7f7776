/* aws.c - the AWS context of a command run: shared files, profile, region, credentials,
 * endpoints, one HTTP handle. */
#include "cmd/aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/endpoint.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "cmd/prompt.h"
#include "config/aws_ini.h"
#include "config/config.h"

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static int oom(struct mt_aws *a)
{
    return mt_err_set(&a->ctx->err, MT_E_NOMEM, "out of memory");
}

int mt_aws_open(struct mt_ctx *ctx, struct mt_aws *a, const char *config_profile,
                const char *config_region)
{
    memset(a, 0, sizeof(*a));
    a->ctx = ctx;
    a->config_path = mt_aws_config_path();
    a->credentials_path = mt_aws_credentials_path();
    if (!a->config_path || !a->credentials_path)
        return oom(a);
    if (mt_ini_load(a->config_path, MT_INI_CONFIG, &a->config, &ctx->err) < 0 ||
        mt_ini_load(a->credentials_path, MT_INI_CREDENTIALS, &a->credentials, &ctx->err) < 0)
        return -1;
    return mt_aws_select(a, config_profile, config_region);
}

int mt_aws_select(struct mt_aws *a, const char *config_profile, const char *config_region)
{
    struct mt_ctx *ctx = a->ctx;
    const struct mt_ini_section *prof;
    const char *p, *r = NULL, *psrc = NULL;
    struct mt_pick_in pk;

    free(a->profile);
    free(a->region);
    free(a->ca_bundle);
    a->profile = a->region = a->ca_bundle = NULL;
    a->region_source = NULL;
    /* the one precedence (config/resolve.c mt_pick_profile / mt_pick_region) */
    memset(&pk, 0, sizeof(pk));
    pk.flag = ctx->profile;
    pk.config = config_profile;
    pk.config_level = "config";
    pk.env1 = getenv("AWS_PROFILE");
    p = mt_pick_profile(&pk, &psrc, &a->profile_chosen);
    a->profile = strdup(p);
    if (!a->profile)
        return oom(a);
    prof = mt_ini_profile(a->config, a->profile);

    memset(&pk, 0, sizeof(pk));
    pk.flag = ctx->region;
    pk.config = config_region;
    pk.config_level = "config";
    pk.env1 = getenv("AWS_REGION");
    pk.env2 = getenv("AWS_DEFAULT_REGION");
    pk.aws_profile_region = prof ? mt_ini_get(prof, "region") : NULL;
    r = mt_pick_region(&pk, &a->region_source);
    if (r && !(a->region = strdup(r)))
        return oom(a);

    p = nonempty(getenv("AWS_CA_BUNDLE"));
    if (!p && prof)
        p = nonempty(mt_ini_get(prof, "ca_bundle"));
    if (p && !(a->ca_bundle = mt_expand_tilde(p)))
        return oom(a);
    return 0;
}

int mt_aws_need_region(struct mt_aws *a)
{
    if (a->region)
        return 0;
    mt_err_set(&a->ctx->err, MT_E_CONFIG, "no AWS region for profile '%s'", a->profile);
    return mt_err_hint(&a->ctx->err, "pass --region, set AWS_REGION, or set region in the "
                                     "profile or in ~/.mytools.yaml defaults");
}

static struct mt_http *net_http(void *ud, struct mt_err *err)
{
    struct mt_aws *a = ud;
    struct mt_http *h = mt_aws_http(a);
    if (!h && err)
        *err = a->ctx->err;
    return h;
}

static char *net_endpoint(void *ud, const char *service, const char *region, struct mt_err *err)
{
    struct mt_aws *a = ud;
    char *url = mt_aws_endpoint(a, service, region);
    if (!url && err)
        *err = a->ctx->err;
    return url;
}

static void net_debug(void *ud, const char *line)
{
    mt_debug(((struct mt_aws *)ud)->ctx, "%s", line);
}

static void net_warn(void *ud, const char *line)
{
    mt_warn(((struct mt_aws *)ud)->ctx, "%s", line);
}

void mt_aws_sso_net(struct mt_aws *a, struct mt_sso_net *net)
{
    memset(net, 0, sizeof(*net));
    net->http = net_http;
    net->endpoint = net_endpoint;
    net->ca_bundle = a->ca_bundle;
    net->debug = net_debug;
    net->warn = net_warn;
    net->ud = a;
    net->clock_skew = &a->clock_skew;
}

time_t mt_aws_now(const struct mt_aws *a)
{
    return mt_clock_now() + a->clock_skew;
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

/* The MFA code for an assume-role profile with mfa_serial: a terminal prompt (cmd/prompt.c,
 * readline loaded only now). Only offered to sso/ when stdin and stderr are terminals. */
static int mfa_prompt(void *ud, const char *profile, const char *serial, struct mt_buf *code,
                      struct mt_err *err)
{
    char prompt[600];
    char *line = NULL;
    int rc;

    (void)ud;
    snprintf(prompt, sizeof(prompt), "MFA code for %s (profile %s): ", serial, profile);
    rc = mt_prompt(prompt, NULL, &line, err);
    if (rc < 0)
        return -1;
    if (rc == MT_PROMPT_CANCEL || !line) {
        free(line);
        mt_err_set(err, MT_E_AUTH, "no MFA code entered for profile '%s'", profile);
        return mt_err_hint(err, "enter the current code of %s", serial);
    }
    rc = mt_buf_adds(code, line) < 0 ? mt_err_set(err, MT_E_NOMEM, "out of memory") : 0;
    mt_free_secret(line);
    return rc;
}

/* Login texts while a command (db token) runs: stderr, so stdout stays the command's output. */
static void ui_stderr(void *ud, const char *text)
{
    (void)ud;
    fputs(text, stderr);
    fflush(stderr);
}

int mt_aws_creds(struct mt_aws *a)
{
    struct mt_creds_in ci;
    struct mt_sso_net net;
    struct mt_sso_ui ui = {ui_stderr, NULL};
    char *cache_dir, *sso_dir;
    const char *v;
    int rc;

    if (a->creds.access_key_id &&
        (!a->creds.expiration || a->creds.expiration - mt_aws_now(a) > 300))
        return 0; /* still fresh */
    mt_creds_release(&a->creds);
    cache_dir = mt_path_join(mt_home_dir(), ".aws/cli/cache");
    sso_dir = mt_path_join(mt_home_dir(), ".aws/sso/cache");
    if (!cache_dir || !sso_dir) {
        free(cache_dir);
        free(sso_dir);
        return oom(a);
    }
    memset(&ci, 0, sizeof(ci));
    mt_aws_sso_net(a, &net);
    ci.profile = a->profile;
    ci.profile_chosen = a->profile_chosen;
    ci.config = a->config;
    ci.credentials = a->credentials;
    ci.config_path = a->config_path;
    ci.credentials_path = a->credentials_path;
    ci.cli_cache_dir = cache_dir;
    ci.now = mt_aws_now(a);
    ci.sso = &net;
    ci.sso_cache_dir = sso_dir;
    ci.interactive = a->ctx->stdin_tty && a->ctx->stderr_tty;
    ci.ui = &ui;
    ci.browser = nonempty(getenv("BROWSER"));
    ci.getenv = env_get;
    ci.sts_region = a->region;
    if (ci.interactive)
        ci.mfa_code = mfa_prompt;
    if ((v = nonempty(getenv("MYTOOLS_CREDENTIAL_PROCESS_TIMEOUT"))))
        ci.process_timeout_ms = (long)(atof(v) * 1000.0);
    rc = mt_creds_resolve(&ci, &a->creds, &a->ctx->err);
    free(cache_dir);
    free(sso_dir);
    if (rc < 0)
        return -1;
    mt_debug(a->ctx, "credentials: %s", a->creds.detail[0] ? a->creds.detail : a->creds.source);
    if (a->creds.expiration && a->creds.expiration <= ci.now) {
        mt_creds_release(&a->creds);
        mt_err_set(&a->ctx->err, MT_E_AUTH, "the AWS credentials for profile '%s' have expired",
                   a->profile);
        return mt_err_hint(&a->ctx->err, "refresh them, e.g. run 'mytools sso login --profile %s'",
                           a->profile);
    }
    return 0;
}

static void debug_line(void *ud, const char *line)
{
    mt_debug((const struct mt_ctx *)ud, "%s", line);
}

struct mt_http *mt_aws_http(struct mt_aws *a)
{
    if (a->http)
        return a->http;
    a->http = mt_http_new(&a->ctx->err);
    if (a->http && a->ctx->verbose)
        mt_http_set_debug(a->http, debug_line, a->ctx);
    return a->http;
}

char *mt_aws_endpoint(struct mt_aws *a, const char *service, const char *region)
{
    struct mt_endpoint_in in;
    const struct mt_ini_section *prof = mt_ini_profile(a->config, a->profile);
    const char *svc = mt_endpoint_service_id(service);
    const char *envname = svc ? mt_endpoint_env_name(svc) : NULL;
    char *url;

    memset(&in, 0, sizeof(in));
    in.service = service;
    in.region = region ? region : a->region;
    in.env_service_url = envname ? getenv(envname) : NULL;
    in.env_url = getenv("AWS_ENDPOINT_URL");
    in.env_ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (prof) {
        const char *services = nonempty(mt_ini_get(prof, "services"));
        const struct mt_ini_section *ss =
            services ? mt_ini_section(a->config, "services", services) : NULL;
        in.services_url = ss && svc ? mt_ini_get_sub(ss, svc, "endpoint_url") : NULL;
        in.profile_url = mt_ini_get(prof, "endpoint_url");
        in.profile_ignore = mt_ini_get(prof, "ignore_configured_endpoint_urls");
    }
    url = mt_endpoint_resolve(&in, &a->ctx->err);
    if (url)
        mt_debug(a->ctx, "endpoint for %s: %s", service, url);
    return url;
}

void mt_aws_close(struct mt_aws *a)
{
    if (!a)
        return;
    mt_ini_free(a->config);
    mt_ini_free(a->credentials);
    free(a->config_path);
    free(a->credentials_path);
    free(a->profile);
    free(a->region);
    free(a->ca_bundle);
    mt_creds_release(&a->creds);
    mt_http_free(a->http);
    memset(a, 0, sizeof(*a));
}
