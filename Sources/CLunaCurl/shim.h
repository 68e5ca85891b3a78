#ifndef CLUNACURL_SHIM_H
#define CLUNACURL_SHIM_H
// Typed wrappers for libcurl's variadic entry points, which Swift cannot call.
//
// Each wrapper fixes the type of the third argument, so the compiler checks what
// Swift passes and libcurl reads exactly the type the option documents. Only the
// LunaHTTP room imports this module.
#include <curl/curl.h>

/// `curl_global_init(CURL_GLOBAL_ALL)`; the flag macro is not importable.
static inline CURLcode luna_curl_global_init(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

/// The size libcurl requires for a `CURLOPT_ERRORBUFFER` buffer.
static inline long luna_curl_error_size(void) { return CURL_ERROR_SIZE; }

/// `curl_easy_setopt` for options taking a `long`.
static inline CURLcode luna_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// `curl_easy_setopt` for options taking a NUL-terminated string (libcurl copies it).
static inline CURLcode luna_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// `curl_easy_setopt` for options taking an opaque pointer (context, buffers).
static inline CURLcode luna_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// `curl_easy_setopt` for options taking a `curl_off_t` (the `_LARGE` options).
static inline CURLcode luna_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// `curl_easy_setopt` for options taking a `struct curl_slist *` (HTTPHEADER, ...).
static inline CURLcode luna_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/// `curl_easy_setopt` for CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
static inline CURLcode luna_curl_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// `curl_easy_getinfo` for infos returning a `long`.
static inline CURLcode luna_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// `curl_easy_getinfo` for infos returning a `double`.
static inline CURLcode luna_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// `curl_easy_getinfo` for infos returning a `curl_off_t` (the `_T` infos).
static inline CURLcode luna_curl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// `curl_easy_getinfo` for infos returning a string owned by the handle.
static inline CURLcode luna_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
