/*
 * hdlc-peer: spandsp's HDLC transmitter and receiver on a bit stream, for the faxwire HDLC
 * interop test (test/interop/hdlc-spandsp.test.ts). Written for faxwire; it only calls
 * spandsp's public hdlc_* API (libspandsp-dev). Bits travel as ASCII '0'/'1'.
 *
 *   hdlc-peer tx SEED N FRAMES   random frames (2..260 octets, rich in 0x7E/0xFF; about one in
 *                                ten with a corrupted FCS) -> line bits on stdout; the frames,
 *                                "ok|bad HEX" one a line, into FRAMES
 *   hdlc-peer rx                 line bits on stdin -> "ok|bad HEX" per frame, then a line
 *                                "stats good=… crc=… length=… aborts=… bytes=…"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <spandsp.h>

static uint32_t state = 1;

static uint32_t next_random(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static void print_frame(void *user_data, const uint8_t *pkt, int len, int ok)
{
    (void) user_data;
    if (len < 0)
        return; /* status reports (framing ok, carrier down...) */
    printf("%s ", ok ? "ok" : "bad");
    for (int i = 0; i < len; i++)
        printf("%02x", pkt[i]);
    printf("\n");
}

static int do_tx(uint32_t seed, int n, const char *frames_path)
{
    FILE *frames = fopen(frames_path, "w");
    if (frames == NULL)
        return 1;
    state = seed ? seed : 1;
    hdlc_tx_state_t *tx = hdlc_tx_init(NULL, 0, 1, 0, NULL, NULL);
    hdlc_tx_flags(tx, 10);
    for (int k = 0; k < n; k++) {
        uint8_t buf[260];
        int len = 2 + (int) (next_random() % 259);
        for (int i = 0; i < len; i++)
            buf[i] = (next_random() % 3 == 0) ? ((next_random() & 1) ? 0xff : 0x7e) : (uint8_t) next_random();
        /* The transmitter holds one frame: clock bits out until it takes the next. */
        while (hdlc_tx_frame(tx, buf, len) < 0)
            putchar(hdlc_tx_get_bit(tx) ? '1' : '0');
        int bad = next_random() % 10 == 0;
        if (bad)
            hdlc_tx_corrupt_frame(tx);
        fprintf(frames, "%s ", bad ? "bad" : "ok");
        for (int i = 0; i < len; i++)
            fprintf(frames, "%02x", buf[i]);
        fprintf(frames, "\n");
    }
    hdlc_tx_frame(tx, NULL, 0); /* end of data after the last frame */
    for (int i = 0; i < 100000; i++) {
        int b = hdlc_tx_get_bit(tx);
        if (b < 0)
            break;
        putchar(b ? '1' : '0');
    }
    putchar('\n');
    fclose(frames);
    return 0;
}

static int do_rx(void)
{
    hdlc_rx_state_t *rx = hdlc_rx_init(NULL, 0, 1, 5, print_frame, NULL);
    hdlc_rx_set_max_frame_len(rx, 262);
    int c;
    while ((c = getchar()) != EOF) {
        if (c == '0' || c == '1')
            hdlc_rx_put_bit(rx, c - '0');
    }
    hdlc_rx_stats_t st;
    hdlc_rx_get_stats(rx, &st);
    printf("stats good=%lu crc=%lu length=%lu aborts=%lu bytes=%lu\n", st.good_frames, st.crc_errors, st.length_errors, st.aborts, st.bytes);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "tx") == 0)
        return do_tx((uint32_t) strtoul(argv[2], NULL, 10), atoi(argv[3]), argv[4]);
    if (argc == 2 && strcmp(argv[1], "rx") == 0)
        return do_rx();
    fprintf(stderr, "usage: hdlc-peer tx SEED N FRAMES | hdlc-peer rx < bits\n");
    return 2;
}
