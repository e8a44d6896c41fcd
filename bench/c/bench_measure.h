/*
 * The measuring loop every C baseline of `npm run bench` shares (udptl_baseline.c, t4_libtiff.c,
 * gateway_bench.c): a batch grown until it lasts ~min_seconds/50 (clock reads negligible), a
 * warm-up, then `runs` runs of >= min_seconds each, printed as one JSON line that bench/lib.ts
 * reads: ops, ns per op on the bench clock and on the wall clock.
 *
 * The bench clock is process CPU time by default (like node's process.cpuUsage(), robust on a
 * shared machine); a program sets `bench_clock = CLOCK_MONOTONIC` for wall time.
 *
 * Included once, by one .c file: everything here is static.
 */
#ifndef FAXWIRE_BENCH_MEASURE_H
#define FAXWIRE_BENCH_MEASURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double min_seconds;
static int runs;
static double warmup_seconds;
/* Results of the measured functions are folded in here so the compiler keeps the work. */
static volatile uint64_t sink;
static clockid_t bench_clock = CLOCK_PROCESS_CPUTIME_ID;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static double now_s(void)
{
    return clock_s(bench_clock);
}

/* One batch: `n` ops on `ctx`, returning something to fold into `sink`. */
typedef uint64_t (*batch_fn_t)(void *ctx, uint64_t n);

/* `unit`: what one op is ("datagram", "page", "sample"); `check`: a fingerprint ("" for none);
   `first_batch`: ops in the first trial batch. */
static void measure_ops(const char *name, const char *description, const char *unit, const char *check,
                        uint64_t first_batch, batch_fn_t fn, void *ctx)
{
    uint64_t batch = first_batch;
    double t0;
    double dt;
    double ns[64];
    double wall_ns[64];
    uint64_t ops[64];
    int r;

    for (;;) {
        t0 = now_s();
        sink ^= fn(ctx, batch);
        dt = now_s() - t0;
        if (dt >= min_seconds / 50 || batch >= ((uint64_t) 1 << 40))
            break;
        batch *= 2;
    }
    t0 = now_s();
    while (now_s() - t0 < warmup_seconds)
        sink ^= fn(ctx, batch);
    for (r = 0; r < runs && r < 64; r++) {
        uint64_t n = 0;
        double w0 = clock_s(CLOCK_MONOTONIC);
        t0 = now_s();
        do {
            sink ^= fn(ctx, batch);
            n += batch;
            dt = now_s() - t0;
        } while (dt < min_seconds);
        wall_ns[r] = (clock_s(CLOCK_MONOTONIC) - w0) * 1e9 / (double) n;
        ns[r] = dt * 1e9 / (double) n;
        ops[r] = n;
    }
    printf("{\"name\":\"%s\",\"description\":\"%s\",\"unit\":\"%s\",\"check\":\"%s\",\"ops\":[", name, description, unit, check);
    for (r = 0; r < runs && r < 64; r++)
        printf("%s%llu", r ? "," : "", (unsigned long long) ops[r]);
    printf("],\"nsPerOp\":[");
    for (r = 0; r < runs && r < 64; r++)
        printf("%s%.4f", r ? "," : "", ns[r]);
    printf("],\"wallNsPerOp\":[");
    for (r = 0; r < runs && r < 64; r++)
        printf("%s%.4f", r ? "," : "", wall_ns[r]);
    printf("]}\n");
    fflush(stdout);
}

/* Whether case `name` was asked for: the names given on the command line, or all when none. */
static int bench_selected(int n_names, char **names, const char *name)
{
    int i;
    if (n_names == 0)
        return 1;
    for (i = 0; i < n_names; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

#endif
