/* cmd.h - the command table: one descriptor per applet drives dispatch, --help, completion,
 * man pages and --install links. Only cmd/ reads argv, prints, or decides exit codes. */
#ifndef MT_CMD_CMD_H
#define MT_CMD_CMD_H

#include <stdio.h>

#include "common/err.h"

/* Option flags */
#define MT_OPT_REPEAT 0x01       /* may be given several times; all values kept */
#define MT_OPT_COMPLETE_ENV 0x02 /* completion offers environment names */
#define MT_OPT_COMPLETE_DB 0x04  /* completion offers database names */
#define MT_OPT_COMPLETE_PROFILE 0x08
#define MT_OPT_HIDDEN 0x10
#define MT_OPT_VALUES_OPEN 0x20 /* arg lists values for completion, others are accepted too */

struct mt_opt {
    int id;                /* > 0, unique within the command; globals use MT_GOPT_* */
    char short_name;       /* 0 if none */
    const char *long_name; /* without "--" */
    const char *arg;       /* metavariable ("N", "FILE"), or the values "text|json" (the one
                              list: the parser accepts only these unless MT_OPT_VALUES_OPEN;
                              completion and the man pages offer them); NULL for a flag */
    const char *help;
    unsigned flags;
};
#define MT_OPT_END {0, 0, NULL, NULL, NULL, 0}

/* Global option ids, accepted by every command. */
enum {
    MT_GOPT_CONFIG = 1000,
    MT_GOPT_PROFILE,
    MT_GOPT_REGION,
    MT_GOPT_VERBOSE,
    MT_GOPT_QUIET,
    MT_GOPT_NO_COLOR,
    MT_GOPT_HELP
};

struct mt_arg_item {
    int id;
    const char *value; /* NULL for flags */
};

struct mt_args {
    struct mt_arg_item *items;
    int nitems;
    char **pos; /* positional arguments (after options or "--") */
    int npos;
};

struct mt_cmd;

/* Run-time context handed to every command. */
struct mt_ctx {
    const struct mt_cmd *cmd;
    struct mt_args args;
    const char *config_path; /* --config or MYTOOLS_CONFIG; NULL = default */
    const char *profile;     /* --profile flag only (AWS_PROFILE handled by credential code) */
    const char *region;      /* --region flag only */
    int verbose;             /* -v or MYTOOLS_DEBUG=1 */
    int quiet;
    int color;               /* colour allowed: no NO_COLOR, no --no-color, TERM not "dumb"
                                (each stream must also be a terminal: use mt_sgr) */
    int silent;              /* a failure already explained to the user (a cancelled prompt):
                                exit with its code, print nothing */
    int stdin_tty, stdout_tty, stderr_tty;
    struct mt_err err; /* filled by a failing command */
};

/* A command returns 0, or -1 with ctx->err set (main prints and picks the exit code). */
typedef int (*mt_cmd_fn)(struct mt_ctx *ctx);

struct mt_cmd {
    const char *path;            /* "db token" */
    const char *link;            /* basename that runs it via --install links, or NULL */
    const char *summary;         /* one line, lowercase, no period */
    const char *const *usage;    /* synopsis lines without "usage: " and without the path */
    const struct mt_opt *opts;   /* terminated by MT_OPT_END */
    mt_cmd_fn run;
    const char *description;     /* paragraph(s) for --help and the man page; may be NULL */
};

/* Last value of option id, or NULL (flags give "" when present). */
const char *mt_args_get(const struct mt_args *a, int id);
int mt_args_has(const struct mt_args *a, int id);
/* Number of times id was given; mt_args_nth returns the i-th value. */
int mt_args_count(const struct mt_args *a, int id);
const char *mt_args_nth(const struct mt_args *a, int id, int i);

/* Diagnostics to stderr prefixed "mytools <path>: " (suppressed by -q for mt_info/mt_warn). */
void mt_warn(const struct mt_ctx *ctx, const char *fmt, ...) MT_PRINTF(2, 3);
void mt_info(const struct mt_ctx *ctx, const char *fmt, ...) MT_PRINTF(2, 3);
/* -v diagnostics: never pass a secret. */
void mt_debug(const struct mt_ctx *ctx, const char *fmt, ...) MT_PRINTF(2, 3);

/* Colour (contract 2): the SGR escape for c when colour is allowed and the stream f is a
 * terminal, else "". Pair every colour with MT_C_RESET:
 *   printf("%sexpires in 3 min%s\n", mt_sgr(ctx, stdout, MT_C_WARN), mt_sgr(ctx, stdout, MT_C_RESET)); */
enum mt_color { MT_C_RESET, MT_C_ERROR, MT_C_WARN, MT_C_OK, MT_C_BOLD, MT_C_DIM };
const char *mt_sgr(const struct mt_ctx *ctx, FILE *f, enum mt_color c);

/* For commands that need environments (db list, config check): when cfg has none, sets
 * ctx->err (MT_E_CONFIG: "no config file: 'PATH' does not exist" or "'PATH' defines no
 * environments", with a hint naming 'mytools config init') and returns -1; else 0.
 * (cmd_config.c) */
struct mt_config;
int mt_config_require(struct mt_ctx *ctx, const struct mt_config *cfg);

/* The table (cmd/commands.c). */
extern const struct mt_cmd *const mt_commands[];

#endif
