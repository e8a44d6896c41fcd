/*
 * C twin of bench/sessions.ts: N libspandsp (0.0.6) `t38_terminal` pairs in one process, in
 * virtual time, each pair sending 3 pages with ECM from a TIFF (the same pages faxwire sends)
 * to a receiver writing a TIFF. Between the two terminals of a pair every IFP goes through the
 * spandsp reference peer's UDPTL code (udptl.c, compiled from ../shared at bench time, never
 * copied here) with redundancy 3, `count` copies as t38_core asks (duplicates are dropped by
 * the receiving UDPTL, as on the wire).
 *
 * All pairs advance together in 20 ms steps (160 samples to `t38_terminal_send_timeout`);
 * the datagrams a step produced are delivered to the other terminal in the same step.
 *
 *   sessions_baseline pair TIFF RXDIR MIN_S RUNS WARMUP_S [--wall]
 *       one pair at a time, restarted when done; op = one call-second (measure_ops JSON line)
 *   sessions_baseline whole TIFF RXDIR N
 *       N pairs, call i starting at (i % 50) × 20 ms, each run from start to end; prints one
 *       JSON object: process CPU per call-second, malloc'd bytes per call (mallinfo2) and RSS
 *       growth per call taken with every call in the middle of its 2nd page (the moment a solo
 *       call run first shows), pages received and completion codes.
 */
#define _GNU_SOURCE
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <tiffio.h>
#include <spandsp.h>

#include "udptl.h"
#include "bench_measure.h"

#define STEP_MS 20
#define STEP_SAMPLES 160
#define REDUNDANCY 3
#define STAGGER_SLOTS 50
#define MAX_CALL_MS 600000
#define QUEUE_MAX 1024

typedef struct pair_s pair_t;

typedef struct {
    pair_t *pair;
    int side; /* 0 caller (sends), 1 answerer (receives) */
    udptl_t udptl;
    t38_terminal_state_t *t38;
    t38_core_state_t *core;
    int done;
    int completion;
} end_t;

struct pair_s {
    end_t e[2];
    long start_ms;
    long ended_ms;
    int active;
    int finished;
    int pages_rx;
    int phase_d_count;
    long phase_d_ms[4];
};

/* Datagrams made during one step, delivered after both terminals of the pair have run. */
typedef struct {
    end_t *to;
    int len;
    uint8_t buf[UDPTL_MAX_DATAGRAM < 1500 ? UDPTL_MAX_DATAGRAM : 1500];
} queued_t;

static queued_t queue[QUEUE_MAX];
static int q_head;
static int q_tail;
static long now_ms;
static const char *tiff_path;
static const char *rx_dir;
static unsigned long dropped_queue;

static int tx_packet_handler(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count)
{
    end_t *e = user_data;
    end_t *peer = &e->pair->e[1 - e->side];
    uint8_t dgram[UDPTL_MAX_DATAGRAM];
    int n = udptl_build(&e->udptl, buf, len, dgram, sizeof(dgram));
    int i;

    (void) s;
    if (n < 0 || n > (int) sizeof(queue[0].buf))
        return -1;
    for (i = 0; i < (count < 1 ? 1 : count); i++) {
        if (q_tail - q_head >= QUEUE_MAX) {
            dropped_queue++;
            return 0;
        }
        queued_t *q = &queue[q_tail++ % QUEUE_MAX];
        q->to = peer;
        q->len = n;
        memcpy(q->buf, dgram, (size_t) n);
    }
    return 0;
}

static int rx_ifp_handler(void *user, const uint8_t *ifp, int len, uint16_t seq)
{
    end_t *e = user;
    t38_core_rx_ifp_packet(e->core, ifp, len, seq);
    return 0;
}

static int phase_d_handler(t30_state_t *s, void *user_data, int result)
{
    pair_t *p = user_data;
    (void) s;
    (void) result;
    if (p->phase_d_count < 4)
        p->phase_d_ms[p->phase_d_count] = now_ms - p->start_ms;
    p->phase_d_count++;
    return T30_ERR_OK;
}

static void phase_e_handler(t30_state_t *s, void *user_data, int completion_code)
{
    end_t *e = user_data;
    (void) s;
    e->completion = completion_code;
}

static void pair_start(pair_t *p, int id, long start_ms)
{
    int side;
    char rx_file[512];

    memset(p, 0, sizeof(*p));
    p->start_ms = start_ms;
    p->active = 1;
    snprintf(rx_file, sizeof(rx_file), "%s/rx-%d.tif", rx_dir, id);
    for (side = 0; side < 2; side++) {
        end_t *e = &p->e[side];
        t30_state_t *t30;
        e->pair = p;
        e->side = side;
        e->completion = -1;
        udptl_init(&e->udptl, REDUNDANCY);
        e->t38 = t38_terminal_init(NULL, side == 0, tx_packet_handler, e);
        if (e->t38 == NULL) {
            fprintf(stderr, "sessions_baseline: t38_terminal_init failed\n");
            exit(2);
        }
        e->core = t38_terminal_get_t38_core_state(e->t38);
        t38_set_t38_version(e->core, 0);
        t30 = t38_terminal_get_t30_state(e->t38);
        t30_set_tx_ident(t30, side == 0 ? "caller" : "answerer");
        t30_set_ecm_capability(t30, 1);
        t30_set_supported_modems(t30, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
        t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION);
        if (side == 0)
            t30_set_tx_file(t30, tiff_path, -1, -1);
        else {
            t30_set_rx_file(t30, rx_file, -1);
            t30_set_phase_d_handler(t30, phase_d_handler, p);
        }
        t30_set_phase_e_handler(t30, phase_e_handler, e);
    }
}

static void pair_free(pair_t *p)
{
    int side;
    for (side = 0; side < 2; side++) {
        if (p->e[side].t38 != NULL) {
            if (side == 1) {
                t30_stats_t st;
                t30_get_transfer_statistics(t38_terminal_get_t30_state(p->e[1].t38), &st);
                p->pages_rx = st.pages_rx;
            }
            t38_terminal_free(p->e[side].t38);
            p->e[side].t38 = NULL;
        }
    }
}

/* One 20 ms step of one pair at now_ms; returns 1 when the pair has just finished. */
static int pair_step(pair_t *p)
{
    int side;
    if (!p->active || now_ms < p->start_ms)
        return 0;
    for (side = 0; side < 2; side++)
        if (!p->e[side].done)
            p->e[side].done = t38_terminal_send_timeout(p->e[side].t38, STEP_SAMPLES);
    while (q_head < q_tail) {
        queued_t *q = &queue[q_head++ % QUEUE_MAX];
        if (!q->to->done)
            udptl_receive(&q->to->udptl, q->buf, q->len, rx_ifp_handler, q->to);
    }
    q_head = q_tail = 0;
    if ((p->e[0].done && p->e[1].done) || now_ms - p->start_ms >= MAX_CALL_MS) {
        p->active = 0;
        p->finished = 1;
        p->ended_ms = now_ms + STEP_MS;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* pair mode: one call at a time, op = one call-second                                          */

typedef struct {
    pair_t p;
    long calls;
    long pages;
    long ms_in_call; /* sim ms not yet turned into ops */
} pair_ctx_t;

static uint64_t pair_batch(void *vctx, uint64_t n)
{
    pair_ctx_t *c = vctx;
    uint64_t done_ms = 0;
    while (done_ms < n * 1000) {
        if (!c->p.active) {
            pair_free(&c->p);
            c->pages += c->p.pages_rx;
            pair_start(&c->p, 0, now_ms);
            c->calls++;
        }
        pair_step(&c->p);
        now_ms += STEP_MS;
        done_ms += STEP_MS;
    }
    return (uint64_t) c->pages;
}

/* ------------------------------------------------------------------------------------------ */

static size_t malloc_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0;
    long rss = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * 4096;
}

static double cpu_s(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* Keeps bench_measure.h's case selector referenced (this program has one case). */
static int (*const unused_selector)(int, char **, const char *) = bench_selected;

static int whole(int n)
{
    pair_t solo;
    pair_t *pairs;
    long mid_ms;
    long live;
    int i;
    int measured = 0;
    size_t m0;
    long r0;
    size_t m_mid = 0;
    long r_mid = 0;
    double c0;
    double c1;
    double call_ms = 0;
    long pages = 0;
    int ok_calls = 0;

    /* A solo call shows when the 2nd page is in the middle: halfway between the 1st and 2nd
       phase D at the receiver (its post-page exchanges). */
    now_ms = 0;
    pair_start(&solo, 0, 0);
    while (solo.active) {
        pair_step(&solo);
        now_ms += STEP_MS;
    }
    pair_free(&solo);
    if (solo.phase_d_count < 2) {
        fprintf(stderr, "sessions_baseline: solo call gave %d phase D\n", solo.phase_d_count);
        return 1;
    }
    mid_ms = (solo.phase_d_ms[0] + solo.phase_d_ms[1]) / 2;

    pairs = calloc((size_t) n, sizeof(pair_t));
    if (pairs == NULL)
        return 2;
    malloc_trim(0);
    m0 = malloc_bytes();
    r0 = rss_bytes();
    c0 = cpu_s();
    now_ms = 0;
    for (i = 0; i < n; i++)
        pair_start(&pairs[i], i, (long) (i % STAGGER_SLOTS) * STEP_MS);
    live = n;
    while (live > 0) {
        if (!measured && now_ms >= mid_ms + (STAGGER_SLOTS - 1) * STEP_MS / 2) {
            m_mid = malloc_bytes();
            r_mid = rss_bytes();
            measured = 1;
        }
        for (i = 0; i < n; i++)
            if (pair_step(&pairs[i]))
                live--;
        now_ms += STEP_MS;
    }
    c1 = cpu_s();
    for (i = 0; i < n; i++) {
        pair_free(&pairs[i]);
        call_ms += (double) (pairs[i].ended_ms - pairs[i].start_ms);
        pages += pairs[i].pages_rx;
        if (pairs[i].e[0].completion == T30_ERR_OK && pairs[i].e[1].completion == T30_ERR_OK && pairs[i].pages_rx == 3)
            ok_calls++;
    }
    printf("{\"calls\":%d,\"cpuNs\":%.0f,\"callSeconds\":%.3f,\"nsPerCallSecond\":%.1f,\"pagesRx\":%ld,\"okCalls\":%d,"
           "\"midMs\":%ld,\"mallocPerCall\":%.0f,\"rssPerCall\":%.0f,\"stateBytes\":%zu,\"queueDrops\":%lu,\"soloCallMs\":%ld}\n",
           n, (c1 - c0) * 1e9, call_ms / 1000.0, (c1 - c0) * 1e9 / (call_ms / 1000.0), pages, ok_calls, mid_ms,
           measured ? (double) (m_mid - m0) / n : -1.0, measured ? (double) (r_mid - r0) / n : -1.0,
           sizeof(t38_terminal_state_t), dropped_queue, solo.ended_ms - solo.start_ms);
    free(pairs);
    return 0;
}

int main(int argc, char **argv)
{
    struct rlimit rl;
    TIFFSetWarningHandler(NULL);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (argc >= 5 && strcmp(argv[1], "whole") == 0) {
        tiff_path = argv[2];
        rx_dir = argv[3];
        return whole(atoi(argv[4]));
    }
    if (argc >= 7 && strcmp(argv[1], "pair") == 0) {
        pair_ctx_t *c = calloc(1, sizeof(*c));
        char check[64];
        tiff_path = argv[2];
        rx_dir = argv[3];
        min_seconds = atof(argv[4]);
        runs = atoi(argv[5]);
        warmup_seconds = atof(argv[6]);
        if (argc >= 8 && strcmp(argv[7], "--wall") == 0)
            bench_clock = CLOCK_MONOTONIC;
        now_ms = 0;
        c->p.active = 0;
        check[0] = '\0';
        (void) unused_selector;
        measure_ops("c/sessions/pair", "one T.38 terminal pair, 3 pages ECM, one call-second", "call-second", check, 1, pair_batch, c);
        pair_free(&c->p);
        fprintf(stderr, "sessions_baseline pair: %ld calls, %ld pages received\n", c->calls, c->pages);
        free(c);
        return 0;
    }
    fprintf(stderr, "usage: sessions_baseline pair TIFF RXDIR MIN_S RUNS WARMUP_S [--wall] | whole TIFF RXDIR N\n");
    return 2;
}
