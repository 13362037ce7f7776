/* fuzz_dbprobe.c - the parsers of server bytes in common/dbprobe.c on arbitrary input: the MySQL
 * greeting (first byte of the input chooses nothing; the whole input is the payload) and the DNS
 * answer reader that follows CNAMEs. Properties: never crashes; every string result is
 * NUL-terminated within its buffer, free of control characters, and a CNAME target has no
 * upper-case letters; a chain walk over one message ends within MT_PROBE_MAX_CNAMES steps. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dbprobe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clean(const char *s, size_t n)
{
    size_t i;
    if (!memchr(s, '\0', n))
        abort();
    for (i = 0; s[i]; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_probe_result r;
    char name[256] = "db.example.test", out[256];
    int steps = 0, rc;

    memset(&r, 0, sizeof(r));
    rc = mt_probe_mysql_greeting(data, size, &r);
    clean(r.error, sizeof(r.error));
    clean(r.server_version, sizeof(r.server_version));
    if (rc == 0 && (r.error[0] || r.tls_refused))
        abort();
    if (rc < 0 && !r.error[0])
        abort();

    if (size > 65535)
        return 0;
    while (steps < MT_PROBE_MAX_CNAMES &&
           mt_probe_answer_cname(data, (int)size, name, out) == 1) {
        size_t i;
        clean(out, sizeof(out));
        for (i = 0; out[i]; i++)
            if (isupper((unsigned char)out[i]))
                abort();
        memcpy(name, out, sizeof(name));
        steps++;
    }
    return 0;
}
