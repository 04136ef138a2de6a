/* crc32c.h - CRC32C, the checksum that frames run-log records. */
#ifndef TW_CRC32C_H
#define TW_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78) of len bytes, continuing from crc
 * (start with 0). crc32c("123456789") == 0xE3069283. */
uint32_t tw_crc32c(uint32_t crc, const void *data, size_t len);

/* The same function computed with tables only (what tw_crc32c uses on CPUs without a CRC32C
 * instruction); for tests. */
uint32_t tw_crc32c_portable(uint32_t crc, const void *data, size_t len);

#endif
