/* refresh.c - role credentials for an SSO profile (edge; contract section 4):
 *   1. ~/.aws/cli/cache while more than 15 minutes remain (no lock, no network: the warm path);
 *   2. under the advisory lock: the CLI cache again (another process may have refreshed), then the
 *      token in ~/.aws/sso/cache, refreshed with CreateToken(refresh_token) when less than 15
 *      minutes remain (sso_session profiles; registration not expired), then GetRoleCredentials
 *      and the CLI cache written in the AWS CLI's format;
 *   3. a login when interactive, else MT_E_AUTH with the hint.
 * Files are only ever replaced atomically and only after a success: a failed refresh leaves the old
 * token (and its refresh token) in place. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "sso/sso_int.h"

#define LOCK_TIMEOUT_MS 120000L

static void debugf(const struct mt_creds_in *in, const char *fmt, ...) MT_PRINTF(2, 3);
static void debugf(const struct mt_creds_in *in, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    if (!in->sso || !in->sso->debug)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    in->sso->debug(in->sso->ud, line);
}

static void warnf(const struct mt_creds_in *in, const char *fmt, ...) MT_PRINTF(2, 3);
static void warnf(const struct mt_creds_in *in, const char *fmt, ...)
{
    char line[768];
    va_list ap;
    if (!in->sso || !in->sso->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    in->sso->warn(in->sso->ud, line);
}

/* 1 with *out filled if the CLI cache holds credentials with more than 15 minutes left. */
static int cli_cache_hit(const struct mt_creds_in *in, const char *name, time_t now,
                         struct mt_creds *out)
{
    struct mt_buf body = MT_BUF_INIT_SECRET;
    struct mt_err ignored = MT_ERR_INIT;
    int hit = 0;

    if (!in->cli_cache_dir)
        return 0;
    if (mt_sso_read_file(in->cli_cache_dir, name, &body, &ignored) < 0) {
        if (ignored.sys_errno != ENOENT)
            debugf(in, "sso: ignoring the role credentials cache (%s)", ignored.msg);
    } else if (mt_sso_parse_cli_cache(body.p, body.len, out, &ignored) < 0) {
        debugf(in, "sso: ignoring the role credentials cache '%s' (%s)", name, ignored.msg);
    } else {
        if (out->expiration - now > MT_SSO_EXPIRY_WINDOW) {
            out->source = "AWS CLI SSO cache";
            hit = 1;
        } else {
            mt_creds_release(out);
        }
    }
    mt_buf_release(&body);
    return hit;
}

/* MT_E_AUTH with the contract's hint; returns 1 ("login needed"). */
static int need_login(const struct mt_creds_in *in, struct mt_err *err, const char *fmt, ...)
    MT_PRINTF(3, 4);
static int need_login(const struct mt_creds_in *in, struct mt_err *err, const char *fmt, ...)
{
    char why[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    mt_err_set(err, MT_E_AUTH, "SSO login needed for profile '%s': %s", in->profile, why);
    mt_err_hint(err, "run 'mytools sso login --profile %s'", in->profile);
    return 1;
}

static const char *token_key(const struct mt_sso_profile *sp, char *buf, size_t n)
{
    if (sp->session_name)
        snprintf(buf, n, "sso-session '%s'", sp->session_name);
    else
        snprintf(buf, n, "start URL '%s'", sp->start_url);
    return buf;
}

/* Writes the refreshed token in the AWS CLI's format; keeps the old refresh token when the
 * service returned none (botocore would drop it; it is still valid then). */
static int store_refreshed(const struct mt_creds_in *in, const struct mt_sso_profile *sp,
                           const char *tok_name, struct mt_sso_token *t,
                           struct mt_sso_created *c, struct mt_err *err)
{
    struct mt_buf out = MT_BUF_INIT_SECRET;
    struct mt_sso_token nt = *t; /* borrowed fields, moved below on success */
    struct mt_err e = MT_ERR_INIT;
    int rc;

    nt.start_url = sp->start_url;
    nt.region = sp->region;
    nt.access_token = c->access_token;
    nt.expires_at = mt_clock_now() + c->expires_in;
    if (c->refresh_token)
        nt.refresh_token = c->refresh_token;
    rc = mt_sso_token_render(&nt, &out);
    if (rc < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
    } else if (mt_sso_write_file(in->sso_cache_dir, tok_name, out.p, out.len, &e) < 0) {
        /* the service has already rotated the refresh token: failing now would throw away the
         * only copy of the new one. Use it for this run and say what is lost (the old file is
         * intact: writes are temp + rename, the temp file is removed). */
        char key[320];
        warnf(in, "the refreshed SSO session of %s could not be saved (%s); this run uses it, "
                  "but the refresh token left in the cache may no longer be valid, so a later run "
                  "may need 'mytools sso login --profile %s'",
              token_key(sp, key, sizeof(key)), e.msg, in->profile);
    }
    mt_buf_release(&out);
    if (rc < 0)
        return -1;
    /* the new values now belong to t */
    mt_free_secret(t->access_token);
    t->access_token = c->access_token;
    c->access_token = NULL;
    t->expires_at = nt.expires_at;
    if (c->refresh_token) {
        mt_free_secret(t->refresh_token);
        t->refresh_token = c->refresh_token;
        c->refresh_token = NULL;
    }
    return 0;
}

/* 0 ok (out filled), 1 login needed (err set), -1 error. Runs under the lock. */
static int locked_attempt(const struct mt_creds_in *in, const struct mt_sso_profile *sp,
                          const char *cli_name, const char *tok_name, time_t now,
                          const struct mt_err *nolock, struct mt_creds *out, struct mt_err *err)
{
    struct mt_buf body = MT_BUF_INIT_SECRET, cache = MT_BUF_INIT_SECRET;
    struct mt_sso_token t = MT_SSO_TOKEN_INIT;
    struct mt_sso_created created = {0};
    struct mt_creds c = MT_CREDS_INIT;
    struct mt_err e = MT_ERR_INIT;
    char key[320];
    int rc = -1, have = 0;

    if (cli_cache_hit(in, cli_name, now, out)) {
        debugf(in, "sso: role credentials were refreshed by another process");
        return 0;
    }
    token_key(sp, key, sizeof(key));
    if (mt_sso_read_file(in->sso_cache_dir, tok_name, &body, &e) == 0 &&
        mt_sso_token_parse(body.p, body.len, &t, &e) == 0)
        have = 1;
    else
        debugf(in, "sso: no usable token cache for %s (%s)", key, e.msg);

    if (have && sp->session_name && !mt_sso_token_valid(&t, now, MT_SSO_REFRESH_WINDOW) &&
        mt_sso_token_can_refresh(&t, now) && nolock) {
        /* no lock (a read-only ~/.aws): a refresh rotates the refresh token, so it needs a write
         * that cannot happen; a still valid token is used as it is */
        if (!mt_sso_token_valid(&t, now, 0)) {
            *err = *nolock;
            mt_err_prefix(err, "cannot refresh the expired SSO token of %s", key);
            mt_err_hint(err, "the refreshed token must be saved in ~/.aws/sso/cache: make it "
                             "writable");
            goto out;
        }
        debugf(in, "sso: not refreshing the token of %s without the lock (%s)", key, nolock->msg);
    } else if (have && sp->session_name && !mt_sso_token_valid(&t, now, MT_SSO_REFRESH_WINDOW) &&
               mt_sso_token_can_refresh(&t, now)) {
        debugf(in, "sso: refreshing the token of %s", key);
        mt_err_clear(&e);
        if (mt_sso_refresh(in->sso, sp->region, &t, &created, &e) == 0) {
            if (store_refreshed(in, sp, tok_name, &t, &created, err) < 0)
                goto out;
        } else if (mt_sso_token_valid(&t, now, 0)) {
            debugf(in, "sso: refresh failed (%s); the token is still valid", e.msg);
        } else if ((e.code != MT_E_AUTH && e.code != MT_E_AWS) || e.http_status >= 500 ||
                   e.http_status == 429) {
            /* a transport, configuration (bad endpoint, sso_region) or local failure: logging
             * in again would not help */
            *err = e;
            mt_err_prefix(err, "cannot refresh the SSO token of %s", key);
            goto out;
        } else {
            rc = need_login(in, err, "the SSO token has expired and refresh failed (%s)",
                            e.aws_type[0] ? e.aws_type : e.msg);
            goto out;
        }
    }
    if (!have || !t.access_token || !t.expires_at) {
        rc = need_login(in, err,
                        "no SSO token for %s in ~/.aws/sso/cache and no cached role credentials "
                        "with more than 15 minutes left",
                        key);
        goto out;
    }
    if (!mt_sso_token_valid(&t, now, 0)) {
        if (!sp->session_name)
            rc = need_login(in, err, "the SSO token for %s has expired (legacy profiles without "
                                     "sso_session cannot refresh)", key);
        else if (t.registration_expires_at && t.registration_expires_at <= now)
            rc = need_login(in, err, "the SSO token of %s has expired and so has its client "
                                     "registration", key);
        else
            rc = need_login(in, err, "the SSO token of %s has expired and cannot be refreshed",
                            key);
        goto out;
    }
    mt_err_clear(&e);
    if (mt_sso_get_role_credentials(in->sso, sp, t.access_token, &c, &e) < 0) {
        if (e.code == MT_E_AUTH) {
            rc = need_login(in, err, "the SSO session associated with this profile has expired "
                                     "or is otherwise invalid");
            goto out;
        }
        *err = e;
        mt_err_prefix(err, "cannot get SSO role credentials for profile '%s'", in->profile);
        goto out;
    }
    if (mt_sso_render_cli_cache(&c, &cache) < 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    mt_err_clear(&e);
    if (mt_sso_write_file(in->cli_cache_dir, cli_name, cache.p, cache.len, &e) < 0)
        debugf(in, "sso: cannot write the role credentials cache: %s", e.msg);
    *out = c;
    memset(&c, 0, sizeof(c));
    rc = 0;
out:
    mt_creds_release(&c);
    mt_sso_created_release(&created);
    mt_sso_token_release(&t);
    mt_buf_release(&body);
    mt_buf_release(&cache);
    return rc;
}

static int token_file_exists(const struct mt_creds_in *in, const char *tok_name)
{
    char *p = mt_path_join(in->sso_cache_dir, tok_name);
    int ok = p && access(p, F_OK) == 0;
    free(p);
    return ok;
}

static int attempt(const struct mt_creds_in *in, const struct mt_sso_profile *sp,
                   const char *cli_name, const char *tok_name, const char *lock_name, time_t now,
                   struct mt_creds *out, struct mt_err *err)
{
    struct mt_err lock_err = MT_ERR_INIT;
    char *lock_path = NULL;
    int fd = -1, rc;

    lock_path = mt_path_join(in->sso_cache_dir, lock_name);
    if (!lock_path)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    rc = mt_sso_lock(lock_path, LOCK_TIMEOUT_MS, &fd, &lock_err);
    free(lock_path);
    if (rc < 0) {
        int e = lock_err.sys_errno;
        /* the lock only orders our own writers: when it cannot be created (read-only or full
         * file system, no permission) go on without it; only a refresh needs a write */
        if (e != EROFS && e != EACCES && e != EPERM && e != ENOSPC && e != EDQUOT) {
            *err = lock_err;
            return -1;
        }
        debugf(in, "sso: going on without the lock (%s)", lock_err.msg);
        return locked_attempt(in, sp, cli_name, tok_name, now, &lock_err, out, err);
    }
    rc = locked_attempt(in, sp, cli_name, tok_name, now, NULL, out, err);
    mt_sso_unlock(fd);
    return rc;
}

int mt_sso_role_creds(const struct mt_creds_in *in, const struct mt_sso_profile *sp,
                      struct mt_creds *out, struct mt_err *err)
{
    char cli_name[46], tok_name[46], lock_name[46], key[320];
    struct mt_sso_login_opts opts;
    int rc;

    if (mt_sso_cli_cache_name(sp, cli_name) < 0 || mt_sso_token_cache_name(sp, tok_name) < 0)
        return mt_err_set(err, MT_E_CRYPTO, "cannot compute the SSO cache file names");
    memcpy(lock_name, tok_name, 40);
    memcpy(lock_name + 40, ".lock", 6);
    if ((in->cli_cache_dir && mt_sso_cache_dir_check(in->cli_cache_dir, err) < 0) ||
        (in->sso_cache_dir && mt_sso_cache_dir_check(in->sso_cache_dir, err) < 0))
        return -1;
    if (cli_cache_hit(in, cli_name, in->now, out))
        return 0;
    token_key(sp, key, sizeof(key));
    if (!in->sso || !in->sso_cache_dir) {
        need_login(in, err, "no cached role credentials with more than 15 minutes left");
        return -1;
    }
    if (!token_file_exists(in, tok_name)) {
        /* nothing to refresh: no lock file, no network */
        rc = need_login(in, err,
                        "no SSO token for %s in ~/.aws/sso/cache and no cached role credentials "
                        "with more than 15 minutes left",
                        key);
    } else {
        rc = attempt(in, sp, cli_name, tok_name, lock_name, in->now, out, err);
    }
    if (rc <= 0)
        return rc;
    if (!in->interactive || !in->ui)
        return -1; /* err: login needed, with the hint */
    memset(&opts, 0, sizeof(opts));
    opts.browser = in->browser;
    mt_err_clear(err);
    if (mt_sso_login(sp, in->sso_cache_dir, in->sso, in->ui, &opts, err) < 0)
        return -1;
    rc = attempt(in, sp, cli_name, tok_name, lock_name, mt_clock_now(), out, err);
    return rc == 0 ? 0 : -1;
}
