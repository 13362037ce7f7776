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

/* 1 if o's arg is a value list ("text|json"). */
int mt_opt_has_values(const struct mt_opt *o);
/* 1 if value is allowed for o (always for a metavariable or MT_OPT_VALUES_OPEN). */
int mt_opt_value_ok(const struct mt_opt *o, const char *value);
/* Looks up an option of cmd (or a global one) by long name (n bytes) or short letter. */
const struct mt_opt *mt_opt_long(const struct mt_cmd *cmd, const char *name, size_t n);
const struct mt_opt *mt_opt_short(const struct mt_cmd *cmd, char c);

/* The hidden entry points (complete.c, man.c): `mytools __complete CWORD WORDS...`,
 * `mytools __man PAGE`. */
int mt_complete_main(int argc, char **argv);
int mt_man_main(int argc, char **argv);

#endif
