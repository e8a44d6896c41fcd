/*
 * gateway_bench.c - the C side of bench/gateway.ts: spandsp's T.38 gateway (libspandsp 0.0.6
 * t38_gateway_*) on the very inputs the TypeScript gateway gets, in the same `npm run bench`.
 *
 * Inputs (written by bench/gateway-inputs.ts):
 *   AUDIO  raw int16 LE, 8 kHz: a fax machine sending DCS, TCF, a V.17/14400 non-ECM page, EOP.
 *   T38    "FWGT" | u32 T.38 version | u32 window (samples) | u32 count |
 *          count x (u32 arrival in samples | u16 length | UDPTL datagram), all little-endian.
 *
 * The gateway is set up as the spandsp peer's t38gw sets it up (ECM allowed, transmit on idle,
 * V.27ter/V.29/V.17, the file's T.38 version). UDPTL is the spandsp reference peer's udptl.c
 * (compiled from ../shared/interop/spandsp-peer/src at bench time), redundancy 3 on transmit, as
 * faxwire's gateway sends by default.
 *
 * Modes:
 *   bench [--wall] AUDIO T38 MIN_SECONDS RUNS WARMUP_SECONDS [NAME...]
 *     c/spandsp/gateway/audio-to-t38  AUDIO in 160-sample blocks into t38_gateway_rx(); every IFP
 *                                     the gateway sends is wrapped by udptl_build(). Round and
 *                                     round, a fresh gateway at the end of the file.
 *     c/spandsp/gateway/t38-to-audio  the datagrams, each when its arrival time has come, into
 *                                     udptl_receive() -> t38_core_rx_ifp_packet(); t38_gateway_tx()
 *                                     pulls 160-sample blocks. Fresh gateway at the window's end.
 *     One op = one sample; one JSON line per result (bench/lib.ts runBaselineProgram). Runs are
 *     bounded and timed by process CPU time (CLOCK_PROCESS_CPUTIME_ID), or wall time (--wall).
 *   latency AUDIO T38 OUT_RAW
 *     Both directions in 8-sample (1 ms) blocks: prints {"a2t":[[sample, "ifp hex"], ...]} (each
 *     IFP sent, stamped with the end of the block it was sent in) and writes the audio played to
 *     OUT_RAW (int16 LE). bench/gateway.ts judges both gateways with the same code.
 *   memory AUDIO T38 N AUDIO_PREFIX T38_PREFIX
 *     RSS before, after N t38_gateway_init(NULL, ...), and after driving each through the first
 *     AUDIO_PREFIX samples of the audio and T38_PREFIX samples of the datagrams; prints
 *     {"sizeof":..., "rssFresh":..., "rssInUse":...} (bytes; the growth for all N).
 */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <spandsp.h>

#include "udptl.h"
#include "bench_measure.h"

/* One op is a sample; the first trial batch is 160 ops. */
static void measure(const char *name, const char *description, batch_fn_t fn, void *ctx)
{
    measure_ops(name, description, "sample", "", 160, fn, ctx);
}

#define BLOCK 160
#define LATENCY_BLOCK 8
#define REDUNDANCY 3

typedef struct {
    uint32_t at;
    uint16_t len;
    uint8_t *d;
} dgram_t;

static int16_t *audio;
static long audio_len;
static dgram_t *dgrams;
static long n_dgrams;
static long t38_samples;
static int t38_version;

static void die(const char *msg)
{
    fprintf(stderr, "gateway_bench: %s\n", msg);
    exit(2);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint8_t *read_file(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b;
    if (f == NULL)
        die("cannot open an input file");
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc(*len > 0 ? *len : 1);
    if (*len > 0 && fread(b, 1, *len, f) != (size_t) *len)
        die("short read");
    fclose(f);
    return b;
}

static void load(const char *audio_path, const char *t38_path)
{
    long n;
    long i;
    long at;
    uint8_t *a = read_file(audio_path, &n);
    uint8_t *t;

    audio_len = n/2;
    audio = malloc(sizeof(int16_t)*(audio_len ? audio_len : 1));
    for (i = 0; i < audio_len; i++)
        audio[i] = (int16_t) (a[2*i] | (a[2*i + 1] << 8));
    free(a);
    t = read_file(t38_path, &n);
    if (n < 16 || memcmp(t, "FWGT", 4) != 0)
        die("not a FWGT file");
    t38_version = (int) le32(t + 4);
    t38_samples = (long) le32(t + 8);
    n_dgrams = (long) le32(t + 12);
    dgrams = calloc(n_dgrams ? n_dgrams : 1, sizeof(dgram_t));
    at = 16;
    for (i = 0; i < n_dgrams; i++) {
        if (at + 6 > n)
            die("FWGT file truncated");
        dgrams[i].at = le32(t + at);
        dgrams[i].len = (uint16_t) (t[at + 4] | (t[at + 5] << 8));
        if (at + 6 + dgrams[i].len > n)
            die("FWGT file truncated");
        dgrams[i].d = t + at + 6;
        at += 6 + dgrams[i].len;
    }
    if (audio_len < BLOCK || t38_samples < BLOCK)
        die("inputs too short");
}

/* ---- one gateway channel ---- */

typedef struct {
    t38_gateway_state_t *gw;
    t38_core_state_t *core;
    udptl_t udptl;
    uint64_t octets_out;
    /* latency mode: the IFPs sent, with the sample stamp */
    FILE *trace;
    long stamp;
    int traced;
} channel_t;

static int tx_packet_handler(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count)
{
    channel_t *c = user_data;
    uint8_t dgram[UDPTL_MAX_DATAGRAM];
    int n;
    int i;

    (void) s;
    (void) count;
    if ((n = udptl_build(&c->udptl, buf, len, dgram, sizeof(dgram))) < 0)
        return -1;
    c->octets_out += (uint64_t) n;
    if (c->trace) {
        fprintf(c->trace, "%s[%ld,\"", c->traced++ ? "," : "", c->stamp);
        for (i = 0; i < len; i++)
            fprintf(c->trace, "%02x", buf[i]);
        fprintf(c->trace, "\"]");
    }
    return 0;
}

static int rx_ifp_handler(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
    channel_t *c = user;
    t38_core_rx_ifp_packet(c->core, ifp, len, seq);
    return 0;
}

static void channel_init(channel_t *c)
{
    memset(c, 0, sizeof(*c));
    udptl_init(&c->udptl, REDUNDANCY);
    if ((c->gw = t38_gateway_init(NULL, tx_packet_handler, c)) == NULL)
        die("t38_gateway_init failed");
    c->core = t38_gateway_get_t38_core_state(c->gw);
    t38_set_t38_version(c->core, t38_version);
    t38_gateway_set_ecm_capability(c->gw, TRUE);
    t38_gateway_set_transmit_on_idle(c->gw, TRUE);
    t38_gateway_set_supported_modems(c->gw, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
}

static void channel_reset(channel_t *c)
{
    uint64_t octets = c->octets_out;
    t38_gateway_free(c->gw);
    channel_init(c);
    c->octets_out = octets;
}

/* ---- the two directions, as bench/gateway.ts drives them ---- */

typedef struct {
    channel_t ch;
    long at;
} a2t_t;

static uint64_t a2t_run(void *ctx, uint64_t n)
{
    a2t_t *s = ctx;
    int16_t amp[BLOCK];
    uint64_t left = n;
    while (left > 0) {
        long len = BLOCK;
        if ((uint64_t) len > left)
            len = (long) left;
        if (len > audio_len - s->at)
            len = audio_len - s->at;
        /* t38_gateway_rx() DC-restores its input in place: give it a copy. */
        memcpy(amp, audio + s->at, len*sizeof(int16_t));
        t38_gateway_rx(s->ch.gw, amp, (int) len);
        s->at += len;
        left -= (uint64_t) len;
        if (s->at >= audio_len) {
            s->at = 0;
            channel_reset(&s->ch);
        }
    }
    return s->ch.octets_out;
}

typedef struct {
    channel_t ch;
    long at;
    long next;
    uint64_t energy;
} t2a_t;

static void deliver_due(channel_t *c, long at, long *next)
{
    while (*next < n_dgrams && (long) dgrams[*next].at <= at) {
        udptl_receive(&c->udptl, dgrams[*next].d, dgrams[*next].len, rx_ifp_handler, c);
        (*next)++;
    }
}

static uint64_t t2a_run(void *ctx, uint64_t n)
{
    t2a_t *s = ctx;
    int16_t amp[BLOCK];
    uint64_t left = n;
    while (left > 0) {
        long len = BLOCK;
        int got;
        int i;
        if ((uint64_t) len > left)
            len = (long) left;
        if (len > t38_samples - s->at)
            len = t38_samples - s->at;
        deliver_due(&s->ch, s->at, &s->next);
        got = t38_gateway_tx(s->ch.gw, amp, (int) len);
        if (got < len)
            memset(amp + got, 0, (len - got)*sizeof(int16_t));
        for (i = 0; i < len; i += 16)
            s->energy += (uint64_t) abs(amp[i]);
        s->at += len;
        left -= (uint64_t) len;
        if (s->at >= t38_samples) {
            s->at = 0;
            s->next = 0;
            channel_reset(&s->ch);
        }
    }
    return s->energy;
}

/* ---- timing (the same method as bench/lib.ts and udptl_baseline.c) ---- */


static int mode_bench(int argc, char **argv)
{
    static a2t_t a2t;
    static t2a_t t2a;
    if (argc > 0 && strcmp(argv[0], "--wall") == 0) {
        bench_clock = CLOCK_MONOTONIC;
        argv++;
        argc--;
    }
    if (argc < 5)
        die("usage: gateway_bench bench [--wall] AUDIO T38 MIN_SECONDS RUNS WARMUP_SECONDS [NAME...]");
    load(argv[0], argv[1]);
    min_seconds = atof(argv[2]);
    runs = atoi(argv[3]);
    warmup_seconds = atof(argv[4]);
    if (min_seconds <= 0 || runs < 1 || runs > 64 || warmup_seconds < 0)
        die("bad MIN_SECONDS / RUNS / WARMUP_SECONDS");
    if (bench_selected(argc - 5, argv + 5, "c/spandsp/gateway/audio-to-t38")) {
        channel_init(&a2t.ch);
        measure("c/spandsp/gateway/audio-to-t38", "spandsp t38_gateway_rx + udptl_build (redundancy 3), 160-sample blocks", a2t_run, &a2t);
    }
    if (bench_selected(argc - 5, argv + 5, "c/spandsp/gateway/t38-to-audio")) {
        channel_init(&t2a.ch);
        measure("c/spandsp/gateway/t38-to-audio", "spandsp udptl_receive + t38_core_rx_ifp_packet + t38_gateway_tx, 160-sample blocks", t2a_run, &t2a);
    }
    return 0;
}

static int mode_latency(int argc, char **argv)
{
    static channel_t c;
    int16_t amp[LATENCY_BLOCK];
    int16_t *out;
    long at;
    long next = 0;
    FILE *f;

    if (argc < 3)
        die("usage: gateway_bench latency AUDIO T38 OUT_RAW");
    load(argv[0], argv[1]);
    channel_init(&c);
    c.trace = stdout;
    printf("{\"a2t\":[");
    for (at = 0; at < audio_len; at += LATENCY_BLOCK) {
        long len = audio_len - at < LATENCY_BLOCK ? audio_len - at : LATENCY_BLOCK;
        memcpy(amp, audio + at, len*sizeof(int16_t));
        c.stamp = at + len;
        t38_gateway_rx(c.gw, amp, (int) len);
    }
    printf("]}\n");
    t38_gateway_free(c.gw);

    channel_init(&c);
    out = calloc(t38_samples, sizeof(int16_t));
    for (at = 0; at < t38_samples; at += LATENCY_BLOCK) {
        long len = t38_samples - at < LATENCY_BLOCK ? t38_samples - at : LATENCY_BLOCK;
        int got;
        deliver_due(&c, at, &next);
        got = t38_gateway_tx(c.gw, out + at, (int) len);
        if (got < len)
            memset(out + at + got, 0, (len - got)*sizeof(int16_t));
    }
    t38_gateway_free(c.gw);
    if ((f = fopen(argv[2], "wb")) == NULL)
        die("cannot write OUT_RAW");
    for (at = 0; at < t38_samples; at++) {
        uint8_t b[2] = { (uint8_t) (out[at] & 0xff), (uint8_t) ((uint16_t) out[at] >> 8) };
        fwrite(b, 1, 2, f);
    }
    fclose(f);
    free(out);
    return 0;
}

static long rss_bytes(void)
{
    long pages = 0;
    long resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident*sysconf(_SC_PAGESIZE);
}

static int mode_memory(int argc, char **argv)
{
    channel_t *chans;
    int16_t amp[BLOCK];
    long n;
    long audio_prefix;
    long t38_prefix;
    long r0;
    long r1;
    long r2;
    long i;

    if (argc < 5)
        die("usage: gateway_bench memory AUDIO T38 N AUDIO_PREFIX T38_PREFIX");
    load(argv[0], argv[1]);
    n = atol(argv[2]);
    audio_prefix = atol(argv[3]);
    t38_prefix = atol(argv[4]);
    if (n < 1 || audio_prefix > audio_len || t38_prefix > t38_samples)
        die("bad N or prefix");
    chans = calloc(n, sizeof(channel_t));
    r0 = rss_bytes();
    for (i = 0; i < n; i++)
        channel_init(&chans[i]);
    r1 = rss_bytes();
    for (i = 0; i < n; i++) {
        long at;
        long next = 0;
        long end = audio_prefix > t38_prefix ? audio_prefix : t38_prefix;
        for (at = 0; at < end; at += BLOCK) {
            if (at < audio_prefix) {
                long len = audio_prefix - at < BLOCK ? audio_prefix - at : BLOCK;
                memcpy(amp, audio + at, len*sizeof(int16_t));
                t38_gateway_rx(chans[i].gw, amp, (int) len);
            }
            if (at < t38_prefix) {
                deliver_due(&chans[i], at, &next);
                t38_gateway_tx(chans[i].gw, amp, BLOCK);
            }
        }
    }
    r2 = rss_bytes();
    /* channel_t (our UDPTL history included) is the application's, not the gateway's: RSS counts
       it too (calloc'ed before r0, touched by channel_init) - sizeof(udptl_t) per channel. */
    printf("{\"sizeof\":%lu,\"udptl\":%lu,\"rssFresh\":%ld,\"rssInUse\":%ld}\n",
           (unsigned long) sizeof(t38_gateway_state_t), (unsigned long) sizeof(udptl_t), r1 - r0, r2 - r0);
    for (i = 0; i < n; i++)
        t38_gateway_free(chans[i].gw);
    free(chans);
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        return mode_bench(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "latency") == 0)
        return mode_latency(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "memory") == 0)
        return mode_memory(argc - 2, argv + 2);
    fprintf(stderr, "usage: gateway_bench bench|latency|memory ...\n");
    return 2;
}
