/* static.c - static keys of a profile: aws_access_key_id, aws_secret_access_key,
 * aws_session_token (or the legacy aws_security_token) in ~/.aws/credentials or ~/.aws/config.
 * Errors name file:line, never the value. */
#include <stdio.h>
#include <string.h>

#include "config/aws_ini.h"
#include "sso/sso_int.h"

static const char *nonblank(const char *s)
{
    const char *p;
    if (!s)
        return NULL;
    for (p = s; *p == ' ' || *p == '\t'; p++)
        ;
    return *p ? s : NULL;
}

int mt_static_creds(const struct mt_chain *ch, const char *profile, int file, struct mt_creds *out,
                    int *found, struct mt_err *err)
{
    const struct mt_creds_in *in = ch->in;
    const struct mt_ini *ini = file ? in->credentials : in->config;
    const char *path = file ? in->credentials_path : in->config_path;
    const struct mt_ini_section *s = ini ? mt_ini_profile(ini, profile) : NULL;
    const char *akid, *secret, *token, *tkey = "aws_session_token";
    char wa[600], ws[600], wt[600];

    *found = 0;
    if (!s)
        return 0;
    akid = nonblank(mt_ini_get(s, "aws_access_key_id"));
    secret = nonblank(mt_ini_get(s, "aws_secret_access_key"));
    token = nonblank(mt_ini_get(s, tkey));
    if (!token && (token = nonblank(mt_ini_get(s, "aws_security_token"))))
        tkey = "aws_security_token";
    if (!akid && !secret)
        return 0;
    if (!akid || !secret)
        return mt_err_set(err, MT_E_CONFIG, "%s:%d: profile '%s' has %s but not %s", path,
                          mt_ini_line(s), profile,
                          akid ? "aws_access_key_id" : "aws_secret_access_key",
                          akid ? "aws_secret_access_key" : "aws_access_key_id");
    if (mt_creds_dup(out, akid, secret, token, file ? "credentials file" : "config file", err) < 0)
        return -1;
    snprintf(wa, sizeof(wa), "%s:%d: aws_access_key_id of profile '%s'", path,
             mt_ini_key_line(s, "aws_access_key_id"), profile);
    snprintf(ws, sizeof(ws), "%s:%d: aws_secret_access_key of profile '%s'", path,
             mt_ini_key_line(s, "aws_secret_access_key"), profile);
    snprintf(wt, sizeof(wt), "%s:%d: %s of profile '%s'", path, mt_ini_key_line(s, tkey), tkey,
             profile);
    if (mt_creds_check(out, wa, ws, wt, err) < 0) {
        mt_creds_release(out);
        return -1;
    }
    mt_creds_detail(out, "static keys of profile %s in %s", profile, path);
    *found = 1;
    return 0;
}
