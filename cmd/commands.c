/* commands.c - THE command table: dispatch, --help, --list, --install, completion and man pages
 * all read it. Keep it in the order help should show. */
#include "cmd/cmd.h"

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
