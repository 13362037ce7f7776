/* main.c - busybox-style multi-call entry: argv[0] applets, --install, --list, --version, help. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>
#include <yaml.h>

#include "cmd/clipboard.h"
#include "cmd/cmd_int.h"
#include "common/hash.h"
#include "common/http.h"
#include "common/mem.h"

#ifndef MT_VERSION
#define MT_VERSION "0.0.0"
#endif

static void print_group_help(FILE *f, const char *group)
{
    int i;
    size_t l = strlen(group);
    fprintf(f, "usage: mytools %s <subcommand> [options]\n\nsubcommands:\n", group);
    for (i = 0; mt_commands[i]; i++)
        if (!strncmp(mt_commands[i]->path, group, l) && mt_commands[i]->path[l] == ' ')
            fprintf(f, "  %-18s %s\n", mt_commands[i]->path, mt_commands[i]->summary);
}

/* stdout's buffer is ours so that what passed through it (a token, a password) can be wiped */
static char stdout_buf[1 << 16];

static int finish_stdout(void)
{
    int rc = 0;
    /* git's run_builtin: a full disk or closed pipe is an error, not silent truncation */
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
        rc = 1;
        if (errno != EPIPE)
            fprintf(stderr, "mytools: cannot write to standard output: %s\n", strerror(errno));
    }
    mt_memzero(stdout_buf, sizeof(stdout_buf));
    return rc;
}

static int print_version(void)
{
    printf("mytools %s\n", MT_VERSION);
    printf("libsodium %s\n", sodium_version_string());
    printf("%s\n", mt_crypto_lib_version());
    printf("libyaml %s\n", yaml_get_version_string());
    printf("cJSON %s\n", cJSON_Version());
    /* loaded on demand (dlopen); --version is the one place that loads it without a request */
    {
        const char *cv = mt_http_libcurl_version();
        printf("libcurl %s\n", cv ? cv : "(not loadable: AWS requests will fail)");
    }
    return 0;
}

static int do_list(void)
{
    int i;
    for (i = 0; mt_commands[i]; i++)
        if (mt_commands[i]->link)
            printf("%s\n", mt_commands[i]->link);
    return 0;
}

static char *self_path(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return strdup(buf);
}

/* Is path already "such a link": a symlink to a mytools binary (resolving to us, or whose
 * target is named mytools), or a hard link to us? *is_sym tells which kind. */
static int is_our_link(const char *path, const struct stat *lst, const struct stat *me, int *is_sym)
{
    struct stat st;
    char target[PATH_MAX];
    ssize_t n;
    const char *b;

    *is_sym = S_ISLNK(lst->st_mode);
    if (!*is_sym)
        return S_ISREG(lst->st_mode) && lst->st_ino == me->st_ino && lst->st_dev == me->st_dev;
    if (stat(path, &st) == 0 && st.st_ino == me->st_ino && st.st_dev == me->st_dev)
        return 1;
    n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    b = strrchr(target, '/');
    return !strcmp(b ? b + 1 : target, "mytools");
}

/* --install [-s] DIR: a link per applet; idempotent; never replaces a file that is not already
 * such a link. */
static int do_install(int argc, char **argv)
{
    int symbolic = 0, i, rc = 0;
    const char *dir = NULL;
    char *self;
    struct stat me;

    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-s") && !symbolic)
            symbolic = 1;
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else {
            fprintf(stderr, "mytools: unexpected argument '%s' for --install\n"
                            "hint: usage: mytools --install [-s] DIR\n", argv[i]);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "mytools: --install needs a directory\n"
                        "hint: usage: mytools --install [-s] DIR\n");
        return 2;
    }
    self = self_path();
    if (!self || stat(self, &me) < 0) {
        fprintf(stderr, "mytools: cannot find my own path: %s\n", strerror(errno));
        free(self);
        return 1;
    }
    for (i = 0; mt_commands[i]; i++) {
        const char *name = mt_commands[i]->link;
        char path[PATH_MAX];
        struct stat lst;
        int is_sym;
        if (!name)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (lstat(path, &lst) == 0) {
            if (!is_our_link(path, &lst, &me, &is_sym)) {
                fprintf(stderr, "mytools: not replacing '%s': not a link to mytools\n", path);
                rc = 1;
                continue;
            }
            if (is_sym == symbolic && (!is_sym || stat(path, &lst) == 0))
                continue; /* already the link asked for */
            if (unlink(path) < 0) {
                fprintf(stderr, "mytools: cannot replace '%s': %s\n", path, strerror(errno));
                rc = 1;
                continue;
            }
        }
        if ((symbolic ? symlink(self, path) : link(self, path)) < 0) {
            fprintf(stderr, "mytools: cannot link '%s': %s\n", path, strerror(errno));
            rc = 1;
        }
    }
    free(self);
    return rc;
}

/* Colour is allowed unless NO_COLOR is set non-empty (no-color.org) or TERM is "dumb"; --no-color
 * (parsed later) turns it off too, and each stream must be a terminal (mt_sgr). */
static int color_allowed(void)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    return !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

static int run_cmd(const struct mt_cmd *cmd, int argc, char **argv)
{
    struct mt_ctx ctx;
    const char *e;
    int code;

    memset(&ctx, 0, sizeof(ctx));
    ctx.cmd = cmd;
    ctx.stdin_tty = isatty(0);
    ctx.stdout_tty = isatty(1);
    ctx.stderr_tty = isatty(2);
    ctx.color = color_allowed();
    e = getenv("MYTOOLS_CONFIG");
    if (e && *e)
        ctx.config_path = e;
    e = getenv("MYTOOLS_DEBUG");
    if (e && !strcmp(e, "1"))
        ctx.verbose = 1;
    if (mt_parse_args(&ctx, argc, argv) < 0) {
        code = mt_report(&ctx);
        mt_args_release(&ctx.args);
        return code;
    }
    if (mt_args_has(&ctx.args, MT_GOPT_HELP)) {
        mt_print_help(stdout, cmd);
        mt_args_release(&ctx.args);
        return finish_stdout();
    }
    if (cmd->run(&ctx) < 0) {
        if (ctx.err.code == MT_E_OK)
            mt_err_set(&ctx.err, MT_E_INTERNAL, "failed");
        code = mt_report(&ctx);
        fflush(stdout);
    } else {
        code = finish_stdout();
    }
    mt_memzero(stdout_buf, sizeof(stdout_buf));
    mt_args_release(&ctx.args);
    return code;
}

static int help_for(int argc, char **argv)
{
    int used = 0;
    const struct mt_cmd *cmd;
    if (argc == 0) {
        mt_print_help(stdout, NULL);
        return finish_stdout();
    }
    cmd = mt_find_cmd(argc, argv, &used);
    if (cmd && used == argc) {
        mt_print_help(stdout, cmd);
        return finish_stdout();
    }
    if (argc == 1 && mt_is_group(argc, argv)) {
        print_group_help(stdout, argv[0]);
        return finish_stdout();
    }
    fprintf(stderr, "mytools: unknown command '%s'\nhint: see 'mytools --help'\n", argv[0]);
    return 2;
}

/* How many words at the front of argv are global options (contract 1: `mytools --profile p db
 * token`, as git takes `git -C dir`), with their values. -1 with a message for an unknown option
 * or a missing value. --help/-h is not counted (the caller handles it). */
static int leading_globals(int argc, char **argv)
{
    int i = 0;
    while (i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--")) {
        const char *w = argv[i];
        const struct mt_opt *o;
        size_t n;
        if (!strcmp(w, "--help") || !strcmp(w, "-h"))
            break;
        if (!strcmp(w, "--version") || !strcmp(w, "--list") || !strcmp(w, "--install"))
            break;
        for (o = mt_global_opts; o->id; o++) {
            if (w[1] == '-') {
                n = strcspn(w + 2, "=");
                if (strlen(o->long_name) == n && !strncmp(o->long_name, w + 2, n))
                    break;
            } else if (o->short_name && w[1] == o->short_name && !w[2]) {
                break;
            }
        }
        if (!o->id || o->id == MT_GOPT_HELP) {
            fprintf(stderr, "mytools: unknown option '%s' before the command\n"
                            "hint: see 'mytools --help'\n", w);
            return -1;
        }
        if (o->arg && !strchr(w, '=')) {
            if (i + 1 >= argc) {
                fprintf(stderr, "mytools: option '%s' needs a value\n", w);
                return -1;
            }
            i++;
        }
        i++;
    }
    return i;
}

int main(int argc, char **argv)
{
    const char *base;
    const struct mt_cmd *cmd;
    int used = 0, i, nglob;
    char **cargv;

    if (mt_crypto_init() < 0) {
        fprintf(stderr, "mytools: cannot initialise libsodium\n");
        return 1;
    }
    setvbuf(stdout, stdout_buf, isatty(1) ? _IOLBF : _IOFBF, sizeof(stdout_buf));
    if (argc == 2 && !strcmp(argv[1], "__clipboard-clear"))
        return mt_clipboard_clear_main();
    /* hidden entry points of the shell scripts and the man page build */
    if (argc >= 2 && !strcmp(argv[1], "__complete")) {
        int rc = mt_complete_main(argc - 2, argv + 2);
        return finish_stdout() ? 1 : rc;
    }
    if (argc >= 2 && !strcmp(argv[1], "__man")) {
        int rc = mt_man_main(argc - 2, argv + 2);
        return finish_stdout() ? 1 : rc;
    }
    base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : (argc > 0 && argv[0] ? argv[0] : "mytools");
    cmd = mt_find_link(base);
    if (cmd)
        return run_cmd(cmd, argc - 1, argv + 1);

    argc--;
    argv++;
    /* global options (with their values) may come before the command: they are handed to the
     * command's parser ahead of its own words, so a later repetition still wins */
    nglob = leading_globals(argc, argv);
    if (nglob < 0)
        return 2;
    cargv = argv;
    argc -= nglob;
    argv += nglob;
    if (argc >= 1) {
        if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))
            return help_for(argc - 1, argv + 1);
        if (!strcmp(argv[0], "help"))
            return help_for(argc - 1, argv + 1);
        if (!strcmp(argv[0], "--version"))
            return print_version() || finish_stdout();
        if (!strcmp(argv[0], "--list"))
            return do_list() || finish_stdout();
        if (!strcmp(argv[0], "--install"))
            return do_install(argc - 1, argv + 1);
    }
    if (argc == 0) {
        mt_print_help(stderr, NULL);
        return 2;
    }
    cmd = mt_find_cmd(argc, argv, &used);
    if (!cmd) {
        if (mt_is_group(1, argv)) {
            for (i = 1; i < argc; i++)
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                    print_group_help(stdout, argv[0]);
                    return finish_stdout();
                }
            if (argc > 1 && argv[1][0] != '-')
                fprintf(stderr, "mytools: unknown command '%s %s'\n", argv[0], argv[1]);
            else
                fprintf(stderr, "mytools: '%s' needs a subcommand\n", argv[0]);
            print_group_help(stderr, argv[0]);
            return 2;
        }
        fprintf(stderr, "mytools: unknown command '%s'\nhint: see 'mytools --help'\n", argv[0]);
        return 2;
    }
    if (nglob) {
        /* globals first, then the words after the command path */
        char **v = malloc(sizeof(char *) * (size_t)(nglob + argc - used + 1));
        int code;
        if (!v) {
            fprintf(stderr, "mytools: out of memory\n");
            return 1;
        }
        memcpy(v, cargv, sizeof(char *) * (size_t)nglob);
        memcpy(v + nglob, argv + used, sizeof(char *) * (size_t)(argc - used + 1));
        code = run_cmd(cmd, nglob + argc - used, v);
        free(v);
        return code;
    }
    return run_cmd(cmd, argc - used, argv + used);
}
