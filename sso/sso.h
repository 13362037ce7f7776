/* sso.h - AWS credentials for mytools: the credential chain (environment, shared files, AWS CLI
 * SSO caches) and the AWS CLI-compatible cache formats of IAM Identity Center.
 *
 * Pure parts (cache names, JSON parsing, profile validation) take their inputs in structs;
 * creds.c is the edge that reads the cache files. */
#ifndef MT_SSO_SSO_H
#define MT_SSO_SSO_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"

struct mt_ini;
struct mt_ini_section;

/* Credentials; every string owned and wiped on release. expiration 0 = does not expire. */
struct mt_creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL if none */
    char *account_id;    /* NULL if unknown */
    time_t expiration;
    const char *source;  /* static string: "environment", "credentials file", ... */
};
#define MT_CREDS_INIT {0}
void mt_creds_release(struct mt_creds *c);

/* The AWS CLI refuses cached role credentials with less than this left (and so do we). */
#define MT_SSO_EXPIRY_WINDOW 900

/* An SSO profile's settings after merging its [sso-session] (sso-and-hashes.md section 1). */
struct mt_sso_profile {
    char *profile;
    char *session_name; /* NULL for legacy profiles */
    char *start_url;
    char *region;
    char *account_id;
    char *role_name;
    char *scopes; /* sso_registration_scopes as configured, or NULL */
};
void mt_sso_profile_release(struct mt_sso_profile *p);
/* 1 if the profile section uses SSO credentials (has sso_role_name or sso_account_id). */
int mt_sso_profile_is_sso(const struct mt_ini_section *prof);
/* Fills out from the profile (and its sso-session in cfg). MT_E_CONFIG errors use the AWS CLI's
 * wording (missing keys, unknown session, inconsistent values). */
int mt_sso_profile_load(const struct mt_ini *cfg, const char *profile,
                        const struct mt_ini_section *prof, const char *cfg_path,
                        struct mt_sso_profile *out, struct mt_err *err);

/* Appends s as Python's json.dumps (ensure_ascii) would write it, quotes included. */
int mt_pyjson_string(struct mt_buf *out, const char *s);
/* "<40 hex>.json" names (41+5 bytes). Token cache: sha1(session name or start URL). */
int mt_sso_token_cache_name(const struct mt_sso_profile *p, char out[46]);
/* Role credentials cache (~/.aws/cli/cache): sha1 of the sorted compact JSON of
 * {accountId, roleName, sessionName|startUrl}. */
int mt_sso_cli_cache_name(const struct mt_sso_profile *p, char out[46]);

/* Parses an AWS CLI ~/.aws/cli/cache file (json NUL-terminated at len) ({"ProviderType": ..., "Credentials": {...}}).
 * Tolerant of key order, whitespace, extra keys; MT_E_CONFIG-free: returns -1 with MT_E_IO for
 * anything unusable (the caller treats the cache as absent). */
int mt_sso_parse_cli_cache(const char *json, size_t len, struct mt_creds *out, struct mt_err *err);
/* Renders the AWS CLI's own format (one line, Python separators) into a secret buffer. */
int mt_sso_render_cli_cache(const struct mt_creds *c, struct mt_buf *out);

/* The credential chain, first slice (contract section 4). */
struct mt_creds_in {
    const char *profile;     /* resolved profile name (never NULL) */
    int profile_chosen;      /* --profile or the config chose it: environment keys are ignored */
    const struct mt_ini *config;
    const struct mt_ini *credentials;
    const char *config_path, *credentials_path; /* for messages */
    const char *env_access_key_id, *env_secret_access_key, *env_session_token, *env_expiration;
    const char *cli_cache_dir; /* ~/.aws/cli/cache */
    time_t now;
};
int mt_creds_resolve(const struct mt_creds_in *in, struct mt_creds *out, struct mt_err *err);

#endif
