#ifndef CLUNASQLITE_SHIM_H
#define CLUNASQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import.
static inline void (*luna_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }

/// sqlite3_config is variadic; typed wrapper not needed yet.
#endif
