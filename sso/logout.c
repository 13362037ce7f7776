/* logout.c - `sso logout` as `aws sso logout` does it (edge; sso-and-hashes.md section 2):
 * every token file (JSON with accessToken) in ~/.aws/sso/cache is revoked at the portal (when it
 * names a region) and deleted; every ~/.aws/cli/cache/ *.json with "ProviderType": "sso" is
 * deleted. Client registrations stay. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "sso/sso_int.h"

static int is_regular(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Deletes each regular file in dir (ending in suffix, if given) whose contents `doomed` accepts;
 * counts deletions. A missing dir is fine; unreadable or corrupt files are left alone. */
static int delete_matching(const char *dir, const char *suffix,
                           int (*doomed)(const struct mt_buf *body, void *ud), void *ud,
                           int *count, struct mt_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;

    if (!d) {
        if (errno == ENOENT)
            return 0;
        return mt_err_sys(err, MT_E_IO, errno, "cannot read '%s'", dir);
    }
    while (rc == 0 && (de = readdir(d))) {
        struct mt_buf body = MT_BUF_INIT_SECRET;
        struct mt_err e = MT_ERR_INIT;
        char *path;

        if (de->d_name[0] == '.' || (suffix && !ends_with(de->d_name, suffix)))
            continue;
        path = mt_path_join(dir, de->d_name);
        if (!path) {
            rc = mt_err_set(err, MT_E_NOMEM, "out of memory");
            break;
        }
        if (is_regular(path) && mt_file_read(path, MT_SSO_MAX_FILE, &body, &e) == 0 &&
            doomed(&body, ud)) {
            if (unlink(path) == 0)
                (*count)++;
            else if (errno != ENOENT)
                rc = mt_err_sys(err, MT_E_IO, errno, "cannot delete '%s'", path);
        }
        free(path);
        mt_buf_release(&body);
    }
    closedir(d);
    return rc;
}

/* A token file (JSON with accessToken): revoked at the portal first when it names a region. */
static int token_doomed(const struct mt_buf *body, void *ud)
{
    const struct mt_sso_net *net = ud;
    struct mt_sso_token t = MT_SSO_TOKEN_INIT;
    struct mt_err e = MT_ERR_INIT;
    int yes = mt_sso_token_parse(body->p, body->len, &t, &e) == 0 && t.access_token;

    if (yes && t.region && net && mt_sso_portal_logout(net, t.region, t.access_token, &e) < 0 &&
        net->debug)
        net->debug(net->ud, "sso: portal logout failed (ignored)");
    mt_sso_token_release(&t);
    return yes;
}

/* Role credentials the AWS CLI cached for SSO: "ProviderType": "sso". */
static int creds_doomed(const struct mt_buf *body, void *ud)
{
    cJSON *root = cJSON_ParseWithLength(body->p, body->len);
    const cJSON *pt = root ? cJSON_GetObjectItemCaseSensitive(root, "ProviderType") : NULL;
    int yes = cJSON_IsString(pt) && !strcmp(pt->valuestring, "sso");
    (void)ud;
    mt_json_delete_wiped(root);
    return yes;
}

int mt_sso_logout(const char *sso_cache_dir, const char *cli_cache_dir,
                  const struct mt_sso_net *net, int *tokens, int *creds, struct mt_err *err)
{
    *tokens = *creds = 0;
    if (delete_matching(sso_cache_dir, NULL, token_doomed, (void *)net, tokens, err) < 0)
        return -1;
    return delete_matching(cli_cache_dir, ".json", creds_doomed, NULL, creds, err);
}
