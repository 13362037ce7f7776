/* pick.h - interactive picking of the target database (contract 5, "Interactive picking"). */
#ifndef MT_CMD_PICK_H
#define MT_CMD_PICK_H

#include "cmd/cmd.h"
#include "config/config.h"

/* When stdin and stderr are terminals, no host was given, and the config has environments,
 * asks for a missing *env (Tab completes names and aliases) and then a missing *database (Tab
 * completes that environment's databases). The strings set are borrowed from cfg (or, for a
 * database name the config does not know, held by pick.c until exit; the resolver reports it;
 * an unknown environment is reported here, MT_E_CONFIG with the known names). Without a
 * terminal nothing is asked and the caller's usage error stands. Returns 0, or -1 with ctx->err:
 * a cancelled prompt (Ctrl-D, empty line) is MT_E_USAGE with ctx->silent set (exit 2, no output). */
int mt_pick_target(struct mt_ctx *ctx, const struct mt_config *cfg, const char **env,
                   const char **database, const char *host);

#endif
