/* commands.c - THE command table: dispatch, --help, --list, --install, completion and man pages
 * all read it. Keep it in the order help should show. */
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_int.h"

extern const struct mt_cmd mt_cmd_db_token, mt_cmd_db_list, mt_cmd_db_connect;
extern const struct mt_cmd mt_cmd_db_doctor;
extern const struct mt_cmd mt_cmd_mkpassword;
extern const struct mt_cmd mt_cmd_kms_encrypt, mt_cmd_kms_decrypt;
extern const struct mt_cmd mt_cmd_config_path, mt_cmd_config_check, mt_cmd_config_init;
extern const struct mt_cmd mt_cmd_completion;
extern const struct mt_cmd mt_cmd_sso_login, mt_cmd_sso_logout, mt_cmd_sso_status;

const struct mt_cmd *const mt_commands[] = {
    &mt_cmd_db_token,
    &mt_cmd_db_connect,
    &mt_cmd_db_doctor,
    &mt_cmd_db_list,
    &mt_cmd_sso_login,
    &mt_cmd_sso_logout,
    &mt_cmd_sso_status,
    &mt_cmd_mkpassword,
    &mt_cmd_kms_encrypt,
    &mt_cmd_kms_decrypt,
    &mt_cmd_config_check,
    &mt_cmd_config_init,
    &mt_cmd_config_path,
    &mt_cmd_completion,
    NULL,
};

/* ---- look-ups in the table (dispatch, help, completion) ---- */

const struct mt_cmd *mt_find_link(const char *name)
{
    int i;
    for (i = 0; mt_commands[i]; i++)
        if (mt_commands[i]->link && !strcmp(mt_commands[i]->link, name))
            return mt_commands[i];
    return NULL;
}

/* Does the command path (space-separated words) equal argv[0..n)? Returns n or 0. */
static int path_match(const char *path, int argc, char **argv)
{
    int n = 0;
    const char *p = path;
    while (*p) {
        size_t wl = strcspn(p, " ");
        if (n >= argc || strlen(argv[n]) != wl || strncmp(argv[n], p, wl))
            return 0;
        n++;
        p += wl;
        while (*p == ' ')
            p++;
    }
    return n;
}

const struct mt_cmd *mt_find_cmd(int argc, char **argv, int *used)
{
    const struct mt_cmd *best = NULL;
    int i, bestn = 0;
    for (i = 0; mt_commands[i]; i++) {
        int n = path_match(mt_commands[i]->path, argc, argv);
        if (n > bestn) {
            bestn = n;
            best = mt_commands[i];
        }
    }
    *used = bestn;
    return best;
}

int mt_is_group(int argc, char **argv)
{
    int i;
    size_t l;
    if (argc < 1)
        return 0;
    l = strlen(argv[0]);
    for (i = 0; mt_commands[i]; i++)
        if (!strncmp(mt_commands[i]->path, argv[0], l) && mt_commands[i]->path[l] == ' ')
            return 1;
    return 0;
}
