/* process.c - credential_process (aws-wire.md 3.6): the command line split with botocore's rules
 * (shlex.split, POSIX mode: quotes, backslashes, a path with spaces), run without a shell (PATH
 * search for a bare name), stdin and stderr passed through, stdout read (bounded) as the Version 1
 * JSON, a timeout (60 s, as the Go SDK). Failures are MT_E_AUTH naming the profile, never the
 * output (it may hold a key). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/mem.h"
#include "common/timeutil.h"
#include "sso/sso_int.h"

#define MAX_OUTPUT ((size_t)1 << 20)
#define DEFAULT_TIMEOUT_MS 60000L

extern char **environ;

void mt_process_argv_free(char **argv)
{
    size_t i;
    if (!argv)
        return;
    for (i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

static int push(char ***v, size_t *n, struct mt_buf *tok)
{
    char **nv = realloc(*v, (*n + 2) * sizeof(char *));
    char *s;
    if (!nv)
        return -1;
    *v = nv;
    s = strdup(mt_buf_str(tok));
    if (!s)
        return -1;
    nv[(*n)++] = s;
    nv[*n] = NULL;
    mt_buf_reset(tok);
    return 0;
}

int mt_process_split(const char *s, char ***argv)
{
    struct mt_buf tok = MT_BUF_INIT;
    char **v = NULL;
    size_t n = 0;
    int in_tok = 0, rc = -1;

    *argv = NULL;
    v = calloc(1, sizeof(char *));
    if (!v)
        return -1;
    while (*s) {
        char c = *s;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (in_tok && push(&v, &n, &tok) < 0)
                goto out;
            in_tok = 0;
            s++;
        } else if (c == '\\') {
            if (!s[1])
                goto out; /* "No escaped character" */
            if (mt_buf_addc(&tok, s[1]) < 0)
                goto out;
            in_tok = 1;
            s += 2;
        } else if (c == '\'') {
            const char *e = strchr(s + 1, '\'');
            if (!e)
                goto out; /* "No closing quotation" */
            if (mt_buf_add(&tok, s + 1, (size_t)(e - s - 1)) < 0)
                goto out;
            in_tok = 1;
            s = e + 1;
        } else if (c == '"') {
            s++;
            for (;;) {
                if (!*s)
                    goto out;
                if (*s == '"')
                    break;
                if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) {
                    if (mt_buf_addc(&tok, s[1]) < 0)
                        goto out;
                    s += 2;
                    continue;
                }
                if (*s == '\\' && !s[1])
                    goto out;
                if (mt_buf_addc(&tok, *s) < 0)
                    goto out;
                s++;
            }
            in_tok = 1;
            s++;
        } else {
            if (mt_buf_addc(&tok, c) < 0)
                goto out;
            in_tok = 1;
            s++;
        }
    }
    if (in_tok && push(&v, &n, &tok) < 0)
        goto out;
    *argv = v;
    v = NULL;
    rc = 0;
out:
    mt_process_argv_free(v);
    mt_buf_release(&tok);
    return rc;
}

int mt_process_parse(const char *json, size_t len, struct mt_creds *out, struct mt_err *err)
{
    cJSON *root = cJSON_ParseWithLength(json ? json : "", json ? len : 0);
    const cJSON *ver, *exp;
    struct mt_creds c = MT_CREDS_INIT;
    int rc = -1;

    if (!cJSON_IsObject(root)) {
        mt_err_set(err, MT_E_AUTH, "the output is not a JSON object");
        goto out;
    }
    ver = cJSON_GetObjectItemCaseSensitive(root, "Version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1.0) {
        mt_err_set(err, MT_E_AUTH, "the output's \"Version\" is not 1");
        goto out;
    }
    c.access_key_id = mt_sso_json_dup(root, "AccessKeyId");
    c.secret_access_key = mt_sso_json_dup(root, "SecretAccessKey");
    c.session_token = mt_sso_json_dup(root, "SessionToken");
    c.account_id = mt_sso_json_dup(root, "AccountId");
    if (!c.access_key_id || !c.secret_access_key) {
        mt_err_set(err, MT_E_AUTH, "the output lacks \"AccessKeyId\" or \"SecretAccessKey\"");
        goto out;
    }
    exp = cJSON_GetObjectItemCaseSensitive(root, "Expiration");
    if (exp && !cJSON_IsNull(exp) &&
        (!cJSON_IsString(exp) || mt_time_parse_iso8601(exp->valuestring, &c.expiration) < 0)) {
        mt_err_set(err, MT_E_AUTH, "the output's \"Expiration\" is not an ISO 8601 timestamp");
        goto out;
    }
    if (mt_creds_check(&c, "the output's AccessKeyId", "the output's SecretAccessKey",
                       "the output's SessionToken", err) < 0) {
        err->code = MT_E_AUTH;
        goto out;
    }
    c.source = "credential_process";
    *out = c;
    memset(&c, 0, sizeof(c));
    rc = 0;
out:
    mt_creds_release(&c);
    mt_json_delete_wiped(root);
    return rc;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int mt_process_creds(const struct mt_chain *ch, const char *profile, const char *cmdline,
                     struct mt_creds *out, struct mt_err *err)
{
    const struct mt_creds_in *in = ch->in;
    long timeout = in->process_timeout_ms > 0 ? in->process_timeout_ms : DEFAULT_TIMEOUT_MS;
    long deadline = now_ms() + timeout;
    struct mt_buf body = MT_BUF_INIT_SECRET;
    posix_spawn_file_actions_t fa;
    char **argv = NULL;
    int pfd[2] = {-1, -1}, status = 0, timed_out = 0, rc = -1, fa_init = 0, e;
    pid_t pid = -1;

    if (mt_process_split(cmdline, &argv) < 0 || !argv || !argv[0]) {
        mt_err_set(err, MT_E_CONFIG,
                   "%s: credential_process of profile '%s' is not a valid command line "
                   "(unbalanced quote or trailing backslash)", in->config_path, profile);
        goto out;
    }
    if (pipe(pfd) < 0 || fcntl(pfd[0], F_SETFD, FD_CLOEXEC) < 0 ||
        fcntl(pfd[1], F_SETFD, FD_CLOEXEC) < 0) {
        mt_err_sys(err, MT_E_IO, errno, "credential_process of profile '%s': pipe", profile);
        goto out;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    fa_init = 1;
    if (posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO) != 0) {
        mt_err_set(err, MT_E_NOMEM, "out of memory");
        goto out;
    }
    e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    if (e != 0) {
        pid = -1;
        mt_err_sys(err, MT_E_AUTH, e, "cannot run credential_process of profile '%s' ('%s')",
                   profile, argv[0]);
        goto out;
    }
    close(pfd[1]);
    pfd[1] = -1;
    for (;;) {
        struct pollfd p = {pfd[0], POLLIN, 0};
        long left = deadline - now_ms();
        char buf[4096];
        ssize_t r;
        int pr;
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        pr = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0)
            continue;
        r = read(pfd[0], buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (body.len + (size_t)r > MAX_OUTPUT || mt_buf_add(&body, buf, (size_t)r) < 0) {
            mt_memzero(buf, sizeof(buf));
            mt_err_set(err, MT_E_AUTH, "credential_process of profile '%s' printed more than "
                                       "1 MiB", profile);
            kill(pid, SIGKILL);
            goto out;
        }
        mt_memzero(buf, sizeof(buf));
    }
    if (timed_out) {
        kill(pid, SIGKILL);
        mt_err_set(err, MT_E_AUTH, "credential_process of profile '%s' did not finish within %ld s",
                   profile, (timeout + 999) / 1000);
        goto out;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status))
            mt_err_set(err, MT_E_AUTH, "credential_process of profile '%s' failed (exit status %d)",
                       profile, WEXITSTATUS(status));
        else
            mt_err_set(err, MT_E_AUTH, "credential_process of profile '%s' was killed by signal %d",
                       profile, WTERMSIG(status));
        mt_err_hint(err, "its own error output, if any, is above");
        goto out;
    }
    if (mt_process_parse(body.p, body.len, out, err) < 0) {
        mt_err_prefix(err, "credential_process of profile '%s'", profile);
        goto out;
    }
    mt_creds_detail(out, "credential_process of profile %s (%s)", profile, argv[0]);
    rc = 0;
out:
    if (pid > 0) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    mt_process_argv_free(argv);
    mt_buf_release(&body);
    return rc;
}
