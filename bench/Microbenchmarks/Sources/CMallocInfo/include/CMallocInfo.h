#ifndef CMALLOCINFO_H
#define CMALLOCINFO_H

#include <stddef.h>

/// Bytes malloc has handed out and not had back: glibc's mallinfo2, in-use
/// chunks plus mmapped ones. 0 where there is no mallinfo2 (not glibc 2.33+).
/// Swift's Glibc module does not export mallinfo2, hence this shim.
size_t cmallocinfo_heap_in_use(void);

#endif
