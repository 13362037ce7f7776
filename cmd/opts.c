/* opts.c - one option parser and one help renderer, both driven by the command table. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_int.h"

const struct mt_opt mt_global_opts[] = {
    {MT_GOPT_CONFIG, 0, "config", "FILE", "config file (default ~/.mytools.yaml; env MYTOOLS_CONFIG)",
     0},
    {MT_GOPT_PROFILE, 0, "profile", "NAME", "AWS profile for credentials", MT_OPT_COMPLETE_PROFILE},
    {MT_GOPT_REGION, 0, "region", "NAME", "AWS region", 0},
    {MT_GOPT_VERBOSE, 'v', "verbose", NULL, "diagnostics on stderr (never a secret)", 0},
    {MT_GOPT_QUIET, 'q', "quiet", NULL, "only errors on stderr", 0},
    {MT_GOPT_NO_COLOR, 0, "no-color", NULL, "no ANSI colour (env NO_COLOR)", 0},
    {MT_GOPT_HELP, 'h', "help", NULL, "show this help", 0},
    MT_OPT_END,
};

static const struct mt_opt *find_long(const struct mt_opt *opts, const char *name, size_t n)
{
    for (; opts && opts->id; opts++)
        if (opts->long_name && strlen(opts->long_name) == n && !strncmp(opts->long_name, name, n))
            return opts;
    return NULL;
}

static const struct mt_opt *find_short(const struct mt_opt *opts, char c)
{
    for (; opts && opts->id; opts++)
        if (opts->short_name && opts->short_name == c)
            return opts;
    return NULL;
}

static const struct mt_opt *lookup_long(const struct mt_cmd *cmd, const char *name, size_t n)
{
    const struct mt_opt *o = cmd ? find_long(cmd->opts, name, n) : NULL;
    return o ? o : find_long(mt_global_opts, name, n);
}

static const struct mt_opt *lookup_short(const struct mt_cmd *cmd, char c)
{
    const struct mt_opt *o = cmd ? find_short(cmd->opts, c) : NULL;
    return o ? o : find_short(mt_global_opts, c);
}

static int push(struct mt_args *a, int id, const char *value)
{
    struct mt_arg_item *n = realloc(a->items, sizeof(*n) * (size_t)(a->nitems + 1));
    if (!n)
        return -1;
    a->items = n;
    a->items[a->nitems].id = id;
    a->items[a->nitems].value = value;
    a->nitems++;
    return 0;
}

static int usage_err(struct mt_ctx *ctx, const char *fmt, ...) MT_PRINTF(2, 3);
static int usage_err(struct mt_ctx *ctx, const char *fmt, ...)
{
    char msg[sizeof(ctx->err.msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mt_err_set(&ctx->err, MT_E_USAGE, "%s", msg);
    return mt_err_hint(&ctx->err, "see 'mytools %s --help'", ctx->cmd ? ctx->cmd->path : "");
}

int mt_opt_has_values(const struct mt_opt *o)
{
    return o && o->arg && strchr(o->arg, '|') != NULL;
}

int mt_opt_value_ok(const struct mt_opt *o, const char *value)
{
    const char *p;
    size_t n = strlen(value);
    if (!mt_opt_has_values(o) || (o->flags & MT_OPT_VALUES_OPEN))
        return 1;
    for (p = o->arg; *p; p += strcspn(p, "|"), p += *p == '|') {
        size_t l = strcspn(p, "|");
        if (l == n && !strncmp(p, value, n))
            return 1;
    }
    return 0;
}

/* "invalid value 'x' for --format: expected text, token, json or env" */
static int bad_value(struct mt_ctx *ctx, const struct mt_opt *o, const char *value)
{
    char list[256] = "";
    const char *p;
    size_t len = 0;
    int k, total = 1;
    for (p = o->arg; *p; p++)
        total += *p == '|';
    for (p = o->arg, k = 0; *p; k++) {
        size_t l = strcspn(p, "|");
        int w = snprintf(list + len, sizeof(list) - len, "%s%.*s",
                         k == 0 ? "" : k == total - 1 ? " or " : ", ", (int)l, p);
        if (w < 0 || (size_t)w >= sizeof(list) - len)
            break;
        len += (size_t)w;
        p += l;
        p += *p == '|';
    }
    return usage_err(ctx, "invalid value '%.100s' for --%s: expected %s", value, o->long_name,
                     list);
}

int mt_parse_args(struct mt_ctx *ctx, int argc, char **argv)
{
    struct mt_args *a = &ctx->args;
    int i;

    a->pos = calloc((size_t)argc + 1, sizeof(char *));
    if (!a->pos)
        return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    for (i = 0; i < argc; i++) {
        char *w = argv[i];
        const struct mt_opt *o = NULL;
        const char *val = NULL;

        if (!strcmp(w, "--")) {
            for (i++; i < argc; i++)
                a->pos[a->npos++] = argv[i];
            break;
        }
        if (w[0] == '-' && w[1] == '-') {
            const char *eq = strchr(w + 2, '=');
            size_t n = eq ? (size_t)(eq - (w + 2)) : strlen(w + 2);
            o = lookup_long(ctx->cmd, w + 2, n);
            if (!o) {
                char name[128];
                snprintf(name, sizeof(name), "--%.*s", (int)(n > 100 ? 100 : n), w + 2);
                return usage_err(ctx, "unknown option '%s'", name);
            }
            if (o->arg) {
                if (eq) {
                    val = eq + 1;
                } else if (i + 1 < argc) {
                    val = argv[++i];
                } else {
                    return usage_err(ctx, "option '--%s' needs a value", o->long_name);
                }
            } else if (eq) {
                return usage_err(ctx, "option '--%s' takes no value", o->long_name);
            } else {
                val = "";
            }
        } else if (w[0] == '-' && w[1] && w[1] != '-') {
            size_t k, len = strlen(w);
            /* -x VALUE, or a cluster of flags like -vq */
            for (k = 1; k < len; k++) {
                char sname[3] = {'-', w[k], 0};
                o = lookup_short(ctx->cmd, w[k]);
                if (!o)
                    return usage_err(ctx, "unknown option '%s'", sname);
                if (o->arg) {
                    if (k != len - 1 || len != 2)
                        return usage_err(ctx, "option '%s' needs a separate value", sname);
                    if (i + 1 >= argc)
                        return usage_err(ctx, "option '%s' needs a value", sname);
                    val = argv[++i];
                } else {
                    val = "";
                }
                if (k < len - 1 && push(a, o->id, val) < 0)
                    return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
            }
        } else {
            a->pos[a->npos++] = w;
            continue;
        }
        if (o->arg && !mt_opt_value_ok(o, val))
            return bad_value(ctx, o, val);
        if (push(a, o->id, val) < 0)
            return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
    }
    if (mt_args_has(a, MT_GOPT_CONFIG))
        ctx->config_path = mt_args_get(a, MT_GOPT_CONFIG);
    if (mt_args_has(a, MT_GOPT_PROFILE))
        ctx->profile = mt_args_get(a, MT_GOPT_PROFILE);
    if (mt_args_has(a, MT_GOPT_REGION))
        ctx->region = mt_args_get(a, MT_GOPT_REGION);
    if (mt_args_has(a, MT_GOPT_VERBOSE))
        ctx->verbose = 1;
    if (mt_args_has(a, MT_GOPT_QUIET))
        ctx->quiet = 1;
    if (mt_args_has(a, MT_GOPT_NO_COLOR))
        ctx->color = 0;
    if ((ctx->profile && !*ctx->profile) || (ctx->region && !*ctx->region) ||
        (ctx->config_path && !*ctx->config_path))
        return usage_err(ctx, "%s", "empty value for --profile, --region or --config");
    return 0;
}

void mt_args_release(struct mt_args *a)
{
    free(a->items);
    free(a->pos);
    memset(a, 0, sizeof(*a));
}

const char *mt_args_get(const struct mt_args *a, int id)
{
    int i;
    for (i = a->nitems - 1; i >= 0; i--)
        if (a->items[i].id == id)
            return a->items[i].value;
    return NULL;
}

int mt_args_has(const struct mt_args *a, int id)
{
    return mt_args_count(a, id) > 0;
}

int mt_args_count(const struct mt_args *a, int id)
{
    int i, n = 0;
    for (i = 0; i < a->nitems; i++)
        n += a->items[i].id == id;
    return n;
}

const char *mt_args_nth(const struct mt_args *a, int id, int nth)
{
    int i;
    for (i = 0; i < a->nitems; i++)
        if (a->items[i].id == id && nth-- == 0)
            return a->items[i].value;
    return NULL;
}

static void print_opts(FILE *f, const struct mt_opt *o)
{
    for (; o && o->id; o++) {
        char left[64];
        if (o->flags & MT_OPT_HIDDEN)
            continue;
        if (o->short_name)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->long_name,
                     o->arg ? " " : "", o->arg ? o->arg : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", o->long_name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        if (strlen(left) > 26)
            fprintf(f, "  %s\n  %-26s  %s\n", left, "", o->help);
        else
            fprintf(f, "  %-26s  %s\n", left, o->help);
    }
}

void mt_print_help(FILE *f, const struct mt_cmd *cmd)
{
    int i;
    if (!cmd) {
        fprintf(f, "usage: mytools <command> [<subcommand>] [options] [--] [args]\n"
                   "       mytools --install [-s] DIR | --list | --version | help [command]\n\n"
                   "A credential toolbox: IAM database tokens (RDS, Aurora DSQL, ElastiCache,\n"
                   "MemoryDB) from any AWS credential source, and passwords nobody has to see.\n"
                   "\ncommands:\n");
        for (i = 0; mt_commands[i]; i++)
            fprintf(f, "  %-18s %s\n", mt_commands[i]->path, mt_commands[i]->summary);
        fprintf(f, "\nglobal options:\n");
        print_opts(f, mt_global_opts);
        fprintf(f, "\nexit status: 0 ok, 1 failure, 2 usage, 3 configuration, 4 authentication "
                   "needed\nsee mytools(1) and 'mytools <command> --help'\n");
        return;
    }
    for (i = 0; cmd->usage && cmd->usage[i]; i++)
        fprintf(f, "%s mytools %s%s%s\n", i ? "      " : "usage:", cmd->path,
                cmd->usage[i][0] ? " " : "", cmd->usage[i]);
    if (!cmd->usage || !cmd->usage[0])
        fprintf(f, "usage: mytools %s [options]\n", cmd->path);
    fprintf(f, "\n%s\n", cmd->summary);
    if (cmd->description)
        fprintf(f, "\n%s\n", cmd->description);
    if (cmd->opts && cmd->opts[0].id) {
        fprintf(f, "\noptions:\n");
        print_opts(f, cmd->opts);
    }
    fprintf(f, "\nglobal options:\n");
    print_opts(f, mt_global_opts);
}

const char *mt_sgr(const struct mt_ctx *ctx, FILE *f, enum mt_color c)
{
    static const char *const sgr[] = {"\033[0m", "\033[1;31m", "\033[33m", "\033[32m",
                                      "\033[1m", "\033[2m"};
    int tty;
    if (!ctx || !ctx->color || (unsigned)c >= sizeof(sgr) / sizeof(sgr[0]))
        return "";
    tty = f == stderr ? ctx->stderr_tty : f == stdout ? ctx->stdout_tty : 0;
    return tty ? sgr[c] : "";
}

static void vmsg(const struct mt_ctx *ctx, enum mt_color c, const char *kind, const char *fmt,
                 va_list ap)
{
    fprintf(stderr, "mytools%s%s: %s%s%s", ctx && ctx->cmd ? " " : "",
            ctx && ctx->cmd ? ctx->cmd->path : "", *kind ? mt_sgr(ctx, stderr, c) : "", kind,
            *kind ? mt_sgr(ctx, stderr, MT_C_RESET) : "");
    {
        /* the same rule as error lines: outside text (names, regions from a config) may hold
         * escape sequences; each unsafe unit becomes '?' */
        char raw[2048], safe[2048];
        int k = vsnprintf(raw, sizeof(raw), fmt, ap);
        if (k < 0)
            raw[0] = '\0';
        mt_err_sanitize(safe, sizeof(safe), raw, strlen(raw));
        fputs(safe, stderr);
    }
    fputc('\n', stderr);
}

void mt_warn(const struct mt_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    if (ctx && ctx->quiet)
        return;
    va_start(ap, fmt);
    vmsg(ctx, MT_C_WARN, "warning: ", fmt, ap);
    va_end(ap);
}

void mt_info(const struct mt_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    if (ctx && ctx->quiet)
        return;
    va_start(ap, fmt);
    vmsg(ctx, MT_C_RESET, "", fmt, ap);
    va_end(ap);
}

void mt_debug(const struct mt_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    if (!ctx || !ctx->verbose)
        return;
    va_start(ap, fmt);
    vmsg(ctx, MT_C_DIM, "debug: ", fmt, ap);
    va_end(ap);
}

int mt_report(const struct mt_ctx *ctx)
{
    const struct mt_err *e = &ctx->err;
    int code = mt_err_exit_code(e);
    if (!code || ctx->silent)
        return code;
    fprintf(stderr, "mytools%s%s: %s%s%s\n", ctx->cmd ? " " : "", ctx->cmd ? ctx->cmd->path : "",
            mt_sgr(ctx, stderr, MT_C_ERROR), e->msg[0] ? e->msg : "failed",
            mt_sgr(ctx, stderr, MT_C_RESET));
    if (e->hint[0])
        fprintf(stderr, "hint: %s\n", e->hint);
    if (ctx->verbose && (e->http_status || e->aws_type[0] || e->request_id[0]))
        fprintf(stderr, "mytools: debug: http status %ld, error type '%s', request id '%s'\n",
                e->http_status, e->aws_type, e->request_id);
    return code;
}

const struct mt_opt *mt_opt_long(const struct mt_cmd *cmd, const char *name, size_t n)
{
    return lookup_long(cmd, name, n);
}

const struct mt_opt *mt_opt_short(const struct mt_cmd *cmd, char c)
{
    return lookup_short(cmd, c);
}
