/* sso.h - sso/ is the CREDENTIALS folder of mytools: every AWS credential provider, the one
 * credential chain, the STS client, and the AWS CLI-compatible caches (IAM Identity Center tokens,
 * role credentials in ~/.aws/cli/cache).
 *
 * One file per provider, one place for the order:
 *   chain.c      the order (contract section 4, aws-wire.md 3.2) and the profile walk
 *                (source_profile chains, cycle detection)
 *   env.c        environment keys (blank values count as unset)
 *   static.c     static keys in ~/.aws/credentials and ~/.aws/config
 *   assume.c     role_arn with source_profile / credential_source (STS AssumeRole, CLI cache)
 *   webid.c      web identity (profile web_identity_token_file, AWS_WEB_IDENTITY_TOKEN_FILE)
 *   refresh.c    SSO (sso_session / legacy sso_*: CLI cache, token refresh, GetRoleCredentials)
 *   process.c    credential_process
 *   container.c  ECS / EKS Pod Identity container credentials
 *   imds.c       EC2 instance metadata (IMDSv2)
 *   sts.c        the STS client (sts.h)
 * Pure parts (cache names, JSON/XML parsing, profile validation) take their inputs in structs.
 * Nothing here reads the terminal: prompts (MFA, login) come in as callbacks from cmd/. */
#ifndef MT_SSO_SSO_H
#define MT_SSO_SSO_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "sigv4/sigv4.h"

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
    char detail[256];    /* for -v: which provider and from where ("assume-role prod via
                            source_profile base (cached until 14:02)"); never a secret */
};
#define MT_CREDS_INIT {0}
void mt_creds_release(struct mt_creds *c);
/* The one way credentials reach SigV4: the borrowed view sigv4/ signs with (valid while c is). */
static inline struct mt_sigv4_creds mt_creds_sigv4(const struct mt_creds *c)
{
    struct mt_sigv4_creds v = {c->access_key_id, c->secret_access_key, c->session_token};
    return v;
}

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

/* ---- IAM Identity Center: token and registration caches (~/.aws/sso/cache), pure ---------- */

/* A token cache file. Every string owned; access_token, client_secret, refresh_token are secret
 * (wiped on release). Times are 0 when the key is absent or unparsable. */
struct mt_sso_token {
    char *start_url;
    char *region;
    char *access_token;
    time_t expires_at;
    char *client_id;
    char *client_secret;
    time_t registration_expires_at;
    char *refresh_token;
};
#define MT_SSO_TOKEN_INIT {0}
void mt_sso_token_release(struct mt_sso_token *t);
/* Tolerant reader (sso-and-hashes.md section 2): any key order, pretty or compact, extra keys,
 * fractional seconds and numeric offsets; trailing bytes after the first complete JSON object
 * (an interrupted in-place rewrite by the AWS CLI) are ignored, and an object that only lacks its
 * final '}' is salvaged. Keys of the wrong type count as absent. Returns 0 when a JSON object was
 * read (fields may still be missing: see the predicates), -1 with MT_E_IO otherwise. */
int mt_sso_token_parse(const char *data, size_t len, struct mt_sso_token *out,
                       struct mt_err *err) MT_WUR;
/* 1 if the token has an access token and an expiry that is later than now + window. */
int mt_sso_token_valid(const struct mt_sso_token *t, time_t now, long window);
/* 1 if botocore would refresh it: refreshToken, clientId, clientSecret and a registration that
 * has not expired at now. */
int mt_sso_token_can_refresh(const struct mt_sso_token *t, time_t now);
/* The AWS CLI's own format: keys startUrl, region, accessToken, expiresAt, clientId,
 * clientSecret, registrationExpiresAt, refreshToken (absent ones skipped), one line, Python
 * separators, %Y-%m-%dT%H:%M:%SZ, no trailing newline. Appends to out (use a secret buffer). */
int mt_sso_token_render(const struct mt_sso_token *t, struct mt_buf *out) MT_WUR;

/* sso_registration_scopes: comma separated, items stripped, empty items dropped. */
struct mt_sso_scopes {
    char **v;
    size_t n;
    int configured; /* 0: the key is absent (JSON null in the registration cache key) */
};
void mt_sso_scopes_release(struct mt_sso_scopes *s);
int mt_sso_scopes_parse(const char *configured, struct mt_sso_scopes *out) MT_WUR;

/* A client registration file. client_secret is secret. */
struct mt_sso_registration {
    char *client_id;
    char *client_secret;
    time_t expires_at;
    int auth_code; /* grantTypes contains "authorization_code" (PKCE registration) */
};
void mt_sso_registration_release(struct mt_sso_registration *r);
/* Registration cache name: sha1 of json.dumps({region, scopes, session_name, startUrl, tool:
 * "botocore"}, sort_keys=True) (configured scopes or null; session_name null for legacy). */
int mt_sso_registration_cache_name(const struct mt_sso_profile *p, char out[46]);
/* Same tolerance as the token reader. -1 with MT_E_IO when clientId/clientSecret/expiresAt are
 * missing. */
int mt_sso_registration_parse(const char *data, size_t len, struct mt_sso_registration *out,
                              struct mt_err *err) MT_WUR;
/* Reused if more than 15 minutes remain and its kind matches the flow (PKCE needs
 * authorization_code in grantTypes, the device flow needs grantTypes absent). */
int mt_sso_registration_reusable(const struct mt_sso_registration *r, int pkce, time_t now);
/* The AWS CLI's file: {"clientId", "clientSecret", "expiresAt", "scopes"?, "grantTypes"?}.
 * scopes are written when s is non-NULL; grantTypes for PKCE. */
int mt_sso_registration_render(const struct mt_sso_registration *r,
                               const struct mt_sso_scopes *s, int pkce, struct mt_buf *out) MT_WUR;

/* PKCE (RFC 7636 S256): base64url(SHA-256(verifier)) without padding into out (44 bytes). */
void mt_sso_pkce_challenge(const char *verifier, char out[44]);
/* application/x-www-form-urlencoded value as Python's urlencode (quote_plus): unreserved
 * A-Z a-z 0-9 _ . - ~ kept, space as '+', everything else %XX. Appends. */
int mt_sso_form_encode(struct mt_buf *out, const char *s) MT_WUR;

/* ---- IAM Identity Center: network, login, lock (edges) -------------------------------------- */

struct mt_http;

/* How sso/ reaches the services without knowing cmd/: an HTTP handle (shared, connection reuse)
 * and base URLs for MT_SVC_SSO / MT_SVC_SSO_OIDC in a region. */
struct mt_sso_net {
    struct mt_http *(*http)(void *ud, struct mt_err *err);
    /* caller frees the result; NULL with err set */
    char *(*endpoint)(void *ud, const char *service, const char *region, struct mt_err *err);
    const char *ca_bundle; /* NULL: the system store */
    void (*debug)(void *ud, const char *line); /* -v lines (never a secret); may be NULL */
    void *ud;
    /* Seconds to add to the local clock when signing (server Date minus local time), learned
     * from a clock-skew rejection and shared by every signer of the run; may be NULL. */
    long *clock_skew;
    void (*warn)(void *ud, const char *line);  /* warnings (never a secret); may be NULL */
};

/* Where login flows talk to the person. Never given a secret. */
struct mt_sso_ui {
    void (*out)(void *ud, const char *text); /* text as is (newlines included) */
    void *ud;
};

struct mt_sso_login_opts {
    int use_device_code; /* device flow even for sso_session profiles */
    int no_browser;      /* only print the URL */
    const char *browser; /* $BROWSER, or NULL: xdg-open, else open */
};

/* Logs in (sso-and-hashes.md section 4): PKCE authorization code for sso_session profiles,
 * device code for legacy ones or with use_device_code; registration cache reuse; writes the
 * registration and token files atomically (0600, directories 0700). p needs start_url and region
 * (session_name and scopes when set); account and role are not used. MT_E_AUTH when the
 * authorization expired or was refused, MT_E_HTTP/MT_E_AWS for service failures. */
int mt_sso_login(const struct mt_sso_profile *p, const char *sso_cache_dir,
                 const struct mt_sso_net *net, const struct mt_sso_ui *ui,
                 const struct mt_sso_login_opts *opts, struct mt_err *err) MT_WUR;

/* Loads the SSO settings `sso login` needs: a profile (sso_session or legacy sso_start_url +
 * sso_region; account and role optional) or, with session set, an [sso-session] alone. */
int mt_sso_login_config(const struct mt_ini *cfg, const char *profile, const char *session,
                        const char *cfg_path, struct mt_sso_profile *out, struct mt_err *err) MT_WUR;

/* `sso logout` (as `aws sso logout`): every file in sso_cache_dir whose JSON has accessToken is
 * deleted (portal POST /logout first, when it names a region; failures ignored); every
 * cli_cache_dir/ *.json with "ProviderType": "sso" is deleted. Registration files stay.
 * Counts go to *tokens / *creds. */
int mt_sso_logout(const char *sso_cache_dir, const char *cli_cache_dir,
                  const struct mt_sso_net *net, int *tokens, int *creds, struct mt_err *err) MT_WUR;

/* The credential chain (contract section 4). */
struct mt_creds_in {
    const char *profile;     /* resolved profile name (never NULL) */
    int profile_chosen;      /* --profile or the config chose it: environment keys are ignored */
    const struct mt_ini *config;
    const struct mt_ini *credentials;
    const char *config_path, *credentials_path; /* for messages */
    const char *cli_cache_dir; /* ~/.aws/cli/cache */
    time_t now;
    /* SSO refresh, GetRoleCredentials and login; with sso NULL only the role credentials cache
     * is used (then MT_E_AUTH with the login hint). */
    const struct mt_sso_net *sso;
    const char *sso_cache_dir; /* ~/.aws/sso/cache */
    int interactive;           /* stdin and stderr are terminals: log in when nothing else works */
    const struct mt_sso_ui *ui; /* login messages (cmd/ sends them to stderr) */
    const char *browser;        /* $BROWSER */
    /* The environment for every other variable the providers read (AWS_ROLE_ARN, container and
     * IMDS settings ...); cmd/ passes getenv. NULL: none. */
    const char *(*getenv)(const char *name);
    const char *sts_region; /* region for STS calls (NULL: the global endpoint) */
    /* MFA code for mfa_serial (cmd/ prompts on a terminal); appends the code to a secret buffer.
     * NULL: no terminal (MT_E_AUTH with a hint). */
    int (*mfa_code)(void *ud, const char *profile, const char *serial, struct mt_buf *code,
                    struct mt_err *err);
    void *mfa_ud;
    long process_timeout_ms; /* credential_process; 0: 60 s */
};
/* The chain (chain.c, botocore's order): environment keys (unless profile_chosen), the profile
 * (assume role, web identity - the AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN environment overriding
 * the profile's keys -, SSO, credentials file, credential_process, config file), container
 * credentials, IMDS. Fills out (with detail). MT_E_AUTH when nothing supplies credentials or a
 * provider is refused; MT_E_CONFIG for bad configuration. */
int mt_creds_resolve(const struct mt_creds_in *in, struct mt_creds *out, struct mt_err *err);

#endif
