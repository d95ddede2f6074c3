/* SMTP delivery of one message with libcurl: MAIL FROM, RCPT TO, DATA from a read callback. */
#include "util/smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CONNECT_TIMEOUT_MS = 10000, TIMEOUT_MS = 60000 };

bool smtp_config_from_env(struct smtp_config *c)
{
    const char *url = getenv("FAIRLABEL_SMTP_URL"), *from = getenv("FAIRLABEL_MAIL_FROM");
    const char *user = getenv("FAIRLABEL_SMTP_USER"), *password = getenv("FAIRLABEL_SMTP_PASSWORD");
    c->url = url && *url ? url : NULL;
    c->user = user && *user ? user : NULL;
    c->password = password ? password : "";
    c->from = from && *from ? from : SMTP_DEFAULT_FROM;
    return c->url != NULL;
}

struct reader {
    const char *p;
    size_t left;
};

static size_t read_message(char *out, size_t size, size_t n, void *ctx)
{
    struct reader *r = ctx;
    size_t k = size * n < r->left ? size * n : r->left;
    memcpy(out, r->p, k);
    r->p += k;
    r->left -= k;
    return k;
}

int smtp_send(const struct smtp_config *c, const char *to, const char *msg, size_t len, char *err, size_t errlen)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char from[300], rcpt_text[300], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof from, "<%s>", c->from);
    snprintf(rcpt_text, sizeof rcpt_text, "<%s>", to);
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_text);
    struct reader r = {msg, len};
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (c->user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
        /* credentials never travel in clear: smtp:// must upgrade with STARTTLS */
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code) snprintf(err, errlen, "SMTP %ld: %s", code, *errbuf ? errbuf : curl_easy_strerror(rc));
        else snprintf(err, errlen, "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    return rc == CURLE_OK ? 0 : -1;
}
