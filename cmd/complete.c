/* complete.c - shell completion from the command table (git's --git-completion-helper idea):
 * the scripts in completions/ hold no command or option names; they call the hidden
 * `mytools __complete CWORD WORDS...`, which prints one candidate a line. Exit status 3 asks
 * the shell for file names instead (an option whose value is a FILE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_int.h"
#include "config/aws_ini.h"
#include "config/config.h"

#define COMPLETE_FILES 3

struct cands {
    const char *prefix; /* the word being completed */
    const char *lead;   /* printed before each value ("--format=") */
    char **seen;
    size_t n;
};

static void add(struct cands *c, const char *s, size_t len)
{
    size_t i, pl = strlen(c->prefix);
    char *d, **ns;
    if (len < pl || strncmp(s, c->prefix, pl))
        return;
    for (i = 0; i < c->n; i++)
        if (strlen(c->seen[i]) == len && !strncmp(c->seen[i], s, len))
            return;
    d = strndup(s, len);
    ns = d ? realloc(c->seen, sizeof(char *) * (c->n + 1)) : NULL;
    if (!ns) {
        free(d);
        return;
    }
    c->seen = ns;
    c->seen[c->n++] = d;
    printf("%s%s\n", c->lead, d);
}

static void adds(struct cands *c, const char *s)
{
    if (s)
        add(c, s, strlen(s));
}

static void cands_release(struct cands *c)
{
    size_t i;
    for (i = 0; i < c->n; i++)
        free(c->seen[i]);
    free(c->seen);
}

struct state {
    const struct mt_cmd *cmd;
    char **words;
    int nwords; /* all words, including those after the cursor */
    int cword;
    const char *config, *env; /* --config and --env values seen anywhere on the line */
};

static void load_config(const struct state *st, struct mt_config *cfg)
{
    struct mt_err err = MT_ERR_INIT;
    mt_config_init(cfg);
    if (mt_config_load(st->config, st->config != NULL, cfg, &err) < 0) {
        mt_config_release(cfg);
        mt_config_init(cfg);
    }
}

static void profiles(struct cands *c)
{
    const enum mt_ini_kind kinds[2] = {MT_INI_CONFIG, MT_INI_CREDENTIALS};
    int k;
    for (k = 0; k < 2; k++) {
        char *path = k ? mt_aws_credentials_path() : mt_aws_config_path();
        struct mt_ini *ini = NULL;
        struct mt_err err = MT_ERR_INIT;
        size_t i;
        if (path && mt_ini_load(path, kinds[k], &ini, &err) == 0)
            for (i = 0; i < mt_ini_profile_count(ini); i++)
                adds(c, mt_ini_profile_name(ini, i));
        mt_ini_free(ini);
        free(path);
    }
}

/* The values of option o. Returns COMPLETE_FILES for a FILE argument, else 0. */
static int values(const struct state *st, const struct mt_opt *o, struct cands *c)
{
    struct mt_config cfg;
    size_t i, j;

    if (mt_opt_has_values(o)) {
        const char *p = o->arg;
        while (*p) {
            size_t l = strcspn(p, "|");
            add(c, p, l);
            p += l;
            p += *p == '|';
        }
        return 0;
    }
    if (o->flags & MT_OPT_COMPLETE_PROFILE) {
        profiles(c);
        return 0;
    }
    if (o->flags & (MT_OPT_COMPLETE_ENV | MT_OPT_COMPLETE_DB)) {
        const struct mt_cfg_env *only;
        load_config(st, &cfg);
        only = st->env ? mt_config_find_env(&cfg, st->env) : NULL;
        for (i = 0; i < cfg.nenvs; i++) {
            const struct mt_cfg_env *e = &cfg.envs[i];
            if (o->flags & MT_OPT_COMPLETE_ENV) {
                adds(c, e->name);
                for (j = 0; j < e->naliases; j++)
                    adds(c, e->aliases[j]);
            } else if (!only || only == e) {
                for (j = 0; j < e->ndbs; j++)
                    adds(c, e->dbs[j].name);
            }
        }
        mt_config_release(&cfg);
        return 0;
    }
    if (o->arg && (!strcmp(o->arg, "FILE") || !strcmp(o->arg, "DIR")))
        return COMPLETE_FILES;
    return 0;
}

static void add_option(struct cands *c, const struct mt_opt *o)
{
    char w[128];
    if (o->flags & MT_OPT_HIDDEN)
        return;
    snprintf(w, sizeof(w), "--%s", o->long_name);
    adds(c, w);
}

static void options(const struct mt_cmd *cmd, struct cands *c)
{
    const struct mt_opt *o;
    for (o = cmd ? cmd->opts : NULL; o && o->id; o++)
        add_option(c, o);
    for (o = mt_global_opts; o->id; o++)
        add_option(c, o);
}

/* Next command words after the ones typed (e.g. "db" -> token connect list). */
static void command_words(char **typed, int ntyped, struct cands *c)
{
    int i, k;
    for (i = 0; mt_commands[i]; i++) {
        const char *p = mt_commands[i]->path;
        for (k = 0; k < ntyped && p; k++) {
            size_t wl = strcspn(p, " ");
            if (strlen(typed[k]) != wl || strncmp(typed[k], p, wl))
                p = NULL;
            else
                p = p[wl] ? p + wl + 1 : NULL;
        }
        if (p)
            add(c, p, strcspn(p, " "));
    }
}

extern const struct mt_cmd mt_cmd_completion;

int mt_complete_main(int argc, char **argv)
{
    struct state st;
    struct cands c;
    const struct mt_opt *pending = NULL;
    char *cur, *base, *typed[8];
    int i, ntyped = 0, dashdash = 0, help = 0, rc = 0;

    if (argc < 2)
        return 2;
    memset(&st, 0, sizeof(st));
    memset(&c, 0, sizeof(c));
    c.lead = "";
    st.cword = atoi(argv[0]);
    st.words = argv + 1;
    st.nwords = argc - 1;
    if (st.cword < 1)
        return 0;
    cur = st.cword < st.nwords ? st.words[st.cword] : "";
    base = strrchr(st.words[0], '/');
    base = base ? base + 1 : st.words[0];
    if (strcmp(base, "mytools") != 0)
        st.cmd = mt_find_link(base);

    /* --config and --env anywhere on the line (the databases of that environment) */
    for (i = 1; i < st.nwords; i++) {
        const char *w = st.words[i];
        if (i + 1 < st.nwords && i + 1 != st.cword && !strcmp(w, "--config"))
            st.config = st.words[i + 1];
        else if (!strncmp(w, "--config=", 9))
            st.config = w + 9;
        else if (i + 1 < st.nwords && i + 1 != st.cword && (!strcmp(w, "--env") || !strcmp(w, "-e")))
            st.env = st.words[i + 1];
        else if (!strncmp(w, "--env=", 6))
            st.env = w + 6;
    }
    /* the words before the cursor: command words, options and their values */
    for (i = 1; i < st.cword && i < st.nwords; i++) {
        const char *w = st.words[i];
        const struct mt_opt *o = NULL;
        if (pending) {
            pending = NULL;
            continue;
        }
        if (dashdash)
            continue;
        if (!strcmp(w, "--")) {
            dashdash = 1;
        } else if (w[0] == '-' && w[1] == '-') {
            o = mt_opt_long(st.cmd, w + 2, strcspn(w + 2, "="));
            if (o && o->arg && !strchr(w, '='))
                pending = o;
        } else if (w[0] == '-' && w[1] && !w[2]) {
            o = mt_opt_short(st.cmd, w[1]);
            if (o && o->arg)
                pending = o;
        } else if (!st.cmd && !help && ntyped == 0 && !strcmp(w, "help")) {
            help = 1;
        } else if (!st.cmd && ntyped < 8) {
            int used = 0;
            const struct mt_cmd *m;
            typed[ntyped++] = (char *)w;
            m = mt_find_cmd(ntyped, typed, &used);
            if (m && used == ntyped && !help)
                st.cmd = m;
        }
    }
    c.prefix = cur;
    if (pending) {
        rc = values(&st, pending, &c);
    } else if (dashdash) {
        rc = 0;
    } else if (cur[0] == '-' && cur[1] == '-' && strchr(cur, '=')) {
        const struct mt_opt *o = mt_opt_long(st.cmd, cur + 2, strcspn(cur + 2, "="));
        char lead[128];
        if (o && o->arg) {
            snprintf(lead, sizeof(lead), "--%s=", o->long_name);
            c.lead = lead;
            c.prefix = strchr(cur, '=') + 1;
            rc = values(&st, o, &c);
            c.lead = "";
        }
    } else if (cur[0] == '-') {
        options(st.cmd, &c);
    } else if (!st.cmd) {
        command_words(typed, ntyped, &c);
        if (!help && ntyped == 0)
            adds(&c, "help");
    } else if (st.cmd == &mt_cmd_completion) {
        adds(&c, "bash");
        adds(&c, "zsh");
        adds(&c, "fish");
    }
    cands_release(&c);
    fflush(stdout);
    return rc;
}

/* ---- `mytools completion bash|zsh|fish` ---- */

extern const char mt_completion_bash[], mt_completion_zsh[], mt_completion_fish[];

static int run_completion(struct mt_ctx *ctx)
{
    const char *sh = ctx->args.npos == 1 ? ctx->args.pos[0] : NULL;
    if (!sh) {
        mt_err_set(&ctx->err, MT_E_USAGE, "which shell? (bash, zsh or fish)");
        return mt_err_hint(&ctx->err, "usage: mytools completion bash|zsh|fish");
    }
    if (!strcmp(sh, "bash"))
        fputs(mt_completion_bash, stdout);
    else if (!strcmp(sh, "zsh"))
        fputs(mt_completion_zsh, stdout);
    else if (!strcmp(sh, "fish"))
        fputs(mt_completion_fish, stdout);
    else
        return mt_err_set(&ctx->err, MT_E_USAGE, "unknown shell '%.64s': expected bash, zsh or fish",
                          sh);
    return 0;
}

static const struct mt_opt completion_opts[] = {MT_OPT_END};
static const char *const completion_usage[] = {"bash|zsh|fish", NULL};

const struct mt_cmd mt_cmd_completion = {
    "completion", NULL, "print the shell completion script (bash, zsh or fish)",
    completion_usage, completion_opts, run_completion,
    "Prints the script installed in the shell's completion directory (bash:\n"
    "share/bash-completion/completions, zsh: share/zsh/vendor-completions, fish:\n"
    "share/fish/vendor_completions.d). It completes commands, applet links, options, option\n"
    "values, and the environment, database and profile names of your own config and\n"
    "~/.aws/config. Load it by hand with: source <(mytools completion bash), or\n"
    "mytools completion fish | source.",
};
