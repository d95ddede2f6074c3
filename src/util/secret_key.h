/* The server's secret key, from which per-project secrets (callback signing) are derived. */
#ifndef FL_SECRET_KEY_H
#define FL_SECRET_KEY_H
#include <stddef.h>

#define SECRET_KEY_BYTES 32

/* FAIRLABEL_SECRET_KEY (64 hex digits) when set; else DIR/secret.key, created with a random key
 * (mode 0600) on first use. Servers sharing one database must share the key. 0, or -1 with err. */
int secret_key_load(const char *data_dir, unsigned char key[SECRET_KEY_BYTES], char *err, size_t errlen);

#endif
