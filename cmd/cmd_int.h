/* cmd_int.h - internals shared by the files of cmd/ (parser, help, dispatch). */
#ifndef MT_CMD_INT_H
#define MT_CMD_INT_H

#include "cmd/cmd.h"

extern const struct mt_opt mt_global_opts[];

/* Parses argv (after the command words) into ctx->args and the global fields of ctx.
 * Returns 0, or -1 with ctx->err (MT_E_USAGE). */
int mt_parse_args(struct mt_ctx *ctx, int argc, char **argv);
void mt_args_release(struct mt_args *a);
/* Prints the usage text of cmd (or of the whole tool when cmd is NULL) to f. */
void mt_print_help(FILE *f, const struct mt_cmd *cmd);
/* Prints "mytools <path>: msg" (+ "hint: ...") for ctx->err to stderr; returns the exit code. */
int mt_report(const struct mt_ctx *ctx);
/* Finds a command by its words; *used = number of words consumed. NULL if none. */
const struct mt_cmd *mt_find_cmd(int argc, char **argv, int *used);
const struct mt_cmd *mt_find_link(const char *name);
/* 1 if some command path starts with the given words (a group such as "db"). */
int mt_is_group(int argc, char **argv);

#endif
