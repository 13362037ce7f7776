/* prompt.c - the interactive line reader: GNU readline through dlopen (as common/http.c loads
 * libcurl), Tab completion from a candidate list, and a plain fallback. */
#include "cmd/prompt.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/readline.h>

#include "cmd/out.h"
#include "common/mem.h"

/* ---- the dynamically loaded readline ----------------------------------------------------------- */

struct rl_api {
    char *(*readline)(const char *prompt);
    char **(*completion_matches)(const char *text, rl_compentry_func_t *fn);
    int (*forced_update_display)(void);
    rl_completion_func_t **attempted_completion_function;
    rl_compdisp_func_t **completion_display_matches_hook;
    int *attempted_completion_over;
    FILE **instream;
    FILE **outstream;
    const char **readline_name;
};

/* Process-wide load state (an edge: loading a library is inherently global). */
static struct rl_api rl;
static int rl_state; /* 0 not tried, 1 loaded, -1 unavailable */
static const char *rl_soname = MT_PROMPT_READLINE_SONAME;
/* The candidates of the prompt being shown (readline's callbacks take no context pointer). */
static const char *const *cur_cands;

void mt_prompt_set_readline_name(const char *soname)
{
    if (rl_state == 0 && soname && *soname)
        rl_soname = soname;
}

int mt_prompt_available(void)
{
    return isatty(0) && isatty(2);
}

/* dlsym into a function or data pointer without the cast ISO C forbids. */
static int sym(void *lib, const char *name, void *ptr, size_t size)
{
    void *p = dlsym(lib, name);
    if (!p)
        return -1;
    memcpy(ptr, &p, size);
    return 0;
}

#define SYM(lib, name, field) sym(lib, name, &rl.field, sizeof(rl.field))

static int load_readline(void)
{
    void *lib;
    if (rl_state)
        return rl_state > 0 ? 0 : -1;
    rl_state = -1;
    if (!strcmp(rl_soname, "none"))
        return -1;
    lib = dlopen(rl_soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return -1;
    if (SYM(lib, "readline", readline) < 0 ||
        SYM(lib, "rl_completion_matches", completion_matches) < 0 ||
        SYM(lib, "rl_forced_update_display", forced_update_display) < 0 ||
        SYM(lib, "rl_attempted_completion_function", attempted_completion_function) < 0 ||
        SYM(lib, "rl_completion_display_matches_hook", completion_display_matches_hook) < 0 ||
        SYM(lib, "rl_attempted_completion_over", attempted_completion_over) < 0 ||
        SYM(lib, "rl_instream", instream) < 0 || SYM(lib, "rl_outstream", outstream) < 0 ||
        SYM(lib, "rl_readline_name", readline_name) < 0) {
        dlclose(lib);
        return -1;
    }
    rl_state = 1;
    return 0;
}

/* ---- completion callbacks ---------------------------------------------------------------------- */

static char *generator(const char *text, int state)
{
    static size_t idx, len;
    if (!state) {
        idx = 0;
        len = strlen(text);
    }
    while (cur_cands && cur_cands[idx]) {
        const char *c = cur_cands[idx++];
        if (!strncmp(c, text, len))
            return strdup(c);
    }
    return NULL;
}

static char **attempt(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    *rl.attempted_completion_over = 1; /* never fall back to file names */
    return rl.completion_matches(text, generator);
}

/* Second Tab: the matches on one line (readline's default is a column table). */
static void display_matches(char **matches, int n, int max_length)
{
    FILE *f = *rl.outstream ? *rl.outstream : stderr;
    int i;
    (void)max_length;
    fputc('\n', f);
    for (i = 1; i <= n; i++)
        fprintf(f, "%s%s", i > 1 ? "  " : "", mt_tx(matches[i])); /* names from a config */
    fputc('\n', f);
    fflush(f);
    rl.forced_update_display();
}

/* ---- the prompt -------------------------------------------------------------------------------- */

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static char *plain_readline(const char *prompt)
{
    char buf[1024], *nl;
    fputs(prompt, stderr);
    fflush(stderr);
    if (!fgets(buf, sizeof(buf), stdin)) {
        fputc('\n', stderr);
        return NULL;
    }
    nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    nl = strdup(buf);
    mt_memzero(buf, sizeof(buf));
    return nl;
}

int mt_prompt(const char *prompt, const char *const *candidates, char **line, struct mt_err *err)
{
    return mt_prompt_default(prompt, candidates, NULL, line, err);
}

int mt_prompt_default(const char *prompt, const char *const *candidates, const char *def,
                      char **line, struct mt_err *err)
{
    char *raw, *t;

    *line = NULL;
    if (!mt_prompt_available())
        return mt_err_set(err, MT_E_USAGE, "cannot prompt: not a terminal");
    if (load_readline() == 0) {
        cur_cands = candidates;
        *rl.readline_name = "mytools";
        *rl.instream = stdin;
        *rl.outstream = stderr;
        *rl.attempted_completion_function = attempt;
        *rl.completion_display_matches_hook = display_matches;
        raw = rl.readline(prompt);
        *rl.attempted_completion_function = NULL;
        *rl.completion_display_matches_hook = NULL;
        cur_cands = NULL;
        if (!raw)
            fputc('\n', stderr); /* Ctrl-D leaves the cursor after the prompt */
    } else {
        raw = plain_readline(prompt);
    }
    if (!raw)
        return MT_PROMPT_CANCEL;
    t = trim(raw);
    if (!*t) {
        free(raw);
        if (!def)
            return MT_PROMPT_CANCEL;
        *line = strdup(def);
        return *line ? MT_PROMPT_OK : mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    *line = strdup(t);
    mt_memzero(raw, strlen(raw));
    free(raw);
    if (!*line)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    return MT_PROMPT_OK;
}
