/* sso_int.h - internals of sso/ shared between its files and the unit tests. */
#ifndef MT_SSO_SSO_INT_H
#define MT_SSO_SSO_INT_H

#include <cjson/cJSON.h>

#include "common/http.h"
#include "sso/sso.h"

/* The AWS CLI's refresh window for SSO tokens (tokens.py _REFRESH_WINDOW). */
#define MT_SSO_REFRESH_WINDOW 900
#define MT_SSO_DEFAULT_SCOPE "sso:account:access"
#define MT_SSO_REDIRECT_REGISTERED "http://127.0.0.1/oauth/callback"
#define MT_SSO_DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define MT_SSO_MAX_FILE ((size_t)1 << 20)

/* Wipes every string of a parsed tree, then deletes it. NULL-safe. */
void mt_sso_json_free(cJSON *root);
/* A string member that is a non-empty string without control characters, duplicated; NULL
 * otherwise (a corrupt value counts as missing) or on OOM. */
char *mt_sso_json_str(const cJSON *obj, const char *key);
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

#endif
