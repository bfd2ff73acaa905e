// The magicless frame format (4 bytes less per compressed row) is an advanced parameter.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
