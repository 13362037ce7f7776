/* profile.c - an SSO profile's settings, merged with its [sso-session] (pure). */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/endpoint.h"
#include "common/mem.h"
#include "config/aws_ini.h"
#include "sso/sso.h"

void mt_sso_profile_release(struct mt_sso_profile *p)
{
    if (!p)
        return;
    free(p->profile);
    free(p->session_name);
    free(p->start_url);
    free(p->region);
    free(p->account_id);
    free(p->role_name);
    free(p->scopes);
    memset(p, 0, sizeof(*p));
}

int mt_sso_profile_is_sso(const struct mt_ini_section *prof)
{
    return prof && (mt_ini_get(prof, "sso_role_name") || mt_ini_get(prof, "sso_account_id"));
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

int mt_sso_profile_load(const struct mt_ini *cfg, const char *profile,
                        const struct mt_ini_section *prof, const char *cfg_path,
                        struct mt_sso_profile *out, struct mt_err *err)
{
    static const char *const keys[] = {"sso_start_url", "sso_region"};
    const struct mt_ini_section *sess = NULL;
    const char *session = nonempty(mt_ini_get(prof, "sso_session"));
    const char *vals[2];
    struct mt_buf missing = MT_BUF_INIT;
    struct mt_sso_profile p;
    size_t i;
    int rc = -1;

    memset(&p, 0, sizeof(p));
    if (session) {
        sess = mt_ini_section(cfg, "sso-session", session);
        if (!sess) {
            mt_err_set(err, MT_E_CONFIG, "%s: profile '%s': the sso-session '%s' does not exist",
                       cfg_path, profile, session);
            goto out;
        }
    }
    for (i = 0; i < 2; i++) {
        const char *pv = nonempty(mt_ini_get(prof, keys[i]));
        const char *sv = sess ? nonempty(mt_ini_get(sess, keys[i])) : NULL;
        if (pv && sv && strcmp(pv, sv)) {
            mt_err_set(err, MT_E_CONFIG,
                       "%s: the value for %s is inconsistent between profile '%s' (%s) and "
                       "sso-session '%s' (%s)",
                       cfg_path, keys[i], profile, pv, session, sv);
            goto out;
        }
        vals[i] = sv ? sv : pv;
    }
    p.role_name = mt_strdup(nonempty(mt_ini_get(prof, "sso_role_name")));
    p.account_id = mt_strdup(nonempty(mt_ini_get(prof, "sso_account_id")));
    p.start_url = mt_strdup(vals[0]);
    p.region = mt_strdup(vals[1]);
    p.session_name = mt_strdup(session);
    p.profile = strdup(profile);
    if (sess)
        p.scopes = mt_strdup(nonempty(mt_ini_get(sess, "sso_registration_scopes")));
    /* the AWS CLI's order: sso_role_name, sso_account_id, sso_start_url, sso_region */
    if ((!p.role_name && mt_buf_adds(&missing, ", sso_role_name") < 0) ||
        (!p.account_id && mt_buf_adds(&missing, ", sso_account_id") < 0) ||
        (!p.start_url && mt_buf_adds(&missing, ", sso_start_url") < 0) ||
        (!p.region && mt_buf_adds(&missing, ", sso_region") < 0)) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    if (missing.len) {
        mt_err_set(err, MT_E_CONFIG,
                   "%s: profile '%s' is configured to use SSO but is missing required "
                   "configuration: %s",
                   cfg_path, profile, missing.p + 2);
        goto out;
    }
    if (!mt_endpoint_region_ok(p.region)) {
        mt_err_set(err, MT_E_CONFIG, "%s: profile '%s': invalid sso_region '%s'", cfg_path,
                   profile, p.region);
        goto out;
    }
    if (!p.profile) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    *out = p;
    memset(&p, 0, sizeof(p));
    rc = 0;
out:
    mt_buf_release(&missing);
    mt_sso_profile_release(&p);
    return rc;
}
