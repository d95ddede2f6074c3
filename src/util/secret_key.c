/* Loading or creating the server's secret key. */
#include "util/secret_key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <unistd.h>

static int from_hex(const char *hex, unsigned char key[SECRET_KEY_BYTES])
{
    size_t n = 0;
    return sodium_hex2bin(key, SECRET_KEY_BYTES, hex, strlen(hex), " \n", &n, NULL) == 0 && n == SECRET_KEY_BYTES
               ? 0
               : -1;
}

int secret_key_load(const char *data_dir, unsigned char key[SECRET_KEY_BYTES], char *err, size_t errlen)
{
    const char *env = getenv("FAIRLABEL_SECRET_KEY");
    if (env && *env) {
        if (from_hex(env, key)) {
            snprintf(err, errlen, "FAIRLABEL_SECRET_KEY must be 64 hex digits");
            return -1;
        }
        return 0;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/secret.key", data_dir);
    if (mkdir(data_dir, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) { /* first start: a new random key, durable before use */
        char hex[2 * SECRET_KEY_BYTES + 2];
        randombytes_buf(key, SECRET_KEY_BYTES);
        sodium_bin2hex(hex, sizeof hex - 1, key, SECRET_KEY_BYTES);
        strcat(hex, "\n");
        bool ok = write(fd, hex, strlen(hex)) == (ssize_t)strlen(hex) && fsync(fd) == 0;
        close(fd);
        if (!ok) {
            unlink(path);
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
        return 0;
    }
    if (errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    FILE *f = fopen(path, "r");
    char line[200] = "";
    bool ok = f && fgets(line, sizeof line, f);
    if (f) fclose(f);
    if (!ok || from_hex(line, key)) {
        snprintf(err, errlen, "%s does not hold a key of 64 hex digits", path);
        return -1;
    }
    return 0;
}
