#ifndef CLUNACURL_SHIM_H
#define CLUNACURL_SHIM_H
#include <curl/curl.h>
#endif
