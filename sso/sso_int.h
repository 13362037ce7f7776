/* sso_int.h - internals of sso/ shared between its files and the unit tests. */
#ifndef MT_SSO_SSO_INT_H
#define MT_SSO_SSO_INT_H

#include <cjson/cJSON.h>

#include "common/http.h"
#include "common/json.h" /* mt_json_delete_wiped: every parsed tree of sso/ */
#include "sso/sso.h"

/* The AWS CLI's refresh window for SSO tokens (tokens.py _REFRESH_WINDOW). */
#define MT_SSO_REFRESH_WINDOW 900
#define MT_SSO_DEFAULT_SCOPE "sso:account:access"
#define MT_SSO_REDIRECT_REGISTERED "http://127.0.0.1/oauth/callback"
#define MT_SSO_DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define MT_SSO_MAX_FILE ((size_t)1 << 20)

/* A string member that is a non-empty string without control characters, duplicated; NULL
 * otherwise (a corrupt value counts as missing) or on OOM. */
char *mt_sso_json_str(const cJSON *obj, const char *key);
/* Any non-empty string member, duplicated (control characters left for mt_creds_check to name);
 * NULL when absent, not a string or empty, or on OOM. */
char *mt_sso_json_dup(const cJSON *obj, const char *key);
/* 1 if any key or string value in the list n (and below) holds a control character: a cache
 * file with one is corrupt as a whole (CR/LF would reach an HTTP header). */
int mt_sso_json_has_ctl(const cJSON *n);
/* Parses the first JSON object of data (trailing bytes ignored, a missing final '}' salvaged).
 * NULL if there is none. */
cJSON *mt_sso_json_parse_object(const char *data, size_t len);

/* Lowercase sha1 hex of s + suffix (".json", ".lock"). out has 41 + strlen(suffix) bytes. */
int mt_sso_sha1_name(const char *s, size_t len, const char *suffix, char *out);

/* ---- services (oidc.c) ---- */

/* A token as CreateToken returns it. access_token/refresh_token secret. */
struct mt_sso_created {
    char *access_token;
    long expires_in;
    char *refresh_token; /* NULL when the response had none */
};
void mt_sso_created_release(struct mt_sso_created *c);

/* POST <oidc>/<path> with a JSON body (secret buffer). 2xx -> 0 with the response in resp;
 * otherwise -1 with the parsed AWS error (aws_type "AuthorizationPendingException", ...). */
int mt_sso_oidc_post(const struct mt_sso_net *net, const char *region, const char *path,
                     const struct mt_buf *body, struct mt_http_resp *resp, struct mt_err *err) MT_WUR;
/* CreateToken with a prepared JSON body. */
int mt_sso_create_token(const struct mt_sso_net *net, const char *region, const struct mt_buf *body,
                        struct mt_sso_created *out, struct mt_err *err) MT_WUR;
/* CreateToken(refresh_token) with the token's client; fills out. */
int mt_sso_refresh(const struct mt_sso_net *net, const char *region, const struct mt_sso_token *t,
                   struct mt_sso_created *out, struct mt_err *err) MT_WUR;
/* GetRoleCredentials: GET /federation/credentials?role_name=..&account_id=.. with the bearer
 * header. 401 keeps MT_E_AUTH with aws_type UnauthorizedException. */
int mt_sso_get_role_credentials(const struct mt_sso_net *net, const struct mt_sso_profile *p,
                                const char *access_token, struct mt_creds *out,
                                struct mt_err *err) MT_WUR;
/* Portal POST /logout. */
int mt_sso_portal_logout(const struct mt_sso_net *net, const char *region,
                         const char *access_token, struct mt_err *err) MT_WUR;

/* ---- lock.c ---- */

/* ~/.aws/sso/cache and ~/.aws/cli/cache rules: a missing directory is fine (created 0700 on
 * write); ours and open to others is tightened to 0700; another user's, or writable by others and
 * impossible to tighten, is refused (MT_E_IO, exit 1). */
int mt_sso_cache_dir_check(const char *dir, struct mt_err *err) MT_WUR;
/* Takes an exclusive flock on path (created 0600, a regular file), waiting up to timeout_ms.
 * *fd gets the descriptor for mt_sso_unlock. */
int mt_sso_lock(const char *path, long timeout_ms, int *fd, struct mt_err *err) MT_WUR;
void mt_sso_unlock(int fd);
/* Writes data to dir/name atomically, 0600, creating dir (0700) first and checking it with
 * mt_sso_cache_dir_check. */
int mt_sso_write_file(const char *dir, const char *name, const void *data, size_t len,
                      struct mt_err *err) MT_WUR;
/* Reads dir/name (bounded; a regular file, no symbolic link) into out; -1 with err (sys_errno
 * ENOENT when missing). */
int mt_sso_read_file(const char *dir, const char *name, struct mt_buf *out,
                     struct mt_err *err) MT_WUR;

/* ---- refresh.c ---- */

/* Role credentials for an SSO profile: the CLI cache while > 15 min remain, else the token
 * (refreshed when < 15 min remain), GetRoleCredentials, CLI cache written; login when
 * interactive. */
int mt_sso_role_creds(const struct mt_creds_in *in, const struct mt_sso_profile *sp,
                      struct mt_creds *out, struct mt_err *err) MT_WUR;

/* ---- the chain's providers (one file each; chain.c decides the order) ---- */

/* What a provider gets: the chain input and the profile walk so far (cycle detection). */
struct mt_chain {
    const struct mt_creds_in *in;
    const char *stack[32]; /* profiles being resolved, outermost first */
    int depth;
};
/* A value of the merged profile: the credentials file wins over the config file (botocore).
 * NULL when unset or blank. path and line (may be NULL) say where it came from. */
const char *mt_chain_get(const struct mt_chain *ch, const char *profile, const char *key,
                         const char **path, int *line);
/* An environment variable, NULL when unset or blank (only spaces/tabs). */
const char *mt_chain_env(const struct mt_chain *ch, const char *name);
/* Resolves a profile's own credentials (chain.c): as_source = reached through source_profile
 * (static keys then win over role_arn, environment web identity is not used). */
int mt_chain_profile(struct mt_chain *ch, const char *profile, int as_source, struct mt_creds *out,
                     struct mt_err *err) MT_WUR;
/* -v detail line. */
void mt_creds_detail(struct mt_creds *c, const char *fmt, ...) MT_PRINTF(2, 3);
/* Rejects values no SigV4 request can carry, naming where the value came from (never the
 * value): MT_E_CONFIG. where: "~/.aws/credentials:3" or "AWS_ACCESS_KEY_ID". */
int mt_creds_check(const struct mt_creds *c, const char *where_akid, const char *where_secret,
                   const char *where_token, struct mt_err *err) MT_WUR;
int mt_creds_dup(struct mt_creds *out, const char *akid, const char *secret, const char *token,
                 const char *source, struct mt_err *err) MT_WUR;

/* env.c: 0 with *found = 0 when neither key is set. */
int mt_env_creds(const struct mt_chain *ch, struct mt_creds *out, int *found,
                 struct mt_err *err) MT_WUR;
/* static.c: static keys of the credentials file (file = 1) or config file (file = 0). */
int mt_static_creds(const struct mt_chain *ch, const char *profile, int file, struct mt_creds *out,
                    int *found, struct mt_err *err) MT_WUR;
/* assume.c: role_arn with source_profile / credential_source. */
int mt_assume_role_creds(struct mt_chain *ch, const char *profile, struct mt_creds *out,
                         struct mt_err *err) MT_WUR;
/* The AWS CLI cache file name for AssumeRole / web identity arguments (aws-wire.md 10.1):
 * sha1 of json.dumps(args, sort_keys=True); NULL members are left out, duration 0 too. */
int mt_assume_cache_name(const char *role_arn, const char *session_name, const char *external_id,
                         const char *serial, long duration, char out[46]) MT_WUR;
/* The cache file content: {"Credentials": {...}, "AssumedRoleUser": {...}, "ResponseMetadata":
 * {}} in Python's separators. */
int mt_assume_cache_render(const struct mt_creds *c, const char *arn, const char *role_id,
                           struct mt_buf *out) MT_WUR;
/* The ~/.aws/cli/cache entry `name`: 1 with *out filled while more than 15 minutes remain. */
int mt_assume_cache_hit(const struct mt_creds_in *in, const char *name, struct mt_creds *out);
struct mt_sts_user;
/* Writes it (atomically, 0600, through mt_sso_write_file); a failure is only a -v line. */
void mt_assume_cache_store(const struct mt_creds_in *in, const char *name,
                           const struct mt_creds *c, const struct mt_sts_user *u);
/* webid.c: role_arn + web_identity_token_file of the profile, the environment overriding each
 * key (use_env). *found = 0 when not configured. */
int mt_webid_creds(struct mt_chain *ch, const char *profile, int use_env, struct mt_creds *out,
                   int *found, struct mt_err *err) MT_WUR;
/* process.c */
int mt_process_creds(const struct mt_chain *ch, const char *profile, const char *cmdline,
                     struct mt_creds *out, struct mt_err *err) MT_WUR;
/* shlex.split (POSIX mode, no comments) into a NULL-terminated argv; free with
 * mt_process_argv_free. -1 on an unterminated quote or escape. */
int mt_process_split(const char *cmdline, char ***argv) MT_WUR;
void mt_process_argv_free(char **argv);
/* Version 1 JSON (pure; fuzzed). MT_E_AUTH with a message that never contains the output. */
int mt_process_parse(const char *json, size_t len, struct mt_creds *out, struct mt_err *err) MT_WUR;
/* container.c: *found = 0 when neither URI variable is set. */
int mt_container_creds(const struct mt_chain *ch, struct mt_creds *out, int *found,
                       struct mt_err *err) MT_WUR;
/* imds.c: *found = 0 when IMDS is disabled or does not answer. */
int mt_imds_creds(const struct mt_chain *ch, struct mt_creds *out, int *found,
                  struct mt_err *err) MT_WUR;
/* Container / IMDS credential JSON (pure; fuzzed): AccessKeyId, SecretAccessKey, Token,
 * Expiration required. MT_E_AUTH naming what, never the content. */
int mt_metadata_creds_parse(const char *json, size_t len, const char *what, struct mt_creds *out,
                            struct mt_err *err) MT_WUR;

#endif
