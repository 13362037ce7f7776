/* clipboard.h - copy text to the clipboard through a helper's stdin (never argv), and schedule a
 * clear that runs in a fresh detached process holding only the text's SHA-256. */
#ifndef MT_CMD_CLIPBOARD_H
#define MT_CMD_CLIPBOARD_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"

/* setting: "auto", "off", "osc52", or a shell command reading the text on stdin.
 * On success *backend names what was used (static string or the command). */
int mt_clipboard_copy(const char *setting, const char *text, size_t len, const char **backend,
                      struct mt_err *err);
/* After seconds, clear the clipboard if it still holds text (backends that can read it back),
 * or unconditionally (OSC 52, clip.exe, configured commands). Starts a detached process. */
int mt_clipboard_schedule_clear(const char *setting, const char *backend, const char *text,
                                size_t len, int seconds, struct mt_err *err);
/* Seconds after which a copied token is cleared: the configured clipboard_clear (0 = never),
 * or MT_CLIPBOARD_CLEAR_DEFAULT when not configured (-1), as pass(1) does. */
#define MT_CLIPBOARD_CLEAR_DEFAULT 45
int mt_clipboard_clear_seconds(int configured);
/* What happened, for the user: "copied to the clipboard (xclip)" for a helper that confirmed
 * (exit status 0), "sent to the terminal's clipboard (OSC 52)" for OSC 52, which no terminal
 * acknowledges. Never claims a copy that cannot be confirmed. */
void mt_clipboard_print_done(FILE *f, const char *backend);
/* The hidden applet that performs the clear (reads its job from stdin). */
int mt_clipboard_clear_main(void);

#endif
