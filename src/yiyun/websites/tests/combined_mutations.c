/* Memory check of combined.c: real lines, mutated at random, parsed under AddressSanitizer
 * and UndefinedBehaviorSanitizer (test_combined.py compiles and runs this). Each input is
 * an exact-size heap copy, so reading one byte past a line is caught. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../combined.h"

static void parse(const char *input, int64_t length, int with_host) {
    char *copy = malloc(length ? (size_t)length : 1);
    memcpy(copy, input, (size_t)length);
    int64_t rows = yy_count_lines(copy, length) + 1, bitmap = rows / 8 + 1;
    yy_columns c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < 9; i++) {
        c.text[i].offsets = calloc((size_t)rows + 1, 4);
        c.text[i].data = malloc(length ? (size_t)length : 1);
        c.text[i].valid = calloc((size_t)bitmap, 1);
        c.text[i].capacity = length;
    }
    c.ts = calloc((size_t)rows, 8), c.ip_hi = calloc((size_t)rows, 8);
    c.ip_lo = calloc((size_t)rows, 8), c.ip_valid = calloc((size_t)bitmap, 1);
    c.status = calloc((size_t)rows, 2), c.status_valid = calloc((size_t)bitmap, 1);
    c.bytes = calloc((size_t)rows, 8), c.bytes_valid = calloc((size_t)bitmap, 1);
    c.parse_error = calloc((size_t)rows, 1), c.day = calloc((size_t)rows, 4);
    c.row = calloc((size_t)rows, 8);
    int64_t parsed = yy_parse_combined(copy, length, with_host, 1700000000000000LL, &c);
    if (parsed < 0 || parsed > rows) abort();
    for (int i = 0; i < 9; i++) {
        if (c.text[i].offsets[parsed] > length) abort();
        free(c.text[i].offsets), free(c.text[i].data), free(c.text[i].valid);
    }
    free(c.ts), free(c.ip_hi), free(c.ip_lo), free(c.ip_valid), free(c.status);
    free(c.status_valid), free(c.bytes), free(c.bytes_valid), free(c.parse_error), free(c.day);
    free(c.row), free(copy);
}

int main(int argc, char **argv) {
    static const char *seeds[] = {
        "203.0.113.7 - - [19/Nov/2026:08:00:01 +0800] \"GET /a?b=c HTTP/1.1\" 200 512 \"-\" "
        "\"Mozilla/5.0\" \"www.kpxyy.cn\"\n",
        "2001:db8::1 - alice [19/Nov/2026:23:59:59 -0500] \"POST /login HTTP/2.0\" 302 0 "
        "\"https://x/\" \"curl\"\n::ffff:1.2.3.4 - - [29/Feb/2028:12:30:00 +0000] \"HEAD /x "
        "HTTP/1.0\" 499 - \"-\" \"-\"",
    };
    static const char alphabet[] = " \"-[]:/.+0123456789aAfF\\\n\r\tx";
    long iterations = argc > 1 ? atol(argv[1]) : 100000;
    char line[1024];
    srand(argc > 2 ? (unsigned)atoi(argv[2]) : 7);
    for (long n = 0; n < iterations; n++) {
        const char *seed = seeds[rand() % 2];
        size_t length = strlen(seed);
        memcpy(line, seed, length);
        for (int m = 1 + rand() % 8; m > 0 && length > 1; m--) {
            size_t at = (size_t)rand() % length;
            switch (rand() % 5) {
            case 0: memmove(line + at, line + at + 1, length - at - 1), length--; break;
            case 1: line[at] = alphabet[rand() % (int)(sizeof alphabet - 1)]; break;
            case 2:
                if (length < sizeof line - 1) {
                    memmove(line + at + 1, line + at, length - at), length++;
                    line[at] = alphabet[rand() % (int)(sizeof alphabet - 1)];
                }
                break;
            case 3: line[at] = (char)rand(); break;
            default: length = at + 1; /* cut short */
            }
        }
        parse(line, (int64_t)length, rand() % 2);
    }
    printf("%ld inputs\n", iterations);
    return 0;
}
