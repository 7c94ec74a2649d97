/*
 * rtpload: the RTP load of native-bench/media-relay.bench.js. N calls, 2 phones each, every phone
 * sending G.711 (RFC 3551: PCMU, 20 ms = 160 samples, 172-byte packets) to a target and receiving
 * its peer's stream back, paced by clock_nanosleep, sent with sendmmsg and read with recvmmsg.
 *
 * All phones share one UDP socket bound to INADDR_ANY:port; phone i is the loopback address
 * 127.1.(i / 200 + 1).(i % 200 + 1) on that port. Each outgoing packet names its phone's address as
 * source (IP_PKTINFO), so a relay sees 2N distinct sources while the load batches sends and
 * receives across all phones in a few syscalls.
 *
 * The payload carries the CLOCK_MONOTONIC send time (ns), the stream number (the sending phone) and
 * whether the packet was due inside the measurement window; the receiver records each packet's
 * one-way delay. Per stream: sent and received counts inside
 * the measurement window (after the warm-up), delay above the stream's lowest, and RFC 3550 6.4.1
 * interarrival jitter.
 *
 * Protocol: rtpload CALLS SECONDS WARMUP_MS
 *   stdout line 1: {"port":P}                 (phone i is 127.1.(i/200+1).(i%200+1):P)
 *   stdin line:    2*CALLS targets "a.b.c.d:port" separated by spaces (where phone i sends)
 *   stdout line 2: a JSON summary.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PACKET 172
#define PTIME_NS 20000000LL
#define SLOTS 20 /* phones are spread over 20 slots of 1 ms */
#define BATCH 16 /* packets per sendmmsg; each batch takes a fresh send time */
#define RBATCH 64
#define DRAIN_NS 300000000LL

static int fd;
static int phones;
static long long t0, window_start, window_end;
static struct sockaddr_in *targets;
static struct in_addr *sources;
static uint32_t *sent;      /* per stream, inside the window */
static uint32_t *received;  /* per stream, inside the window */
static uint32_t *delays;    /* per stream, microseconds, capacity cap each */
static uint32_t cap;
static double *jitter;      /* RFC 3550 J per stream, ns */
static long long *last_transit;
static long long late_max;  /* how late the sender woke at worst inside the window, ns */
static volatile int stop;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(long long t) {
  struct timespec ts = {.tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

static struct in_addr phone_addr(int i) {
  struct in_addr a;
  a.s_addr = htonl((127u << 24) | (1u << 16) | ((uint32_t)(i / 200 + 1) << 8) | (uint32_t)(i % 200 + 1));
  return a;
}

static void fail(const char *what) {
  fprintf(stderr, "rtpload: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void *receiver(void *arg) {
  (void)arg;
  static unsigned char bufs[RBATCH][PACKET + 64];
  struct mmsghdr msgs[RBATCH];
  struct iovec iov[RBATCH];
  for (int k = 0; k < RBATCH; k++) {
    iov[k].iov_base = bufs[k];
    iov[k].iov_len = sizeof bufs[k];
    memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  while (!stop) {
    int n = recvmmsg(fd, msgs, RBATCH, MSG_WAITFORONE, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      fail("recvmmsg");
    }
    long long at = now_ns();
    for (int k = 0; k < n; k++) {
      if (msgs[k].msg_len != PACKET) continue;
      const unsigned char *p = bufs[k];
      long long sent_at;
      uint32_t stream;
      memcpy(&sent_at, p + 12, 8);
      memcpy(&stream, p + 20, 4);
      if (stream >= (uint32_t)phones || p[24] != 1) continue;
      long long transit = at - sent_at;
      uint32_t c = received[stream];
      if (c < cap) delays[(size_t)stream * cap + c] = (uint32_t)(transit / 1000);
      received[stream] = c + 1;
      if (c > 0) {
        long long d = transit - last_transit[stream];
        if (d < 0) d = -d;
        jitter[stream] += ((double)d - jitter[stream]) / 16.0;
      }
      last_transit[stream] = transit;
    }
  }
  return NULL;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: rtpload CALLS SECONDS WARMUP_MS\n");
    return 2;
  }
  int calls = atoi(argv[1]);
  double seconds = atof(argv[2]);
  long long warmup = atoll(argv[3]) * 1000000LL;
  if (calls < 1 || calls > 20000 || seconds <= 0 || seconds > 600 || warmup < 0) {
    fprintf(stderr, "rtpload: bad arguments\n");
    return 2;
  }
  phones = 2 * calls;

  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) fail("socket");
  int one = 1, size = 32 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  struct timeval rto = {.tv_sec = 0, .tv_usec = 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rto, sizeof rto);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) fail("bind");
  socklen_t len = sizeof local;
  getsockname(fd, (struct sockaddr *)&local, &len);
  printf("{\"port\":%d}\n", ntohs(local.sin_port));
  fflush(stdout);

  targets = calloc(phones, sizeof *targets);
  sources = calloc(phones, sizeof *sources);
  for (int i = 0; i < phones; i++) {
    char addr[64];
    int port;
    if (scanf(" %63[0-9.]:%d", addr, &port) != 2 || inet_pton(AF_INET, addr, &targets[i].sin_addr) != 1 || port < 1 ||
        port > 65535) {
      fprintf(stderr, "rtpload: bad target %d\n", i);
      return 2;
    }
    unsigned char *a = (unsigned char *)&targets[i].sin_addr;
    if (a[0] != 127) {
      fprintf(stderr, "rtpload: target %d is not a loopback address\n", i);
      return 2;
    }
    targets[i].sin_family = AF_INET;
    targets[i].sin_port = htons((uint16_t)port);
    sources[i] = phone_addr(i);
  }

  long long run = warmup + (long long)(seconds * 1e9);
  cap = (uint32_t)(seconds * 1e9 / PTIME_NS) + 8;
  sent = calloc(phones, sizeof *sent);
  received = calloc(phones, sizeof *received);
  delays = calloc((size_t)phones * cap, sizeof *delays);
  jitter = calloc(phones, sizeof *jitter);
  last_transit = calloc(phones, sizeof *last_transit);
  unsigned char(*pkts)[PACKET] = calloc(phones, PACKET);
  for (int i = 0; i < phones; i++) {
    memset(pkts[i], 0xff, PACKET); /* PCMU silence */
    pkts[i][0] = 0x80;             /* V=2 */
    pkts[i][1] = 0;                /* PT 0 = PCMU */
    uint32_t ssrc = htonl(0x10000u + (uint32_t)i), stream = (uint32_t)i;
    memcpy(pkts[i] + 8, &ssrc, 4);
    memcpy(pkts[i] + 20, &stream, 4);
  }
  uint16_t *seq = calloc(phones, sizeof *seq);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  union {
    char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct cmsghdr align;
  } ctl[BATCH];

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  t0 = now_ns() + 10000000LL;
  window_start = t0 + warmup;
  window_end = t0 + run;
  pthread_t rx;
  if (pthread_create(&rx, NULL, receiver, NULL) != 0) fail("pthread_create");

  long long total_sent = 0, send_errors = 0;
  for (long long tick = 0;; tick++) {
    long long due = t0 + tick * (PTIME_NS / SLOTS);
    if (due >= window_end) break;
    sleep_until(due);
    long long late = now_ns() - due;
    int slot = (int)(tick % SLOTS), n = 0;
    unsigned char in_window = due >= window_start;
    if (in_window && late > late_max) late_max = late;
    for (int i = slot; i < phones; i += SLOTS) {
      unsigned char *p = pkts[i];
      uint16_t s = ++seq[i];
      uint32_t ts = htonl((uint32_t)s * 160u);
      uint16_t sn = htons(s);
      memcpy(p + 2, &sn, 2);
      memcpy(p + 4, &ts, 4);
      p[24] = in_window;
      iov[n].iov_base = p;
      iov[n].iov_len = PACKET;
      struct msghdr *h = &msgs[n].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_name = &targets[i];
      h->msg_namelen = sizeof targets[i];
      h->msg_iov = &iov[n];
      h->msg_iovlen = 1;
      h->msg_control = ctl[n].buf;
      h->msg_controllen = sizeof ctl[n].buf;
      struct cmsghdr *c = CMSG_FIRSTHDR(h);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
      struct in_pktinfo pi = {.ipi_ifindex = 0, .ipi_spec_dst = sources[i]};
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
      n++;
      if (n == BATCH || i + SLOTS >= phones) {
        long long at = now_ns();
        for (int k = 0; k < n; k++) memcpy((unsigned char *)iov[k].iov_base + 12, &at, 8);
        int done = 0;
        while (done < n) {
          int r = sendmmsg(fd, msgs + done, n - done, 0);
          if (r < 0) {
            if (errno == EINTR) continue;
            send_errors += n - done;
            break;
          }
          done += r;
        }
        if (in_window) {
          for (int k = 0; k < done; k++) {
            uint32_t stream;
            memcpy(&stream, (unsigned char *)iov[k].iov_base + 20, 4);
            sent[stream]++;
          }
        }
        total_sent += done;
        n = 0;
      }
    }
  }
  sleep_until(window_end + DRAIN_NS);
  stop = 1;
  pthread_join(rx, NULL);
  getrusage(RUSAGE_SELF, &ru1);

  unsigned long long s_all = 0, r_all = 0;
  double worst = 100.0, jsum = 0, jmax = 0;
  size_t nd = 0;
  /* Stream i is sent by phone i; its packets are counted as received[i] by whoever got them. */
  for (int i = 0; i < phones; i++) {
    s_all += sent[i];
    r_all += received[i] < sent[i] ? received[i] : sent[i];
    if (sent[i] > 0) {
      double pct = 100.0 * (received[i] < sent[i] ? received[i] : sent[i]) / sent[i];
      if (pct < worst) worst = pct;
    }
    jsum += jitter[i];
    if (jitter[i] > jmax) jmax = jitter[i];
    uint32_t c = received[i] < cap ? received[i] : cap;
    uint32_t lo = UINT32_MAX;
    for (uint32_t k = 0; k < c; k++)
      if (delays[(size_t)i * cap + k] < lo) lo = delays[(size_t)i * cap + k];
    for (uint32_t k = 0; k < c; k++) delays[nd++] = delays[(size_t)i * cap + k] - lo;
  }
  qsort(delays, nd, sizeof *delays, cmp_u32);
#define PCT(p) (nd == 0 ? -1.0 : delays[(size_t)((p) * (nd - 1))] / 1000.0)
  double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) / 1e6;
  double wall = (run + DRAIN_NS) / 1e9;
  printf("{\"calls\":%d,\"seconds\":%g,\"sent\":%llu,\"received\":%llu,\"totalSent\":%lld,\"sendErrors\":%lld,"
         "\"expected\":%llu,\"worstStreamPct\":%.3f,\"addedP50Ms\":%.3f,\"addedP99Ms\":%.3f,\"addedP999Ms\":%.3f,"
         "\"addedMaxMs\":%.3f,\"jitterMeanMs\":%.3f,\"jitterMaxMs\":%.3f,\"lateMaxMs\":%.3f,\"loadCpuPct\":%.1f}\n",
         calls, seconds, s_all, r_all, total_sent, send_errors,
         (unsigned long long)phones * (unsigned long long)(seconds * 1e9 / PTIME_NS), worst, PCT(0.5), PCT(0.99),
         PCT(0.999), PCT(1.0), jsum / phones / 1e6, jmax / 1e6, late_max / 1e6, 100.0 * cpu / wall);
  return 0;
}
