/* pick.c - ask for the environment and database on a terminal, with completion. */
#include "cmd/pick.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/out.h"
#include "cmd/prompt.h"

/* A typed database name the config does not know: kept until exit so the resolver can report
 * it with the known ones. */
static char *typed;

static void free_typed(void)
{
    free(typed);
}

static int ask(struct mt_ctx *ctx, const char *prompt, const char *const *cands, char **line)
{
    int r = mt_prompt(prompt, cands, line, &ctx->err);
    if (r == MT_PROMPT_CANCEL) {
        ctx->silent = 1;
        return mt_err_set(&ctx->err, MT_E_USAGE, "cancelled");
    }
    return r;
}

int mt_pick_target(struct mt_ctx *ctx, const struct mt_config *cfg, const char **env,
                   const char **database, const char *host)
{
    const char **cands = NULL;
    const struct mt_cfg_env *e = NULL;
    char *line = NULL, prompt[160];
    size_t i, j, n = 0;
    int rc = -1;
    static int registered;

    if (host || (*env && *database) || !cfg || !cfg->nenvs || !mt_prompt_available())
        return 0;
    if (!registered) {
        registered = 1;
        atexit(free_typed);
    }
    if (!*env) {
        for (i = 0; i < cfg->nenvs; i++)
            n += 1 + cfg->envs[i].naliases;
        cands = calloc(n + 1, sizeof(*cands));
        if (!cands)
            return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        for (n = 0, i = 0; i < cfg->nenvs; i++) {
            cands[n++] = cfg->envs[i].name;
            for (j = 0; j < cfg->envs[i].naliases; j++)
                cands[n++] = cfg->envs[i].aliases[j];
        }
        if (ask(ctx, "environment (Tab completes): ", cands, &line) < 0)
            goto out;
        e = mt_config_find_env(cfg, line);
        if (!e) {
            mt_config_unknown_env(cfg, line, &ctx->err);
            goto out;
        }
        *env = e->name;
        free(line);
        line = NULL;
        free(cands);
        cands = NULL;
    } else {
        e = mt_config_find_env(cfg, *env);
        if (!e)
            return 0;
    }
    if (!*database) {
        cands = calloc(e->ndbs + 1, sizeof(*cands));
        if (!cands)
            return mt_err_set(&ctx->err, MT_E_NOMEM, "out of memory");
        for (i = 0; i < e->ndbs; i++)
            cands[i] = e->dbs[i].name;
        snprintf(prompt, sizeof(prompt), "database in %.100s (Tab completes): ", mt_tx(e->name));
        if (ask(ctx, prompt, cands, &line) < 0)
            goto out;
        if (mt_config_find_db(e, line)) {
            *database = mt_config_find_db(e, line)->name;
        } else {
            free(typed);
            typed = line;
            line = NULL;
            *database = typed;
        }
    }
    rc = 0;
out:
    free(line);
    free(cands);
    return rc;
}
