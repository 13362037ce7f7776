/* clipboard.c - clipboard backends: configured command, pbcopy, wl-copy, xclip, xsel, clip.exe,
 * OSC 52. The text always travels on the helper's stdin. */
#include "cmd/clipboard.h"
#include "cmd/out.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/mem.h"

struct backend {
    const char *name;
    const char *const *copy;  /* argv of the copy command (text on stdin) */
    const char *const *paste; /* argv that prints the clipboard, or NULL */
};

static const char *const a_pbcopy[] = {"pbcopy", NULL};
static const char *const a_pbpaste[] = {"pbpaste", NULL};
static const char *const a_wlcopy[] = {"wl-copy", NULL};
static const char *const a_wlpaste[] = {"wl-paste", "--no-newline", NULL};
static const char *const a_xclip[] = {"xclip", "-selection", "clipboard", "-in", NULL};
static const char *const a_xclip_o[] = {"xclip", "-selection", "clipboard", "-out", NULL};
static const char *const a_xsel[] = {"xsel", "--clipboard", "--input", NULL};
static const char *const a_xsel_o[] = {"xsel", "--clipboard", "--output", NULL};
static const char *const a_clipexe[] = {"clip.exe", NULL};

static const struct backend backends[] = {
    {"pbcopy", a_pbcopy, a_pbpaste},   {"wl-copy", a_wlcopy, a_wlpaste},
    {"xclip", a_xclip, a_xclip_o},     {"xsel", a_xsel, a_xsel_o},
    {"clip.exe", a_clipexe, NULL},
};

static const struct backend *find_backend(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (!strcmp(backends[i].name, name))
            return &backends[i];
    return NULL;
}


/* Whether prog is on $PATH (mt_file_which, the one PATH walk). */
static int in_path(const char *prog)
{
    char *p = mt_file_which(prog);
    int found = p != NULL;
    free(p);
    return found;
}

static int is_wsl(void)
{
    char buf[256] = {0};
    FILE *f = fopen("/proc/sys/kernel/osrelease", "r");
    if (!f)
        return 0;
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    return strstr(buf, "microsoft") || strstr(buf, "Microsoft") || strstr(buf, "WSL");
}

/* Runs argv (or "/bin/sh -c shell") with text on stdin; stdout captured into out if given,
 * otherwise /dev/null. Returns the exit status (0 ok), or -1 if it could not run. */
static int run_helper(const char *const *argv, const char *shell, const char *text, size_t len,
                      struct mt_buf *out)
{
    int in[2], outp[2] = {-1, -1}, status = 0;
    pid_t pid;
    struct sigaction sa, old;

    if (pipe(in) < 0)
        return -1;
    if (out && pipe(outp) < 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        if (out) {
            close(outp[0]);
            close(outp[1]);
        }
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(in[0], 0);
        /* the helper may stay alive to serve the selection: it must not hold our stdout */
        dup2(out ? outp[1] : devnull, 1);
        dup2(devnull, 2);
        close(in[0]);
        close(in[1]);
        if (out) {
            close(outp[0]);
            close(outp[1]);
        }
        /* the helper may outlive us (xclip serves the selection): it holds none of our other
         * descriptors either (a caller's pipe kept open would wait for it) */
        for (devnull = 3; devnull < 1024; devnull++)
            close(devnull);
        if (shell)
            execl("/bin/sh", "sh", "-c", shell, (char *)NULL);
        else
            execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    if (out)
        close(outp[1]);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old);
    while (len) {
        ssize_t n = write(in[1], text, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        text += n;
        len -= (size_t)n;
    }
    close(in[1]);
    if (out) {
        char buf[4096];
        ssize_t n;
        while ((n = read(outp[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
            if (n > 0 && mt_buf_add(out, buf, (size_t)n) < 0)
                break;
        mt_memzero(buf, sizeof(buf));
        close(outp[0]);
    }
    sigaction(SIGPIPE, &old, NULL);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int osc52(const char *text, size_t len)
{
    size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    struct mt_buf seq = MT_BUF_INIT_SECRET;
    char *b64 = malloc(b64len);
    int fd, rc = -1;
    const char *tmux = getenv("TMUX");

    if (!b64)
        return -1;
    sodium_bin2base64(b64, b64len, (const unsigned char *)text, len,
                      sodium_base64_VARIANT_ORIGINAL);
    /* The plain sequence: terminals and tmux itself understand it (tmux makes a paste buffer of
     * it and forwards it to the outer terminal when set-clipboard is on). */
    if (mt_buf_addf(&seq, "\033]52;c;%s\a", b64) < 0)
        goto out;
    /* Inside tmux also the DCS passthrough (DCS tmux; <ESC doubled> ST) for set-clipboard off
     * or external: tmux 3.3 drops it unless allow-passthrough is on, and then it reaches the
     * outer terminal directly. */
    if (tmux && *tmux && mt_buf_addf(&seq, "\033Ptmux;\033\033]52;c;%s\a\033\\", b64) < 0)
        goto out;
    fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        goto out;
    rc = write(fd, seq.p, seq.len) == (ssize_t)seq.len ? 0 : -1;
    close(fd);
out:
    mt_freezero(b64, b64len);
    mt_buf_release(&seq);
    return rc;
}

int mt_clipboard_copy(const char *setting, const char *text, size_t len, const char **backend,
                      struct mt_err *err)
{
    const char *wl = getenv("WAYLAND_DISPLAY"), *x = getenv("DISPLAY");
    int st;

    *backend = NULL;
    if (!setting || !*setting)
        setting = "auto";
    if (!strcmp(setting, "off"))
        return mt_err_set(err, MT_E_IO, "the clipboard is off (clipboard: off)");
    if (!strcmp(setting, "osc52")) {
        if (osc52(text, len) < 0)
            return mt_err_set(err, MT_E_IO, "cannot write OSC 52 to the terminal");
        *backend = "osc52";
        return 0;
    }
    if (strcmp(setting, "auto") != 0) {
        st = run_helper(NULL, setting, text, len, NULL);
        if (st != 0) {
            mt_err_set(err, MT_E_IO, "clipboard command '%s' failed (%s %d)", setting,
                       st < 0 ? "error" : "exit status", st < 0 ? errno : st);
            return -1;
        }
        *backend = setting;
        return 0;
    }
#if defined(__APPLE__)
    if (in_path("pbcopy"))
        *backend = "pbcopy";
#endif
    if (!*backend && is_wsl() && in_path("clip.exe"))
        *backend = "clip.exe";
    if (!*backend && wl && *wl && in_path("wl-copy"))
        *backend = "wl-copy";
    if (!*backend && x && *x && in_path("xclip"))
        *backend = "xclip";
    if (!*backend && x && *x && in_path("xsel"))
        *backend = "xsel";
    if (*backend) {
        st = run_helper(find_backend(*backend)->copy, NULL, text, len, NULL);
        if (st == 0)
            return 0;
        mt_err_set(err, MT_E_IO, "clipboard helper '%s' failed (exit status %d)", *backend, st);
        *backend = NULL;
        if (!isatty(1))
            return -1;
    }
    if (isatty(1) && osc52(text, len) == 0) {
        *backend = "osc52";
        return 0;
    }
    if (err->msg[0])
        return -1;
    return mt_err_set(err, MT_E_IO, "no clipboard found (no DISPLAY/WAYLAND_DISPLAY helper, "
                                    "not a terminal for OSC 52)");
}

int mt_clipboard_clear_seconds(int configured)
{
    return configured < 0 ? MT_CLIPBOARD_CLEAR_DEFAULT : configured;
}

void mt_clipboard_print_done(FILE *f, const char *backend)
{
    if (backend && !strcmp(backend, "osc52"))
        fputs("sent to the terminal's clipboard (OSC 52)", f);
    else
        fprintf(f, "copied to the clipboard (%s)", mt_tx(backend)); /* a configured command */
}

int mt_clipboard_schedule_clear(const char *setting, const char *backend, const char *text,
                                size_t len, int seconds, struct mt_err *err)
{
    uint8_t md[MT_SHA256_LEN];
    char hex[2 * MT_SHA256_LEN + 1];
    struct mt_buf job = MT_BUF_INIT;
    pid_t pid;
    int p[2];

    if (seconds <= 0 || !backend)
        return 0;
    mt_sha256(md, text, len);
    mt_hex(hex, md, sizeof(md));
    if (mt_buf_addf(&job, "%d\n%s\n%s\n%s\n", seconds, hex, backend,
                    strcmp(backend, "osc52") && !find_backend(backend) ? setting : "") < 0) {
        mt_buf_release(&job);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    if (pipe(p) < 0) {
        mt_buf_release(&job);
        return mt_err_sys(err, MT_E_IO, errno, "cannot schedule the clipboard clear");
    }
    pid = fork();
    if (pid == 0) {
        /* first child: new session, then a grandchild that execs a fresh image of ourselves,
         * so no byte of this process's memory (credentials, token) survives in it */
        pid_t gp;
        /* the terminal for an OSC 52 clear, opened while it is still our controlling one */
        int ttyfd = strcmp(backend, "osc52") ? -1 : open("/dev/tty", O_WRONLY | O_NOCTTY);
        setsid();
        gp = fork();
        if (gp == 0) {
            int devnull = open("/dev/null", O_RDWR), fd;
            static char *const argv[] = {"mytools", "__clipboard-clear", NULL};
            dup2(p[0], 0);
            dup2(ttyfd >= 0 ? ttyfd : devnull, 1);
            dup2(devnull, 2);
            /* hold nothing of the caller's: a pipe kept open would stall `$(mytools ...)` or
             * a parent waiting for EOF until the clear */
            for (fd = 3; fd < 1024; fd++)
                close(fd);
            execv("/proc/self/exe", argv);
            _exit(127);
        }
        _exit(gp < 0 ? 1 : 0);
    }
    close(p[0]);
    if (pid > 0) {
        ssize_t w = write(p[1], job.p, job.len);
        (void)w;
        waitpid(pid, NULL, 0);
    }
    close(p[1]);
    mt_buf_release(&job);
    if (pid < 0)
        return mt_err_sys(err, MT_E_IO, errno, "cannot schedule the clipboard clear");
    return 0;
}

/* tmux turned the OSC 52 into a paste buffer: delete the buffers that still hold the text
 * (compared by SHA-256, read through tmux's stdout, never argv). */
static void tmux_delete_buffers(const char *hex_want)
{
    static const char *const list[] = {"tmux", "list-buffers", "-F", "#{buffer_name}", NULL};
    struct mt_buf names = MT_BUF_INIT, cur = MT_BUF_INIT_SECRET;
    char *p, *nl;

    if (strlen(hex_want) != 2 * MT_SHA256_LEN || run_helper(list, NULL, "", 0, &names) != 0 ||
        mt_buf_add(&names, "", 1) < 0)
        goto out;
    for (p = names.p; p && *p; p = nl ? nl + 1 : NULL) {
        const char *show[] = {"tmux", "show-buffer", "-b", p, NULL};
        const char *del[] = {"tmux", "delete-buffer", "-b", p, NULL};
        uint8_t md[MT_SHA256_LEN];
        char hex[2 * MT_SHA256_LEN + 1];
        nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        mt_buf_release(&cur);
        cur.secret = 1;
        if (!*p || run_helper(show, NULL, "", 0, &cur) != 0)
            continue;
        mt_sha256(md, cur.p ? cur.p : "", cur.len);
        mt_hex(hex, md, sizeof(md));
        if (sodium_memcmp(hex, hex_want, sizeof(hex) - 1) == 0)
            run_helper(del, NULL, "", 0, NULL);
    }
out:
    mt_buf_release(&names);
    mt_buf_release(&cur);
}

int mt_clipboard_clear_main(void)
{
    char line[4][1024];
    int i, seconds;
    struct mt_buf cur = MT_BUF_INIT_SECRET;
    const struct backend *b;
    struct timespec ts;

    for (i = 0; i < 4; i++) {
        size_t n;
        if (!fgets(line[i], sizeof(line[i]), stdin))
            return 2;
        n = strlen(line[i]);
        if (n && line[i][n - 1] == '\n')
            line[i][n - 1] = '\0';
    }
    seconds = (int)strtol(line[0], NULL, 10);
    if (seconds <= 0 || seconds > 86400)
        return 2;
    ts.tv_sec = seconds;
    ts.tv_nsec = 0;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    if (!strcmp(line[2], "osc52")) {
        const char *tmux = getenv("TMUX");
        if (isatty(1)) { /* the terminal, handed over by mt_clipboard_schedule_clear */
            /* an empty selection for the terminal (tmux ignores an empty one) */
            static const char clr[] = "\033]52;c;\a\033Ptmux;\033\033]52;c;\a\033\\";
            ssize_t w = write(1, clr, tmux && *tmux ? sizeof(clr) - 1 : 8);
            (void)w;
        }
        if (tmux && *tmux)
            tmux_delete_buffers(line[1]);
        return 0;
    }
    b = find_backend(line[2]);
    if (!b) /* a configured command: cannot read back, clear blindly */
        return run_helper(NULL, line[3], "", 0, NULL) == 0 ? 0 : 1;
    if (b->paste) {
        uint8_t md[MT_SHA256_LEN];
        char hex[2 * MT_SHA256_LEN + 1];
        if (run_helper(b->paste, NULL, "", 0, &cur) != 0)
            goto out;
        mt_sha256(md, cur.p ? cur.p : "", cur.len);
        mt_hex(hex, md, sizeof(md));
        if (sodium_memcmp(hex, line[1], sizeof(hex) - 1) != 0 || strlen(line[1]) != 64)
            goto out; /* the user copied something else since: leave it */
    }
    run_helper(b->copy, NULL, "", 0, NULL);
out:
    mt_buf_release(&cur);
    return 0;
}
