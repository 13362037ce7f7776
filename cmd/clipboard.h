/* clipboard.h - copy text to the clipboard through a helper's stdin (never argv), and schedule a
 * clear that runs in a fresh detached process holding only the text's SHA-256. */
#ifndef MT_CMD_CLIPBOARD_H
#define MT_CMD_CLIPBOARD_H

#include <stddef.h>

#include "common/err.h"

/* setting: "auto", "off", "osc52", or a shell command reading the text on stdin.
 * On success *backend names what was used (static string or the command). */
int mt_clipboard_copy(const char *setting, const char *text, size_t len, const char **backend,
                      struct mt_err *err);
/* After seconds, clear the clipboard if it still holds text (backends that can read it back),
 * or unconditionally (OSC 52, clip.exe, configured commands). Starts a detached process. */
int mt_clipboard_schedule_clear(const char *setting, const char *backend, const char *text,
                                size_t len, int seconds, struct mt_err *err);
/* The hidden applet that performs the clear (reads its job from stdin). */
int mt_clipboard_clear_main(void);

#endif
