/* cmd_sso.c - sso login, sso logout, sso status (contract section 5). The flows live in sso/;
 * this file picks the profile or session, prints, and reports. Never prints a token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd/aws.h"
#include "cmd/out.h"
#include "common/file.h"
#include "common/timeutil.h"
#include "config/aws_ini.h"
#include "config/config.h"

enum { SSO_OPT_SESSION = 1, SSO_OPT_DEVICE, SSO_OPT_NO_BROWSER, SSO_OPT_FORMAT };

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static void ui_stdout(void *ud, const char *text)
{
    (void)ud;
    fputs(text, stdout);
    fflush(stdout);
}

static int read_at(const char *dir, const char *name, struct mt_buf *out)
{
    struct mt_err ignored = MT_ERR_INIT;
    char *path = mt_path_join(dir, name);
    int rc = path ? mt_file_read(path, 1 << 20, out, &ignored) : -1;
    free(path);
    return rc;
}

static char *home_path(const char *rel)
{
    return mt_path_join(mt_home_dir(), rel);
}

/* The AWS context with the profile precedence of contract section 4 (no database here: --profile,
 * defaults.profile of the mytools config, AWS_PROFILE, default). */
static int open_aws(struct mt_ctx *ctx, struct mt_aws *a)
{
    struct mt_config cfg;
    int rc;
    mt_config_init(&cfg);
    if (mt_config_load(ctx->config_path, ctx->config_path != NULL, &cfg, &ctx->err) < 0) {
        mt_config_release(&cfg);
        return -1;
    }
    rc = mt_aws_open(ctx, a, cfg.defaults.profile, NULL);
    mt_config_release(&cfg);
    return rc;
}

/* ---- sso login ---- */

static int run_login(struct mt_ctx *ctx)
{
    const char *session = nonempty(mt_args_get(&ctx->args, SSO_OPT_SESSION));
    struct mt_aws a;
    struct mt_sso_profile p;
    struct mt_sso_net net;
    struct mt_sso_ui ui = {ui_stdout, NULL};
    struct mt_sso_login_opts opts;
    char *dir = NULL;
    int rc = -1;

    memset(&p, 0, sizeof(p));
    if (session && nonempty(ctx->profile))
        return mt_err_set(&ctx->err, MT_E_USAGE, "--profile and --sso-session exclude each other");
    if (open_aws(ctx, &a) < 0)
        goto out;
    if (mt_sso_login_config(a.config, a.profile, session, a.config_path, &p, &ctx->err) < 0)
        goto out;
    dir = home_path(".aws/sso/cache");
    if (!dir) {
        mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    memset(&opts, 0, sizeof(opts));
    opts.use_device_code = mt_args_has(&ctx->args, SSO_OPT_DEVICE);
    opts.no_browser = mt_args_has(&ctx->args, SSO_OPT_NO_BROWSER);
    opts.browser = nonempty(getenv("BROWSER"));
    mt_aws_sso_net(&a, &net);
    mt_debug(ctx, "sso login: %s flow for %s '%s'",
             p.session_name && !opts.use_device_code ? "PKCE" : "device code",
             p.session_name ? "sso-session" : "start URL",
             p.session_name ? p.session_name : p.start_url);
    if (mt_sso_login(&p, dir, &net, &ui, &opts, &ctx->err) < 0)
        goto out;
    printf("Successfully logged into Start URL: %s\n", p.start_url);
    rc = 0;
out:
    free(dir);
    mt_sso_profile_release(&p);
    mt_aws_close(&a);
    return rc;
}

/* ---- sso logout ---- */

static int run_logout(struct mt_ctx *ctx)
{
    struct mt_aws a;
    struct mt_sso_net net;
    char *sso_dir = home_path(".aws/sso/cache"), *cli_dir = home_path(".aws/cli/cache");
    int tokens = 0, creds = 0, rc = -1;

    if (!sso_dir || !cli_dir) {
        free(sso_dir);
        free(cli_dir);
        return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    }
    if (mt_aws_open(ctx, &a, NULL, NULL) < 0)
        goto out;
    mt_aws_sso_net(&a, &net);
    if (mt_sso_logout(sso_dir, cli_dir, &net, &tokens, &creds, &ctx->err) < 0)
        goto out;
    mt_info(ctx, "removed %d SSO token%s and %d cached role credential file%s", tokens,
            tokens == 1 ? "" : "s", creds, creds == 1 ? "" : "s");
    rc = 0;
out:
    free(sso_dir);
    free(cli_dir);
    mt_aws_close(&a);
    return rc;
}

/* ---- sso status ---- */

struct status_role {
    const char *profile, *account, *role;
    time_t expires; /* 0: none cached */
};

struct status_entry {
    const char *session;   /* NULL for legacy */
    const char *start_url; /* may be NULL when misconfigured */
    const char *region;
    struct status_role *roles;
    size_t nroles;
};

static struct status_entry *find_entry(struct status_entry *v, size_t n, const char *session,
                                       const char *url)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (session && v[i].session && !strcmp(v[i].session, session))
            return &v[i];
        if (!session && !v[i].session && url && v[i].start_url && !strcmp(v[i].start_url, url))
            return &v[i];
    }
    return NULL;
}

static struct status_entry *add_entry(struct status_entry **v, size_t *n, const char *session,
                                      const char *url, const char *region)
{
    struct status_entry *e = find_entry(*v, *n, session, url), *nv;
    if (e)
        return e;
    nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return NULL;
    *v = nv;
    e = &nv[(*n)++];
    memset(e, 0, sizeof(*e));
    e->session = session;
    e->start_url = url;
    e->region = region;
    return e;
}

/* sso-session sections nobody references, through the INI parser (so [sso-session "a b"] and
 * every other spelling it accepts count). */
static int scan_sessions(struct mt_aws *a, struct status_entry **v, size_t *n)
{
    size_t i;

    for (i = 0; i < mt_ini_section_count(a->config); i++) {
        const struct mt_ini_section *s = mt_ini_section_at(a->config, i), *sec;
        if (strcmp(mt_ini_section_type(s), "sso-session") || !*mt_ini_section_name(s))
            continue;
        sec = mt_ini_section(a->config, "sso-session", mt_ini_section_name(s));
        if (sec && !add_entry(v, n, mt_ini_section_name(sec),
                              nonempty(mt_ini_get(sec, "sso_start_url")),
                              nonempty(mt_ini_get(sec, "sso_region"))))
            return -1;
    }
    return 0;
}

static void fmt_when(time_t t, time_t now, char *buf, size_t n)
{
    char iso[21];
    long left = (long)(t - now);
    mt_time_format_iso8601(t, iso);
    if (left <= 0)
        snprintf(buf, n, "expired %s", iso);
    else if (left < 3600)
        snprintf(buf, n, "expires %s (in %ld min)", iso, (left + 59) / 60);
    else
        snprintf(buf, n, "expires %s (in %ld h %02ld min)", iso, left / 3600, (left % 3600) / 60);
}

static cJSON *json_time_or_null(time_t t)
{
    char iso[21];
    if (!t)
        return cJSON_CreateNull();
    mt_time_format_iso8601(t, iso);
    return cJSON_CreateString(iso);
}

static int run_status(struct mt_ctx *ctx)
{
    const char *format = mt_args_get(&ctx->args, SSO_OPT_FORMAT);
    struct mt_aws a;
    struct status_entry *v = NULL;
    size_t n = 0, i, j;
    char *sso_dir = home_path(".aws/sso/cache"), *cli_dir = home_path(".aws/cli/cache");
    cJSON *jroot = NULL, *jarr = NULL;
    time_t now = mt_clock_now();
    int json = 0, rc = -1;

    memset(&a, 0, sizeof(a));
    if (!sso_dir || !cli_dir) {
        mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    if (format && !strcmp(format, "json"))
        json = 1;
    else if (format && strcmp(format, "text")) {
        mt_err_set(&ctx->err, MT_E_USAGE, "invalid value '%s' for --format: expected text or json",
                   format);
        goto out;
    }
    if (mt_aws_open(ctx, &a, NULL, NULL) < 0)
        goto out;
    for (i = 0; i < mt_ini_profile_count(a.config); i++) {
        const char *pname = mt_ini_profile_name(a.config, i);
        const struct mt_ini_section *prof = mt_ini_profile(a.config, pname);
        const char *sess = nonempty(mt_ini_get(prof, "sso_session"));
        const char *url = nonempty(mt_ini_get(prof, "sso_start_url"));
        const char *region = nonempty(mt_ini_get(prof, "sso_region"));
        struct status_entry *e;
        if (!sess && !url)
            continue;
        if (sess) {
            const struct mt_ini_section *ss = mt_ini_section(a.config, "sso-session", sess);
            url = ss ? nonempty(mt_ini_get(ss, "sso_start_url")) : url;
            region = ss ? nonempty(mt_ini_get(ss, "sso_region")) : region;
        }
        e = add_entry(&v, &n, sess, url, region);
        if (!e)
            goto nomem;
        if (mt_sso_profile_is_sso(prof)) {
            struct status_role *nr = realloc(e->roles, (e->nroles + 1) * sizeof(*nr));
            if (!nr)
                goto nomem;
            e->roles = nr;
            nr[e->nroles].profile = pname;
            nr[e->nroles].account = nonempty(mt_ini_get(prof, "sso_account_id"));
            nr[e->nroles].role = nonempty(mt_ini_get(prof, "sso_role_name"));
            nr[e->nroles].expires = 0;
            e->nroles++;
        }
    }
    if (scan_sessions(&a, &v, &n) < 0)
        goto nomem;
    if (json) {
        jroot = cJSON_CreateObject();
        jarr = cJSON_AddArrayToObject(jroot, "sessions");
        if (!jroot || !jarr)
            goto nomem;
    } else if (!n) {
        printf("no SSO sessions or legacy SSO profiles in %s\n", mt_tx(a.config_path));
    }
    for (i = 0; i < n; i++) {
        struct status_entry *e = &v[i];
        struct mt_sso_profile sp;
        struct mt_sso_token t = MT_SSO_TOKEN_INIT;
        struct mt_buf body = MT_BUF_INIT_SECRET;
        struct mt_err ignored = MT_ERR_INIT;
        char name[46], when[96];
        int have = 0, can_refresh;
        cJSON *je = NULL, *jroles = NULL;

        memset(&sp, 0, sizeof(sp));
        sp.session_name = (char *)e->session;
        sp.start_url = (char *)e->start_url;
        if ((e->session || e->start_url) && mt_sso_token_cache_name(&sp, name) == 0 &&
            read_at(sso_dir, name, &body) == 0 &&
            mt_sso_token_parse(body.p, body.len, &t, &ignored) == 0 && t.access_token &&
            t.expires_at)
            have = 1;
        mt_buf_release(&body);
        can_refresh = have && e->session && mt_sso_token_can_refresh(&t, now);
        if (json) {
            je = cJSON_CreateObject();
            if (!je || !cJSON_AddItemToArray(jarr, je))
                goto nomem_t;
            if (!(e->session ? cJSON_AddStringToObject(je, "sso_session", e->session)
                             : cJSON_AddNullToObject(je, "sso_session")) ||
                !cJSON_AddItemToObject(je, "start_url",
                                       e->start_url ? cJSON_CreateString(e->start_url)
                                                    : cJSON_CreateNull()) ||
                !cJSON_AddItemToObject(je, "region",
                                       e->region ? cJSON_CreateString(e->region)
                                                 : cJSON_CreateNull()) ||
                !cJSON_AddItemToObject(je, "token_expires_at",
                                       json_time_or_null(have ? t.expires_at : 0)) ||
                !cJSON_AddBoolToObject(je, "token_valid", have && t.expires_at > now) ||
                !cJSON_AddBoolToObject(je, "can_refresh", can_refresh) ||
                !(jroles = cJSON_AddArrayToObject(je, "role_credentials")))
                goto nomem_t;
        } else {
            if (e->session)
                printf("sso-session %s\n", mt_tx(e->session));
            else
                printf("legacy SSO start URL\n");
            printf("  start URL:    %s\n", e->start_url ? mt_tx(e->start_url) : "(not set)");
            printf("  region:       %s\n", e->region ? mt_tx(e->region) : "(not set)");
            if (have)
                fmt_when(t.expires_at, now, when, sizeof(when));
            printf("  token:        %s\n", have ? when : "none (run 'mytools sso login')");
            printf("  can refresh:  %s\n",
                   can_refresh ? "yes"
                   : !e->session ? "no (legacy profile without sso_session)"
                   : !have       ? "no"
                   : !t.refresh_token ? "no (no refresh token)"
                                      : "no (client registration expired)");
        }
        for (j = 0; j < e->nroles; j++) {
            struct status_role *r = &e->roles[j];
            struct mt_sso_profile rp;
            struct mt_creds c = MT_CREDS_INIT;
            char cname[46];
            memset(&rp, 0, sizeof(rp));
            rp.session_name = (char *)e->session;
            rp.start_url = (char *)e->start_url;
            rp.account_id = (char *)r->account;
            rp.role_name = (char *)r->role;
            if (r->account && r->role && (e->session || e->start_url) &&
                mt_sso_cli_cache_name(&rp, cname) == 0 &&
                read_at(cli_dir, cname, &body) == 0 &&
                mt_sso_parse_cli_cache(body.p, body.len, &c, &ignored) == 0)
                r->expires = c.expiration;
            mt_creds_release(&c);
            mt_buf_release(&body);
            if (json) {
                cJSON *jr = cJSON_CreateObject();
                if (!jr || !cJSON_AddItemToArray(jroles, jr) ||
                    !cJSON_AddStringToObject(jr, "profile", r->profile) ||
                    !cJSON_AddItemToObject(jr, "account_id",
                                           r->account ? cJSON_CreateString(r->account)
                                                      : cJSON_CreateNull()) ||
                    !cJSON_AddItemToObject(jr, "role_name",
                                           r->role ? cJSON_CreateString(r->role)
                                                   : cJSON_CreateNull()) ||
                    !cJSON_AddItemToObject(jr, "expires_at", json_time_or_null(r->expires)) ||
                    !cJSON_AddBoolToObject(jr, "valid", r->expires > now))
                    goto nomem_t;
            } else {
                if (r->expires)
                    fmt_when(r->expires, now, when, sizeof(when));
                printf("  profile %s (%s %s): role credentials %s\n", mt_tx(r->profile),
                       r->account ? mt_tx(r->account) : "?", r->role ? mt_tx(r->role) : "?",
                       r->expires ? when : "not cached");
            }
        }
        mt_sso_token_release(&t);
        if (!json && i + 1 < n)
            printf("\n");
        continue;
    nomem_t:
        mt_sso_token_release(&t);
        goto nomem;
    }
    if (json) {
        char *s = cJSON_Print(jroot);
        if (!s)
            goto nomem;
        printf("%s\n", s);
        free(s);
    }
    rc = 0;
    goto out;
nomem:
    mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
out:
    for (i = 0; i < n; i++)
        free(v[i].roles);
    free(v);
    cJSON_Delete(jroot);
    free(sso_dir);
    free(cli_dir);
    mt_aws_close(&a);
    return rc;
}

/* ---- descriptors ---- */

static const struct mt_opt login_opts[] = {
    {SSO_OPT_SESSION, 0, "sso-session", "NAME", "log into this [sso-session] (no profile needed)",
     0},
    {SSO_OPT_DEVICE, 0, "use-device-code", NULL,
     "device code flow instead of PKCE (for sso_session profiles)", 0},
    {SSO_OPT_NO_BROWSER, 0, "no-browser", NULL, "print the URL instead of opening a browser", 0},
    MT_OPT_END,
};
static const char *const login_usage[] = {
    "[--profile P | --sso-session S] [--use-device-code] [--no-browser]", NULL};

const struct mt_cmd mt_cmd_sso_login = {
    "sso login", "sso-login", "log into IAM Identity Center (AWS CLI compatible caches)",
    login_usage, login_opts, run_login,
    "Runs the AWS CLI's login: the PKCE authorization-code flow for profiles with sso_session\n"
    "(a listener on 127.0.0.1 receives the browser's redirect) or the device-code flow for\n"
    "legacy profiles and with --use-device-code. The browser is $BROWSER, xdg-open or open.\n"
    "The token and client registration land in ~/.aws/sso/cache in the AWS CLI's format.",
};

static const struct mt_opt no_opts[] = {MT_OPT_END};
static const char *const logout_usage[] = {"", NULL};

const struct mt_cmd mt_cmd_sso_logout = {
    "sso logout", "sso-logout", "remove cached SSO tokens and role credentials (as aws sso logout)",
    logout_usage, no_opts, run_logout,
    "Revokes and deletes every SSO token in ~/.aws/sso/cache and deletes every SSO role\n"
    "credential file in ~/.aws/cli/cache; client registrations stay.",
};

static const struct mt_opt status_opts[] = {
    {SSO_OPT_FORMAT, 0, "format", "text|json", "output format", 0},
    MT_OPT_END,
};
static const char *const status_usage[] = {"[--format text|json]", NULL};

const struct mt_cmd mt_cmd_sso_status = {
    "sso status", "sso-status", "show SSO sessions, token expiry and cached role credentials",
    status_usage, status_opts, run_status,
    "For each [sso-session] and legacy start URL: start URL, region, token expiry, whether it\n"
    "can be refreshed, and the cached role credentials of its profiles. Never prints a token.",
};
