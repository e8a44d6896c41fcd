/*
 * udptl_baseline.c - the C side of bench/udptl.ts, compiled and run in the same `npm run bench`.
 *
 * It times what a C T.38 stack built on spandsp does per UDPTL datagram, on the very datagrams
 * the TypeScript benchmarks use (bench/udptl.ts writes them to POOL_FILE):
 *
 *   decode  the spandsp reference peer's UDPTL parser (udptl_receive() from
 *           ../shared/interop/spandsp-peer/src/udptl.c, compiled from there at bench time), handing
 *           each IFP to libspandsp's t38_core_rx_ifp_packet() - IFP decode, sequence check and
 *           dispatch to the rx handlers, i.e. what spandsp does per datagram. The two halves are
 *           also timed alone.
 *   encode  libspandsp's t38_core_send_data() (IFP encode) -> tx handler -> udptl_build()
 *           (redundancy 1), and -> a parity-FEC UDPTL writer written below (neither the peer nor
 *           libspandsp 0.0.6 has a FEC sender). The FEC layout is the one documented in
 *           src/t38/udptl-sender.ts (T.38 §9.1 fec-info, as Asterisk and spandsp lay it out).
 *
 * Timing: one thread; per benchmark a warm-up, then RUNS runs, each a loop of fixed-size batches
 * that stops once MIN_SECONDS have passed (CLOCK_MONOTONIC). Output: one JSON object per line on
 * stdout (parsed by bench/lib.ts), human-readable notes on stderr:
 *   {"name":"...","description":"...","unit":"datagram","ops":[...],"nsPerOp":[...],"check":"..."}
 * "check" is a fingerprint of the work done (FNV-1a over the first 512 outputs from a fresh
 * state) that the TypeScript side compares with its own, so both sides provably do the same job.
 *
 * Usage: udptl_baseline [--wall] POOL_FILE MIN_SECONDS RUNS WARMUP_SECONDS [NAME...]
 * Runs are timed with process CPU time (CLOCK_PROCESS_CPUTIME_ID; wall time is reported beside
 * it), or with wall time under --wall.
 * POOL_FILE: "FWUD", u32 LE count (a power of two), then count x (u16 LE length, datagram octets).
 * Every datagram is seq | primary | 00 | 01 | secondary, primary and secondary being v3 IFPs
 * "d0 01 b0 00 35" + 54 octets (V.17 14400 t4-non-ecm-data); datagram i+1's secondary is
 * datagram i's primary, cyclically. Seq octets are rewritten on the fly (seq = op count).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp.h>

#include "udptl.h"
#include "bench_measure.h"

/* One op is a datagram; the first trial batch is 64 ops. */
static void measure(const char *name, const char *description, batch_fn_t fn, void *ctx, const char *check)
{
    measure_ops(name, description, "datagram", check, 64, fn, ctx);
}

#define FP_COUNT 512            /* outputs covered by a fingerprint */
#define IFP_HEADER 5            /* d0 01 b0 00 35 */
#define PAYLOAD 54

typedef struct {
    uint8_t *d;
    int len;
    const uint8_t *primary;     /* inside d */
    int primary_len;
    const uint8_t *payload;     /* the 54 octets of t4-non-ecm-data, inside the primary */
} dgram_t;

static dgram_t *pool;
static uint32_t pool_mask;
static int n_names;
static char **names;

/* ---- helpers ---- */

static uint32_t fnv1a(uint32_t h, const uint8_t *p, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

#define FNV_INIT 2166136261u

static void put_seq(uint8_t *d, uint16_t seq)
{
    d[0] = (uint8_t) (seq >> 8);
    d[1] = (uint8_t) seq;
}

static int selected(const char *name)
{
    return bench_selected(n_names, names, name);
}

static void die(const char *msg)
{
    fprintf(stderr, "udptl_baseline: %s\n", msg);
    exit(2);
}

static void load_pool(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t h[8];
    uint32_t count;
    uint32_t i;

    if (f == NULL)
        die("cannot open the pool file");
    if (fread(h, 1, 8, f) != 8 || memcmp(h, "FWUD", 4) != 0)
        die("not a pool file");
    count = (uint32_t) h[4] | ((uint32_t) h[5] << 8) | ((uint32_t) h[6] << 16) | ((uint32_t) h[7] << 24);
    if (count == 0 || (count & (count - 1)) != 0 || count > 65536)
        die("pool count must be a power of two <= 65536");
    pool = calloc(count, sizeof(*pool));
    pool_mask = count - 1;
    for (i = 0; i < count; i++) {
        uint8_t l[2];
        dgram_t *g = &pool[i];
        if (fread(l, 1, 2, f) != 2)
            die("pool file truncated");
        g->len = l[0] | (l[1] << 8);
        g->d = malloc(g->len);
        if (g->len < 8 || fread(g->d, 1, g->len, f) != (size_t) g->len)
            die("pool file truncated");
        /* Setup-time parse (not timed): the primary's one-octet length determinant at offset 2. */
        g->primary_len = g->d[2];
        g->primary = g->d + 3;
        if (g->primary_len != IFP_HEADER + PAYLOAD
            || memcmp(g->primary, "\xd0\x01\xb0\x00\x35", IFP_HEADER) != 0)
            die("unexpected datagram shape (want a v3 V.17 t4-non-ecm-data:54 primary)");
        g->payload = g->primary + IFP_HEADER;
    }
    fclose(f);
}


/* ---- decode: peer udptl_receive + spandsp t38_core_rx_ifp_packet ---- */

typedef struct {
    udptl_t u;
    t38_core_state_t *core;
    uint32_t i;
    uint16_t seq;
    uint16_t cur_seq;
    int fingerprinting;
    uint32_t hash;
    uint64_t delivered;
    uint64_t data_calls;
    uint64_t data_octets;
    uint64_t indicators;
    uint64_t missing;
} dec_t;

static int rx_indicator(t38_core_state_t *s, void *user, int indicator)
{
    (void) s;
    (void) indicator;
    ((dec_t *) user)->indicators++;
    return 0;
}

static int rx_data(t38_core_state_t *s, void *user, int data_type, int field_type, const uint8_t *buf, int len)
{
    dec_t *c = (dec_t *) user;
    (void) s;
    (void) data_type;
    (void) field_type;
    c->data_calls++;
    c->data_octets += (uint64_t) len;
    if (c->fingerprinting && c->cur_seq < FP_COUNT && len > 0)
        c->hash = fnv1a(c->hash, buf, len);
    return 0;
}

static int rx_missing(t38_core_state_t *s, void *user, int rx_seq_no, int expected_seq_no)
{
    (void) s;
    (void) rx_seq_no;
    (void) expected_seq_no;
    ((dec_t *) user)->missing++;
    return 0;
}

static int deliver_to_core(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
    dec_t *c = (dec_t *) user;
    c->delivered++;
    c->cur_seq = seq;
    t38_core_rx_ifp_packet(c->core, ifp, len, seq);
    return 0;
}

static int deliver_count(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
    dec_t *c = (dec_t *) user;
    (void) ifp;
    (void) seq;
    c->delivered++;
    c->data_octets += (uint64_t) len;
    return 0;
}

static void dec_init(dec_t *c)
{
    memset(c, 0, sizeof(*c));
    udptl_init(&c->u, 1);
    c->core = t38_core_init(NULL, rx_indicator, rx_data, rx_missing, c, NULL, NULL);
    if (c->core == NULL)
        die("t38_core_init failed");
    t38_set_t38_version(c->core, 3);
    c->hash = FNV_INIT;
}

static uint64_t dec_full_batch(void *ctx, uint64_t n)
{
    dec_t *c = (dec_t *) ctx;
    uint64_t k;
    for (k = 0; k < n; k++) {
        dgram_t *g = &pool[c->i++ & pool_mask];
        put_seq(g->d, c->seq++);
        udptl_receive(&c->u, g->d, g->len, deliver_to_core, c);
    }
    return c->delivered;
}

static uint64_t dec_udptl_batch(void *ctx, uint64_t n)
{
    dec_t *c = (dec_t *) ctx;
    uint64_t k;
    for (k = 0; k < n; k++) {
        dgram_t *g = &pool[c->i++ & pool_mask];
        put_seq(g->d, c->seq++);
        udptl_receive(&c->u, g->d, g->len, deliver_count, c);
    }
    return c->data_octets;
}

static uint64_t dec_core_batch(void *ctx, uint64_t n)
{
    dec_t *c = (dec_t *) ctx;
    uint64_t k;
    for (k = 0; k < n; k++) {
        dgram_t *g = &pool[c->i++ & pool_mask];
        t38_core_rx_ifp_packet(c->core, g->primary, g->primary_len, c->seq++);
    }
    return c->data_calls;
}

static void report_decode_health(const char *name, dec_t *c, int expect_data)
{
    /* Every datagram must have been delivered once, with no loss seen by spandsp. */
    if (c->missing != 0 || c->u.rx_lost != 0 || c->u.rx_malformed != 0
        || (expect_data && c->data_calls != c->delivered))
        fprintf(stderr, "udptl_baseline: WARNING %s: delivered=%llu data_calls=%llu missing=%llu lost=%u malformed=%u\n",
                name, (unsigned long long) c->delivered, (unsigned long long) c->data_calls,
                (unsigned long long) c->missing, c->u.rx_lost, c->u.rx_malformed);
}

static void bench_decode(void)
{
    static dec_t c;
    char check[64];
    uint32_t k;

    if (selected("c/decode/udptl+t38core")) {
        /* Fingerprint: fresh state, seq 0..511, field data of the IFPs delivered for seq < 512. */
        dec_init(&c);
        c.fingerprinting = 1;
        for (k = 0; k < FP_COUNT; k++) {
            dgram_t *g = &pool[k & pool_mask];
            put_seq(g->d, (uint16_t) k);
            udptl_receive(&c.u, g->d, g->len, deliver_to_core, &c);
        }
        snprintf(check, sizeof(check), "fnv1a32:%08x/%u", c.hash, FP_COUNT);
        report_decode_health("fingerprint", &c, 1);
        t38_core_free(c.core);

        dec_init(&c);
        measure("c/decode/udptl+t38core",
                "peer udptl_receive() + spandsp t38_core_rx_ifp_packet() per IFP",
                dec_full_batch, &c, check);
        report_decode_health("c/decode/udptl+t38core", &c, 1);
        t38_core_free(c.core);
    }
    if (selected("c/part/udptl")) {
        dec_init(&c);
        measure("c/part/udptl", "peer udptl_receive() alone (handler counts the IFP)", dec_udptl_batch, &c, "");
        report_decode_health("c/part/udptl", &c, 0);
        t38_core_free(c.core);
    }
    if (selected("c/part/t38core")) {
        dec_init(&c);
        measure("c/part/t38core", "spandsp t38_core_rx_ifp_packet() alone on the primary IFP", dec_core_batch, &c, "");
        if (c.missing != 0 || c.data_calls == 0)
            fprintf(stderr, "udptl_baseline: WARNING c/part/t38core: data_calls=%llu missing=%llu\n",
                    (unsigned long long) c.data_calls, (unsigned long long) c.missing);
        t38_core_free(c.core);
    }
}

/* ---- encode: spandsp t38_core_send_data -> UDPTL (peer redundancy 1, or own FEC) ---- */

/*
 * Parity FEC writer (written here; layout from src/t38/udptl-sender.ts, T.38 §9.1 fec-info):
 * datagram n carries fec-npackets S and E fec-data entries; entry m is the XOR of the IFPs sent
 * (S*E - m - k*E) datagrams earlier, k = 0..S-1, zero-padded to the longest. While fewer than
 * S*E IFPs have been sent: E = sent / S, and S = 0 while sent < S.
 */
#define FEC_HIST 16

typedef struct {
    int span;
    int entries;
    uint64_t sent;
    uint16_t seq;
    uint8_t hist[FEC_HIST][UDPTL_MAX_IFP];
    int hist_len[FEC_HIST];
} fec_tx_t;

static int put_len(uint8_t *out, int o, int n)
{
    if (n < 0x80) {
        out[o++] = (uint8_t) n;
    } else {
        out[o++] = (uint8_t) (0x80 | (n >> 8));
        out[o++] = (uint8_t) n;
    }
    return o;
}

/* dst ^= src over n octets, a word at a time (what a C implementer would write). */
static void xor_into(uint8_t *dst, const uint8_t *src, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        uint64_t a;
        uint64_t b;
        memcpy(&a, dst + j, 8);
        memcpy(&b, src + j, 8);
        a ^= b;
        memcpy(dst + j, &a, 8);
    }
    for (; j < n; j++)
        dst[j] ^= src[j];
}

static int fec_build(fec_tx_t *f, const uint8_t *ifp, int len, uint8_t *out)
{
    int s = f->span;
    int e = f->entries;
    int o = 0;
    int m;
    int k;

    if (len < 1 || len > UDPTL_MAX_IFP)
        return -1;
    if (f->sent < (uint64_t) (s * e)) {
        e = (int) (f->sent / (uint64_t) s);
        if (f->sent < (uint64_t) s)
            s = 0;
    }
    out[o++] = (uint8_t) (f->seq >> 8);
    out[o++] = (uint8_t) f->seq;
    o = put_len(out, o, len);
    memcpy(out + o, ifp, len);
    o += len;
    out[o++] = 0x80;            /* error-recovery CHOICE: fec-info */
    out[o++] = 1;               /* fec-npackets: 1 octet (S <= 127 here) */
    out[o++] = (uint8_t) s;
    out[o++] = (uint8_t) e;     /* fec-data count */
    for (m = 0; m < e; m++) {
        int elen = 0;
        uint8_t *x;
        for (k = 0; k < s; k++) {
            int back = s * e - m - k * e;
            int l = f->hist_len[(f->sent - back) & (FEC_HIST - 1)];
            if (l > elen)
                elen = l;
        }
        o = put_len(out, o, elen);
        x = out + o;
        memset(x, 0, elen);
        for (k = 0; k < s; k++) {
            int back = s * e - m - k * e;
            int slot = (int) ((f->sent - back) & (FEC_HIST - 1));
            xor_into(x, f->hist[slot], f->hist_len[slot]);
        }
        o += elen;
    }
    memcpy(f->hist[f->sent & (FEC_HIST - 1)], ifp, len);
    f->hist_len[f->sent & (FEC_HIST - 1)] = len;
    f->sent++;
    f->seq++;
    return o;
}

enum { TX_UDPTL_RED1, TX_FEC, TX_COUNT_ONLY };

typedef struct {
    t38_core_state_t *core;
    int mode;
    udptl_t u;
    fec_tx_t f;
    uint8_t out[UDPTL_MAX_DATAGRAM];
    uint32_t i;
    uint64_t datagrams;
    uint64_t octets;
    int fingerprinting;
    uint32_t hash;
    uint64_t errors;
} enc_t;

static int tx_packet(t38_core_state_t *s, void *user, const uint8_t *buf, int len, int count)
{
    enc_t *c = (enc_t *) user;
    int n;
    (void) s;
    (void) count;
    switch (c->mode) {
    case TX_FEC:
        n = fec_build(&c->f, buf, len, c->out);
        break;
    case TX_UDPTL_RED1:
        n = udptl_build(&c->u, buf, len, c->out, sizeof(c->out));
        break;
    default:
        /* IFP encoding alone: count the octets spandsp produced. */
        c->datagrams++;
        c->octets += (uint64_t) len;
        return 0;
    }
    if (n < 0) {
        c->errors++;
        return -1;
    }
    if (c->fingerprinting && c->datagrams < FP_COUNT)
        c->hash = fnv1a(c->hash, c->out, n);
    c->datagrams++;
    c->octets += (uint64_t) n;
    return 0;
}

static void enc_init(enc_t *c, int mode)
{
    memset(c, 0, sizeof(*c));
    c->mode = mode;
    udptl_init(&c->u, 1);
    c->f.span = 3;
    c->f.entries = 2;
    c->core = t38_core_init(NULL, rx_indicator, rx_data, rx_missing, NULL, tx_packet, c);
    if (c->core == NULL)
        die("t38_core_init failed");
    t38_set_t38_version(c->core, 3);
    c->hash = FNV_INIT;
}

static uint64_t enc_batch(void *ctx, uint64_t n)
{
    enc_t *c = (enc_t *) ctx;
    uint64_t k;
    for (k = 0; k < n; k++) {
        dgram_t *g = &pool[c->i++ & pool_mask];
        t38_core_send_data(c->core, T38_DATA_V17_14400, T38_FIELD_T4_NON_ECM_DATA, g->payload, PAYLOAD,
                           T38_PACKET_CATEGORY_IMAGE_DATA);
    }
    return c->octets;
}

/* The UDPTL half alone: the peer's udptl_build() on the already encoded primary IFPs. */
static uint64_t enc_udptl_batch(void *ctx, uint64_t n)
{
    enc_t *c = (enc_t *) ctx;
    uint64_t k;
    for (k = 0; k < n; k++) {
        dgram_t *g = &pool[c->i++ & pool_mask];
        int len = udptl_build(&c->u, g->primary, g->primary_len, c->out, sizeof(c->out));
        if (len < 0)
            c->errors++;
        else
            c->octets += (uint64_t) len;
    }
    return c->octets;
}

static void bench_encode_one(const char *name, const char *description, int mode)
{
    static enc_t c;
    char check[64];
    uint32_t k;

    enc_init(&c, mode);
    c.fingerprinting = 1;
    for (k = 0; k < FP_COUNT; k++)
        enc_batch(&c, 1);
    snprintf(check, sizeof(check), "fnv1a32:%08x/%u", c.hash, FP_COUNT);
    if (c.datagrams != FP_COUNT || c.errors != 0)
        fprintf(stderr, "udptl_baseline: WARNING %s: %llu datagrams for %u IFPs, %llu errors\n", name,
                (unsigned long long) c.datagrams, FP_COUNT, (unsigned long long) c.errors);
    t38_core_free(c.core);

    if (mode == TX_COUNT_ONLY)
        check[0] = '\0';
    enc_init(&c, mode);
    measure(name, description, enc_batch, &c, check);
    if (c.errors != 0)
        fprintf(stderr, "udptl_baseline: WARNING %s: %llu errors\n", name, (unsigned long long) c.errors);
    t38_core_free(c.core);
}

static void bench_encode(void)
{
    static enc_t c;

    if (selected("c/encode/t38core+udptl-red1"))
        bench_encode_one("c/encode/t38core+udptl-red1",
                         "spandsp t38_core_send_data() -> peer udptl_build(), redundancy 1", TX_UDPTL_RED1);
    if (selected("c/encode/t38core+fec-3x2"))
        bench_encode_one("c/encode/t38core+fec-3x2",
                         "spandsp t38_core_send_data() -> FEC writer in this file, span 3 entries 2", TX_FEC);
    if (selected("c/part/t38core-send"))
        bench_encode_one("c/part/t38core-send",
                         "spandsp t38_core_send_data() alone (tx handler counts the IFP)", TX_COUNT_ONLY);
    if (selected("c/part/udptl_build-red1")) {
        enc_init(&c, TX_UDPTL_RED1);
        measure("c/part/udptl_build-red1", "peer udptl_build() alone on the encoded IFPs, redundancy 1",
                enc_udptl_batch, &c, "");
        if (c.errors != 0)
            fprintf(stderr, "udptl_baseline: WARNING c/part/udptl_build-red1: %llu errors\n", (unsigned long long) c.errors);
        t38_core_free(c.core);
    }
}

int main(int argc, char *argv[])
{
    if (argc > 1 && strcmp(argv[1], "--wall") == 0) {
        bench_clock = CLOCK_MONOTONIC;
        argv++;
        argc--;
    }
    if (argc < 5) {
        fprintf(stderr, "usage: udptl_baseline [--wall] POOL_FILE MIN_SECONDS RUNS WARMUP_SECONDS [NAME...]\n");
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
    bench_decode();
    bench_encode();
    return 0;
}
