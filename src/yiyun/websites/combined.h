/* The C parser of nginx `combined` lines: its columns and entry points (see combined.c;
 * combined.py mirrors these structures with ctypes). */
#ifndef YIYUN_COMBINED_H
#define YIYUN_COMBINED_H

#include <stdint.h>

typedef struct {
    int32_t *offsets; /* rows + 1 */
    char *data;
    uint8_t *valid; /* bitmap, zeroed by the caller */
    int64_t capacity;
} yy_text;

enum { T_IP, T_USER, T_METHOD, T_PATH, T_PROTOCOL, T_REFERER, T_USER_AGENT, T_HOST, T_RAW, T_COUNT };

typedef struct {
    yy_text text[T_COUNT];
    int64_t *ts; /* microseconds since the epoch, UTC; never null */
    uint64_t *ip_hi, *ip_lo;
    uint8_t *ip_valid;
    uint16_t *status;
    uint8_t *status_valid;
    uint64_t *bytes;
    uint8_t *bytes_valid;
    uint8_t *parse_error; /* one byte per row */
    int32_t *day;         /* days since 1970-01-01 in Asia/Shanghai (UTC+8, no DST) */
    int64_t *row;         /* the row's number in this chunk */
} yy_columns;

/* The number of '\n' in buf[0:length): the caller sizes its columns from it (+ 1). */
int64_t yy_count_lines(const char *buf, int64_t length);

/* Of buf[0:length): 1 if it holds a control character other than '\n' (nginx escapes
 * them), 0 if not; plus 2 if it holds a byte >= 0x80 (UTF-8 to check). */
int yy_scan_bytes(const char *buf, int64_t length);

/* Parse the lines of buf[0:length) into `out` (an empty line is a line that did not
 * parse). Returns the rows written, or -1 when a text column would pass its limits. */
int64_t yy_parse_combined(const char *buf, int64_t length, int with_host, int64_t received_micros,
                          yy_columns *out);

#endif
