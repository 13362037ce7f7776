/* chain.c - THE credential chain of mytools: the one place that decides the order of the
 * providers (contract section 4; botocore's order, aws-wire.md 3.2):
 *   1. environment keys (env.c) - only when neither --profile nor the mytools config chose the
 *      profile;
 *   2. the profile: role_arn without web_identity_token_file (assume.c), web identity with the
 *      environment overriding the profile key by key (webid.c), SSO (refresh.c), static keys in
 *      ~/.aws/credentials (static.c), credential_process (process.c), static keys in
 *      ~/.aws/config (static.c);
 *   3. container credentials (container.c), when AWS_CONTAINER_CREDENTIALS_* is set;
 *   4. EC2 instance metadata (imds.c), unless AWS_EC2_METADATA_DISABLED.
 * A provider that is configured but fails ends the walk with its error (as in botocore); only an
 * unconfigured one lets the next one try. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "config/aws_ini.h"
#include "sso/sso_int.h"

static const char *blank_is_null(const char *s)
{
    const char *p;
    if (!s)
        return NULL;
    for (p = s; *p == ' ' || *p == '\t'; p++)
        ;
    return *p ? s : NULL;
}

const char *mt_chain_env(const struct mt_chain *ch, const char *name)
{
    return ch->in->getenv ? blank_is_null(ch->in->getenv(name)) : NULL;
}

const char *mt_chain_get(const struct mt_chain *ch, const char *profile, const char *key,
                         const char **path, int *line)
{
    const struct mt_creds_in *in = ch->in;
    const struct mt_ini_section *s;
    const char *v;

    s = in->credentials ? mt_ini_profile(in->credentials, profile) : NULL;
    if (s && (v = blank_is_null(mt_ini_get(s, key)))) {
        if (path)
            *path = in->credentials_path;
        if (line)
            *line = mt_ini_key_line(s, key);
        return v;
    }
    s = in->config ? mt_ini_profile(in->config, profile) : NULL;
    if (s && (v = blank_is_null(mt_ini_get(s, key)))) {
        if (path)
            *path = in->config_path;
        if (line)
            *line = mt_ini_key_line(s, key);
        return v;
    }
    return NULL;
}

void mt_creds_detail(struct mt_creds *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
}

int mt_creds_dup(struct mt_creds *out, const char *akid, const char *secret, const char *token,
                 const char *source, struct mt_err *err)
{
    struct mt_creds c = MT_CREDS_INIT;
    c.access_key_id = strdup(akid);
    c.secret_access_key = strdup(secret);
    c.session_token = token ? strdup(token) : NULL;
    c.source = source;
    if (!c.access_key_id || !c.secret_access_key || (token && !c.session_token)) {
        mt_creds_release(&c);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    *out = c;
    return 0;
}

static int bad_chars(const char *s, int akid)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return 1;
        if (akid && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return 1;
    }
    return 0;
}

int mt_creds_check(const struct mt_creds *c, const char *where_akid, const char *where_secret,
                   const char *where_token, struct mt_err *err)
{
    /* the value itself is never part of the message: it may be a pasted secret key */
    if (strlen(c->access_key_id) > 128 || bad_chars(c->access_key_id, 1))
        return mt_err_set(err, MT_E_CONFIG,
                          "%s: not a valid AWS access key id (expected letters and digits; the "
                          "value is not shown)", where_akid);
    if (bad_chars(c->secret_access_key, 0))
        return mt_err_set(err, MT_E_CONFIG,
                          "%s: the AWS secret access key contains a control character", where_secret);
    if (c->session_token && bad_chars(c->session_token, 0))
        return mt_err_set(err, MT_E_CONFIG,
                          "%s: the AWS session token contains a control character", where_token);
    return 0;
}

static int in_stack(const struct mt_chain *ch, const char *profile)
{
    int i;
    for (i = 0; i < ch->depth; i++)
        if (!strcmp(ch->stack[i], profile))
            return 1;
    return 0;
}

static int has_static(const struct mt_chain *ch, const char *profile)
{
    return mt_chain_get(ch, profile, "aws_access_key_id", NULL, NULL) &&
           mt_chain_get(ch, profile, "aws_secret_access_key", NULL, NULL);
}

int mt_chain_profile(struct mt_chain *ch, const char *profile, int as_source, struct mt_creds *out,
                     struct mt_err *err)
{
    const struct mt_creds_in *in = ch->in;
    const struct mt_ini_section *prof = in->config ? mt_ini_profile(in->config, profile) : NULL;
    const char *proc;
    int found = 0, rc;

    /* botocore: a source profile with static keys is used as static keys, even with role_arn
     * (so A -> B -> A is no loop when A has keys) */
    if (as_source && has_static(ch, profile)) {
        rc = mt_static_creds(ch, profile, 1, out, &found, err);
        if (rc == 0 && !found)
            rc = mt_static_creds(ch, profile, 0, out, &found, err);
        return rc;
    }
    if (in_stack(ch, profile)) {
        char cyc[512];
        size_t used = 0;
        int i;
        cyc[0] = '\0';
        for (i = 0; i < ch->depth; i++) {
            int w = snprintf(cyc + used, sizeof(cyc) - used, "%s -> ", ch->stack[i]);
            if (w < 0 || (size_t)w >= sizeof(cyc) - used)
                break;
            used += (size_t)w;
        }
        snprintf(cyc + used, sizeof(cyc) - used, "%s", profile);
        return mt_err_set(err, MT_E_CONFIG, "%s: source_profile cycle: %s", in->config_path, cyc);
    }
    if (ch->depth >= (int)(sizeof(ch->stack) / sizeof(ch->stack[0])))
        return mt_err_set(err, MT_E_CONFIG, "%s: source_profile chain from '%s' is too long",
                          in->config_path, ch->stack[0]);
    ch->stack[ch->depth++] = profile;

    if (mt_chain_get(ch, profile, "role_arn", NULL, NULL) &&
        !mt_chain_get(ch, profile, "web_identity_token_file", NULL, NULL)) {
        rc = mt_assume_role_creds(ch, profile, out, err);
        goto done;
    }
    if ((rc = mt_webid_creds(ch, profile, !as_source, out, &found, err)) < 0 || found)
        goto done;
    if (mt_sso_profile_is_sso(prof)) {
        struct mt_sso_profile sp;
        memset(&sp, 0, sizeof(sp));
        rc = mt_sso_profile_load(in->config, profile, prof, in->config_path, &sp, err);
        if (rc == 0) {
            struct mt_creds_in sub = *in;
            sub.profile = profile;
            rc = mt_sso_role_creds(&sub, &sp, out, err);
            if (rc == 0)
                mt_creds_detail(out, "sso profile %s (%s)", profile, out->source);
        }
        mt_sso_profile_release(&sp);
        goto done;
    }
    if ((rc = mt_static_creds(ch, profile, 1, out, &found, err)) < 0 || found)
        goto done;
    /* as botocore's merged profile: the credentials file's value, else the config's */
    if ((proc = mt_chain_get(ch, profile, "credential_process", NULL, NULL))) {
        rc = mt_process_creds(ch, profile, proc, out, err);
        goto done;
    }
    if ((rc = mt_static_creds(ch, profile, 0, out, &found, err)) < 0 || found)
        goto done;
    rc = 1; /* nothing configured */
done:
    ch->depth--;
    return rc;
}

static int none_found(const struct mt_creds_in *in, struct mt_err *err)
{
    mt_err_set(err, MT_E_AUTH, "no AWS credentials found for profile '%s'", in->profile);
    return mt_err_hint(err, "configure the profile in ~/.aws/config (e.g. 'aws configure sso'), "
                            "or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
}

int mt_creds_resolve(const struct mt_creds_in *in, struct mt_creds *out, struct mt_err *err)
{
    struct mt_chain ch;
    int found = 0, rc;

    memset(&ch, 0, sizeof(ch));
    ch.in = in;
    memset(out, 0, sizeof(*out));
    if (!in->profile_chosen) {
        if (mt_env_creds(&ch, out, &found, err) < 0)
            return -1;
        if (found)
            return 0;
    }
    if ((!in->config || !mt_ini_profile(in->config, in->profile)) &&
        (!in->credentials || !mt_ini_profile(in->credentials, in->profile)) &&
        strcmp(in->profile, "default") != 0)
        return mt_err_set(err, MT_E_CONFIG, "profile '%s' not found in '%s' or '%s'", in->profile,
                          in->config_path, in->credentials_path);
    rc = mt_chain_profile(&ch, in->profile, 0, out, err);
    if (rc <= 0)
        return rc;
    if (mt_container_creds(&ch, out, &found, err) < 0)
        return -1;
    if (found)
        return 0;
    if (mt_imds_creds(&ch, out, &found, err) < 0)
        return -1;
    if (found)
        return 0;
    return none_found(in, err);
}
