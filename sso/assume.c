/* assume.c - role_arn with source_profile or credential_source (aws-wire.md 3.6, 3.8, 10.1):
 * the source credentials (a source_profile chain of any depth through chain.c, or Environment /
 * Ec2InstanceMetadata / EcsContainer), then STS AssumeRole signed with them, with
 * role_session_name, external_id, duration_seconds and mfa_serial (the code comes from the
 * caller's callback). Results are cached in ~/.aws/cli/cache under the AWS CLI's file name and
 * format, reused while more than 15 minutes remain, so `aws` and mytools share them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "config/aws_ini.h"
#include "common/timeutil.h"
#include "sso/sso_int.h"
#include "sso/sts.h"

int mt_assume_cache_name(const char *role_arn, const char *session_name, const char *external_id,
                         const char *serial, long duration, char out[46])
{
    struct mt_buf b = MT_BUF_INIT;
    int rc = -1, first = 1;

    /* json.dumps(args, sort_keys=True): keys in order, default separators ", " and ": " */
    if (mt_buf_addc(&b, '{') < 0)
        goto out;
    if (duration > 0) {
        if (mt_buf_addf(&b, "\"DurationSeconds\": %ld", duration) < 0)
            goto out;
        first = 0;
    }
#define KV(k, v)                                                                                  \
    if (v) {                                                                                      \
        if (mt_buf_adds(&b, first ? "\"" k "\": " : ", \"" k "\": ") < 0 ||                      \
            mt_pyjson_string(&b, v) < 0)                                                          \
            goto out;                                                                             \
        first = 0;                                                                                \
    }
    KV("ExternalId", external_id)
    KV("RoleArn", role_arn)
    KV("RoleSessionName", session_name)
    KV("SerialNumber", serial)
#undef KV
    if (mt_buf_addc(&b, '}') < 0)
        goto out;
    rc = mt_sso_sha1_name(b.p, b.len, ".json", out);
out:
    mt_buf_release(&b);
    return rc;
}

int mt_assume_cache_render(const struct mt_creds *c, const char *arn, const char *role_id,
                           struct mt_buf *out)
{
    char exp[21];
    mt_time_format_iso8601(c->expiration, exp);
    if (mt_buf_adds(out, "{\"Credentials\": {\"AccessKeyId\": ") < 0 ||
        mt_pyjson_string(out, c->access_key_id) < 0 ||
        mt_buf_adds(out, ", \"SecretAccessKey\": ") < 0 ||
        mt_pyjson_string(out, c->secret_access_key) < 0 ||
        mt_buf_adds(out, ", \"SessionToken\": ") < 0 ||
        mt_pyjson_string(out, c->session_token ? c->session_token : "") < 0 ||
        mt_buf_addf(out, ", \"Expiration\": \"%s\"}", exp) < 0)
        return -1;
    if (mt_buf_adds(out, ", \"AssumedRoleUser\": {\"AssumedRoleId\": ") < 0 ||
        mt_pyjson_string(out, role_id ? role_id : "") < 0 || mt_buf_adds(out, ", \"Arn\": ") < 0 ||
        mt_pyjson_string(out, arn ? arn : "") < 0 ||
        mt_buf_adds(out, "}, \"ResponseMetadata\": {}}") < 0)
        return -1;
    return 0;
}

static void hhmm(time_t t, char out[8])
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 8, "%H:%M", &tm);
}

int mt_assume_cache_hit(const struct mt_creds_in *in, const char *name, struct mt_creds *out)
{
    struct mt_buf body = MT_BUF_INIT_SECRET;
    struct mt_err ignored = MT_ERR_INIT;
    int hit = 0;

    if (in->cli_cache_dir && mt_sso_read_file(in->cli_cache_dir, name, &body, &ignored) == 0 &&
        mt_sso_parse_cli_cache(body.p, body.len, out, &ignored) == 0) {
        if (out->expiration - in->now > MT_SSO_EXPIRY_WINDOW && out->session_token)
            hit = 1;
        else
            mt_creds_release(out);
    }
    mt_buf_release(&body);
    return hit;
}

void mt_assume_cache_store(const struct mt_creds_in *in, const char *name,
                           const struct mt_creds *c, const struct mt_sts_user *u)
{
    struct mt_buf body = MT_BUF_INIT_SECRET;
    struct mt_err werr = MT_ERR_INIT;

    if (!in->cli_cache_dir)
        return;
    if (mt_assume_cache_render(c, u->arn, u->id, &body) < 0 ||
        mt_sso_write_file(in->cli_cache_dir, name, body.p, body.len, &werr) < 0) {
        if (in->sso && in->sso->debug) {
            char line[700];
            snprintf(line, sizeof(line), "credentials: could not cache the assumed role: %s",
                     werr.msg[0] ? werr.msg : "out of memory");
            in->sso->debug(in->sso->ud, line);
        }
    }
    mt_buf_release(&body);
}

/* The credentials of credential_source. */
static int from_source(struct mt_chain *ch, const char *profile, const char *src, const char *where,
                       struct mt_creds *out, struct mt_err *err)
{
    int found = 0, rc;

    if (!strcasecmp(src, "Environment")) {
        rc = mt_env_creds(ch, out, &found, err);
    } else if (!strcasecmp(src, "Ec2InstanceMetadata")) {
        rc = mt_imds_creds(ch, out, &found, err);
    } else if (!strcasecmp(src, "EcsContainer")) {
        rc = mt_container_creds(ch, out, &found, err);
    } else {
        return mt_err_set(err, MT_E_CONFIG,
                          "%s: credential_source '%s' of profile '%s' is not one of Environment, "
                          "Ec2InstanceMetadata, EcsContainer", where, src, profile);
    }
    if (rc < 0)
        return -1;
    if (!found) {
        mt_err_set(err, MT_E_AUTH, "profile '%s': credential_source %s supplied no credentials",
                   profile, src);
        return mt_err_hint(err, "%s", !strcasecmp(src, "Environment")
                                          ? "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                                          : "run it where that credential service is available");
    }
    return 0;
}

int mt_assume_role_creds(struct mt_chain *ch, const char *profile, struct mt_creds *out,
                         struct mt_err *err)
{
    const struct mt_creds_in *in = ch->in;
    const char *path = NULL, *spath = NULL;
    int line = 0, sline = 0;
    const char *role_arn = mt_chain_get(ch, profile, "role_arn", &path, &line);
    const char *sprof = mt_chain_get(ch, profile, "source_profile", &spath, &sline);
    const char *csrc = mt_chain_get(ch, profile, "credential_source", NULL, NULL);
    const char *session = mt_chain_get(ch, profile, "role_session_name", NULL, NULL);
    const char *ext = mt_chain_get(ch, profile, "external_id", NULL, NULL);
    const char *serial = mt_chain_get(ch, profile, "mfa_serial", NULL, NULL);
    const char *dur = mt_chain_get(ch, profile, "duration_seconds", NULL, NULL);
    struct mt_creds src = MT_CREDS_INIT;
    struct mt_buf code = MT_BUF_INIT_SECRET;
    struct mt_sts_assume_in ai;
    struct mt_sts_user user;
    char where[600], name[46], gen[64], until[8], via[320];
    long duration = 0;
    int rc = -1;

    snprintf(where, sizeof(where), "%s:%d", path, line);
    if (sprof && csrc)
        return mt_err_set(err, MT_E_CONFIG,
                          "%s: profile '%s' has both source_profile and credential_source", where,
                          profile);
    if (!sprof && !csrc)
        return mt_err_set(err, MT_E_CONFIG,
                          "%s: profile '%s' has role_arn but neither source_profile nor "
                          "credential_source", where, profile);
    if (dur) {
        char *end;
        duration = strtol(dur, &end, 10);
        if (*end || duration < 900 || duration > 43200)
            return mt_err_set(err, MT_E_CONFIG,
                              "%s: duration_seconds of profile '%s' must be a number of seconds "
                              "from 900 to 43200", where, profile);
    }
    if (mt_assume_cache_name(role_arn, session, ext, serial, duration, name) < 0)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    if (sprof)
        snprintf(via, sizeof(via), "source_profile %s", sprof);
    else
        snprintf(via, sizeof(via), "credential_source %s", csrc);
    if (mt_assume_cache_hit(in, name, out)) {
        hhmm(out->expiration, until);
        out->source = "assume-role (AWS CLI cache)";
        mt_creds_detail(out, "assume-role %s via %s (cached until %s)", profile, via, until);
        return 0;
    }

    /* the source credentials */
    if (sprof) {
        if (!strcmp(sprof, profile) && !mt_chain_get(ch, profile, "aws_access_key_id", NULL, NULL))
            return mt_err_set(err, MT_E_CONFIG,
                              "%s:%d: source_profile cycle: profile '%s' names itself without "
                              "static keys", spath, sline, profile);
        if (!strcmp(sprof, profile)) {
            int found = 0;
            if (mt_static_creds(ch, profile, 1, &src, &found, err) < 0 ||
                (!found && mt_static_creds(ch, profile, 0, &src, &found, err) < 0))
                goto out;
        } else {
            int r = mt_chain_profile(ch, sprof, 1, &src, err);
            if (r < 0)
                goto out;
            if (r > 0) {
                if ((!in->config || !mt_ini_profile(in->config, sprof)) &&
                    (!in->credentials || !mt_ini_profile(in->credentials, sprof)))
                    mt_err_set(err, MT_E_CONFIG,
                               "%s:%d: source_profile '%s' of profile '%s' does not exist", spath,
                               sline, sprof, profile);
                else
                    mt_err_set(err, MT_E_AUTH,
                               "source_profile '%s' of profile '%s' has no credentials", sprof,
                               profile);
                goto out;
            }
        }
    } else if (from_source(ch, profile, csrc, where, &src, err) < 0) {
        goto out;
    }

    memset(&ai, 0, sizeof(ai));
    ai.role_arn = role_arn;
    if (!session) {
        snprintf(gen, sizeof(gen), "mytools-session-%lld", (long long)in->now);
        ai.session_name = gen;
    } else {
        ai.session_name = session;
    }
    ai.external_id = ext;
    ai.serial_number = serial;
    ai.duration_seconds = duration;
    if (serial) {
        if (!in->mfa_code) {
            mt_err_set(err, MT_E_AUTH,
                       "profile '%s' needs an MFA code for %s and there is no terminal to ask for "
                       "it", profile, serial);
            mt_err_hint(err, "run the command once on a terminal: the role credentials are then "
                             "cached in ~/.aws/cli/cache for later runs");
            goto out;
        }
        if (in->mfa_code(in->mfa_ud, profile, serial, &code, err) < 0)
            goto out;
        ai.token_code = mt_buf_str(&code);
    }
    if (!in->sso) {
        mt_err_set(err, MT_E_INTERNAL, "no network access for STS");
        goto out;
    }
    if (mt_sts_assume_role(in->sso, in->sts_region, &src, &ai, out, &user, err) < 0) {
        mt_err_prefix(err, "profile '%s'", profile);
        goto out;
    }
    mt_assume_cache_store(in, name, out, &user);
    hhmm(out->expiration, until);
    out->source = "assume-role";
    mt_creds_detail(out, "assume-role %s via %s (STS AssumeRole, until %s)", profile, via, until);
    rc = 0;
out:
    mt_creds_release(&src);
    mt_buf_release(&code);
    return rc;
}
