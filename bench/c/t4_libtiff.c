/*
 * t4_libtiff.c - the C side of bench/t4.ts, compiled against libtiff and run in the same
 * `npm run bench`.
 *
 * It times libtiff's CCITT codec (tif_fax3.c: Group 3 1-D = MH, Group 3 2-D = MR, Group 4 = MMR)
 * on the very pages the TypeScript benchmark uses (bench/t4.ts writes them to POOL_FILE), through
 * libtiff's public API on an in-memory TIFF (TIFFClientOpen over a growable buffer, no file I/O):
 *
 *   encode  one op = TIFFClientOpen("w") + the tags + TIFFWriteEncodedStrip(whole page, one
 *           strip) + TIFFClose: the page coded as TIFF Class F (an EOL before each row, no RTC;
 *           MR with k = 4 since YResolution = 196 dpi; G4 with EOFB). The fixed cost of opening
 *           and closing the TIFF is timed alone too (c/libtiff/tiff-overhead, a 1x1 page) and is
 *           small next to a page.
 *   decode  one op = TIFFReadEncodedStrip(strip 0) of a TIFF opened once per page (memory-mapped
 *           client, so libtiff reads the coded strip in place) into a preallocated buffer.
 *
 * Pages are used round-robin (op i = page i mod count). Timing: one thread; per benchmark a
 * warm-up, then RUNS runs, each a loop of fixed-size batches that stops once MIN_SECONDS have
 * passed on the run clock (process CPU time, or wall time with --wall). Output: one JSON object
 * per line on stdout (parsed by bench/lib.ts), notes on stderr:
 *   {"name","description","unit":"page","check","ops":[..],"nsPerOp":[..],"wallNsPerOp":[..]}
 * "check" is FNV-1a over what the op produces for every page once, from a fresh state (the coded
 * strips, or the decoded rows), so the TypeScript side can prove it did the same work.
 *
 * Usage: t4_libtiff [--wall] POOL_FILE MIN_SECONDS RUNS WARMUP_SECONDS [NAME...]
 * POOL_FILE: "FWT4", u32 LE count, then count x (u32 LE width, u32 LE height, height x
 * ceil(width/8) octets of rows, MSB = leftmost pel, 1 = black).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tiffio.h>
#include "bench_measure.h"

/* One op is a page; the first trial batch is 1 ops. */
static void measure(const char *name, const char *description, batch_fn_t fn, void *ctx, const char *check)
{
    measure_ops(name, description, "page", check, 1, fn, ctx);
}

#define MAX_PAGES 64

typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t stride;
    uint8_t *rows;
} page_t;

typedef struct {
    uint8_t *p;
    size_t len;
    size_t cap;
    size_t pos;
} mem_t;

static page_t pages[MAX_PAGES];
static int n_pages;
static int n_names;
static char **names;

static void die(const char *msg)
{
    fprintf(stderr, "t4_libtiff: %s\n", msg);
    exit(2);
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

#define FNV_INIT 2166136261u

static int selected(const char *name)
{
    return bench_selected(n_names, names, name);
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t) b[0] | ((uint32_t) b[1] << 8) | ((uint32_t) b[2] << 16) | ((uint32_t) b[3] << 24);
}

static void load_pool(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t h[8];
    uint32_t count;
    uint32_t i;
    if (f == NULL)
        die("cannot open the pool file");
    if (fread(h, 1, 8, f) != 8 || memcmp(h, "FWT4", 4) != 0)
        die("not a pool file");
    count = le32(h + 4);
    if (count == 0 || count > MAX_PAGES)
        die("bad page count");
    for (i = 0; i < count; i++) {
        page_t *pg = &pages[i];
        uint8_t d[8];
        size_t size;
        if (fread(d, 1, 8, f) != 8)
            die("pool file truncated");
        pg->width = le32(d);
        pg->height = le32(d + 4);
        if (pg->width == 0 || pg->width > 65536 || pg->height == 0 || pg->height > 65536)
            die("bad page size");
        pg->stride = (pg->width + 7) / 8;
        size = (size_t) pg->stride * pg->height;
        pg->rows = malloc(size);
        if (pg->rows == NULL || fread(pg->rows, 1, size, f) != size)
            die("pool file truncated");
    }
    n_pages = (int) count;
    fclose(f);
}

/* ---- in-memory TIFF client ---- */

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
    mem_t *m = (mem_t *) h;
    size_t k = (size_t) n;
    if (m->pos >= m->len)
        return 0;
    if (k > m->len - m->pos)
        k = m->len - m->pos;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (tmsize_t) k;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
    mem_t *m = (mem_t *) h;
    size_t end = m->pos + (size_t) n;
    if (end > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < end)
            cap *= 2;
        m->p = realloc(m->p, cap);
        if (m->p == NULL)
            die("out of memory");
        m->cap = cap;
    }
    memcpy(m->p + m->pos, buf, (size_t) n);
    m->pos = end;
    if (end > m->len)
        m->len = end;
    return n;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    mem_t *m = (mem_t *) h;
    size_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->len;
    m->pos = base + (size_t) off;
    return (toff_t) m->pos;
}

static int mem_close(thandle_t h)
{
    (void) h;
    return 0;
}

static toff_t mem_size(thandle_t h)
{
    return (toff_t) ((mem_t *) h)->len;
}

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    mem_t *m = (mem_t *) h;
    *base = m->p;
    *size = (toff_t) m->len;
    return 1;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
    (void) h;
    (void) base;
    (void) size;
}

static TIFF *mem_open(mem_t *m, const char *mode)
{
    m->pos = 0;
    return TIFFClientOpen("mem", mode, (thandle_t) m, mem_read, mem_write, mem_seek, mem_close, mem_size, mem_map, mem_unmap);
}

/* ---- the operations ---- */

typedef enum { MH = 0, MR = 1, MMR = 2 } coding_t;
static const char *const coding_names[] = { "mh", "mr", "mmr" };

/* Writes `pg` as a one-strip TIFF coded with `coding` into `m` (reset first). */
static void write_page(mem_t *m, const page_t *pg, coding_t coding)
{
    TIFF *t;
    m->len = 0;
    t = mem_open(m, "w");
    if (t == NULL)
        die("TIFFClientOpen(w) failed");
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, pg->width);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, pg->height);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, pg->height);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
    TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
    TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    TIFFSetField(t, TIFFTAG_COMPRESSION, coding == MMR ? COMPRESSION_CCITTFAX4 : COMPRESSION_CCITTFAX3);
    if (coding != MMR)
        TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, coding == MR ? GROUP3OPT_2DENCODING : 0);
    if (TIFFWriteEncodedStrip(t, 0, pg->rows, (tmsize_t) pg->stride * pg->height) < 0)
        die("TIFFWriteEncodedStrip failed");
    TIFFClose(t);
}

typedef struct {
    coding_t coding;
    mem_t mem;
    uint64_t i;
} enc_ctx_t;

static uint64_t encode_batch(void *vctx, uint64_t n)
{
    enc_ctx_t *c = (enc_ctx_t *) vctx;
    uint64_t acc = 0;
    uint64_t k;
    for (k = 0; k < n; k++) {
        write_page(&c->mem, &pages[c->i++ % (uint64_t) n_pages], c->coding);
        acc += c->mem.len;
    }
    return acc;
}

static uint64_t overhead_batch(void *vctx, uint64_t n)
{
    static uint8_t one_row[1] = { 0 };
    static page_t tiny = { 1, 1, 1, one_row };
    enc_ctx_t *c = (enc_ctx_t *) vctx;
    uint64_t acc = 0;
    uint64_t k;
    for (k = 0; k < n; k++) {
        write_page(&c->mem, &tiny, c->coding);
        acc += c->mem.len;
    }
    return acc;
}

typedef struct {
    mem_t mem[MAX_PAGES];
    TIFF *tif[MAX_PAGES];
    uint8_t *out;
    tmsize_t out_size;
    uint64_t i;
} dec_ctx_t;

static uint64_t decode_batch(void *vctx, uint64_t n)
{
    dec_ctx_t *c = (dec_ctx_t *) vctx;
    uint64_t acc = 0;
    uint64_t k;
    for (k = 0; k < n; k++) {
        int p = (int) (c->i++ % (uint64_t) n_pages);
        tmsize_t got = TIFFReadEncodedStrip(c->tif[p], 0, c->out, c->out_size);
        if (got < 0)
            die("TIFFReadEncodedStrip failed");
        acc += (uint64_t) got + c->out[got / 2];
    }
    return acc;
}

/* The raw (coded) strip of a TIFF in memory. */
static uint8_t *raw_strip(mem_t *m, tmsize_t *len)
{
    TIFF *t = mem_open(m, "rm");
    uint64_t *counts;
    uint8_t *buf;
    if (t == NULL || !TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &counts))
        die("cannot read back the coded TIFF");
    *len = (tmsize_t) counts[0];
    buf = malloc((size_t) *len);
    if (buf == NULL || TIFFReadRawStrip(t, 0, buf, *len) != *len)
        die("TIFFReadRawStrip failed");
    TIFFClose(t);
    return buf;
}

/* ---- timing ---- */


static void bench_coding(coding_t coding)
{
    char name[64];
    char desc[160];
    char check[64];
    enc_ctx_t enc;
    dec_ctx_t *dec;
    uint32_t h;
    int p;

    /* Encode. Fingerprint: the coded strips of every page, once. */
    memset(&enc, 0, sizeof(enc));
    enc.coding = coding;
    snprintf(name, sizeof(name), "c/libtiff/encode/%s", coding_names[coding]);
    dec = calloc(1, sizeof(*dec));
    if (dec == NULL)
        die("out of memory");
    h = FNV_INIT;
    for (p = 0; p < n_pages; p++) {
        tmsize_t len;
        uint8_t *raw;
        write_page(&dec->mem[p], &pages[p], coding);
        raw = raw_strip(&dec->mem[p], &len);
        h = fnv1a(h, raw, (size_t) len);
        free(raw);
    }
    snprintf(check, sizeof(check), "fnv1a32:%08x/%d", h, n_pages);
    if (selected(name)) {
        snprintf(desc, sizeof(desc), "libtiff %s: TIFFClientOpen + TIFFWriteEncodedStrip(page) + TIFFClose, in memory",
                 coding == MMR ? "Group 4" : coding == MR ? "Group 3 2-D (k=4)" : "Group 3 1-D");
        measure(name, desc, encode_batch, &enc, check);
    }

    /* Decode: every page's TIFF opened once; fingerprint = the decoded rows of every page. */
    snprintf(name, sizeof(name), "c/libtiff/decode/%s", coding_names[coding]);
    dec->out_size = 0;
    for (p = 0; p < n_pages; p++) {
        tmsize_t size = (tmsize_t) pages[p].stride * pages[p].height;
        if (size > dec->out_size)
            dec->out_size = size;
    }
    dec->out = malloc((size_t) dec->out_size);
    if (dec->out == NULL)
        die("out of memory");
    h = FNV_INIT;
    for (p = 0; p < n_pages; p++) {
        tmsize_t got;
        dec->tif[p] = mem_open(&dec->mem[p], "rm");
        if (dec->tif[p] == NULL)
            die("TIFFClientOpen(r) failed");
        got = TIFFReadEncodedStrip(dec->tif[p], 0, dec->out, dec->out_size);
        if (got != (tmsize_t) pages[p].stride * pages[p].height || memcmp(dec->out, pages[p].rows, (size_t) got) != 0)
            fprintf(stderr, "t4_libtiff: WARNING %s page %d does not decode to the page\n", coding_names[coding], p);
        h = fnv1a(h, dec->out, (size_t) got);
    }
    snprintf(check, sizeof(check), "fnv1a32:%08x/%d", h, n_pages);
    if (selected(name)) {
        snprintf(desc, sizeof(desc), "libtiff %s: TIFFReadEncodedStrip(page) into a preallocated buffer",
                 coding == MMR ? "Group 4" : coding == MR ? "Group 3 2-D" : "Group 3 1-D");
        measure(name, desc, decode_batch, dec, check);
    }
    for (p = 0; p < n_pages; p++) {
        TIFFClose(dec->tif[p]);
        free(dec->mem[p].p);
    }
    free(dec->out);
    free(dec);
    free(enc.mem.p);
}

int main(int argc, char *argv[])
{
    int c;
    if (argc > 1 && strcmp(argv[1], "--wall") == 0) {
        bench_clock = CLOCK_MONOTONIC;
        argv++;
        argc--;
    }
    if (argc < 5) {
        fprintf(stderr, "usage: t4_libtiff [--wall] POOL_FILE MIN_SECONDS RUNS WARMUP_SECONDS [NAME...]\n");
        return 2;
    }
    load_pool(argv[1]);
    min_seconds = atof(argv[2]);
    runs = atoi(argv[3]);
    warmup_seconds = atof(argv[4]);
    n_names = argc - 5;
    names = argv + 5;
    if (min_seconds <= 0 || runs < 1 || runs > 64 || warmup_seconds < 0)
        die("bad MIN_SECONDS / RUNS / WARMUP_SECONDS");
    TIFFSetWarningHandler(NULL);
    for (c = MH; c <= MMR; c++)
        bench_coding((coding_t) c);
    if (selected("c/libtiff/tiff-overhead")) {
        enc_ctx_t o;
        memset(&o, 0, sizeof(o));
        o.coding = MH;
        measure("c/libtiff/tiff-overhead", "TIFFClientOpen + tags + 1x1 strip + TIFFClose (fixed cost inside each encode op)",
                overhead_batch, &o, "");
        free(o.mem.p);
    }
    return 0;
}
