/*
 * C twin of bench/udp-send.ts: sendto() of 124-octet datagrams to a bound 127.0.0.1 socket that
 * is not read (the kernel queues, then drops), in a loop; prints process CPU ns per datagram.
 *   udp_send N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    struct sockaddr_in to;
    socklen_t len = sizeof(to);
    unsigned char buf[124];
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    int tx = socket(AF_INET, SOCK_DGRAM, 0);
    long i;
    long errors = 0;
    double t0;
    double t1;

    for (i = 0; i < (long) sizeof(buf); i++)
        buf[i] = (unsigned char) ((i * 37) & 0xff);
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = 0;
    if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *) &to, sizeof(to)) < 0 || getsockname(rx, (struct sockaddr *) &to, &len) < 0) {
        perror("udp_send");
        return 2;
    }
    for (i = 0; i < 2000; i++)
        sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *) &to, sizeof(to));
    t0 = cpu_s();
    for (i = 0; i < n; i++)
        if (sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *) &to, sizeof(to)) < 0)
            errors++;
    t1 = cpu_s();
    printf("{\"sendto\":%.1f,\"errors\":%ld,\"datagrams\":%ld}\n", (t1 - t0) * 1e9 / (double) n, errors, n);
    close(tx);
    close(rx);
    return 0;
}
