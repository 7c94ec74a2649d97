/*
 * relay.node: the pure RTP/RTCP relay of a media worker, in C. Same semantics as
 * src/media/relay.ts (read that first), without a JavaScript call per packet.
 *
 * Each leg owns an RTP and an RTCP UDP socket, watched by uv_poll_t handles on the event loop of
 * the thread that loaded the addon (the media worker), so no thread of our own. A readable socket
 * is drained with recvmmsg into a per-thread batch; accepted packets are sent on with one
 * sendmmsg on the bridged leg's socket, copied never: the same buffer goes back out.
 *
 * Counters live in a Float64Array the caller gives to openLeg (indices C_* below, mirrored in
 * src/media/native-relay.ts), written by C and read by JavaScript with no call across.
 *
 * Telephone-event packets (RFC 4733; payload type set per leg by setEventPayloadType) are rare: each
 * one is copied into a buffer JavaScript gave to onTelephoneEvent and reported to its callback,
 * after the batch it came in has been sent, so that digits of relayed legs are heard without
 * decoding them. They reach the bridged leg only when that leg has a telephone-event payload type
 * too (RFC 3264: never send a payload type the receiver did not negotiate).
 *
 * Every argument is checked: a bad one throws a TypeError or RangeError with code
 * PBX_ERR_MEDIA_NATIVE_ARG, a stale handle throws PBX_ERR_MEDIA_NO_LEG. A crash here would end
 * the whole PBX.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <node_api.h>
#include "napi-args.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define RELATCH_PACKETS 3    /* src/media/relay.ts RELATCH_PACKETS */
#define RELATCH_QUIET_MS 500 /* src/media/relay.ts RELATCH_QUIET_MS */
#define BATCH 64             /* datagrams per recvmmsg */
#define ROUNDS 4             /* recvmmsg calls per readable event at most, for fairness */
#define SLOT 2048            /* bytes per datagram; longer ones are truncated and dropped */
#define MAX_LEGS 65536
#define RTP_HEADER 12

/* RFC 3550 A.1 */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define MIN_SEQUENTIAL 2
#define RTP_SEQ_MOD (1u << 16)

enum {
  C_RTP_RECEIVED,
  C_RTP_BYTES_RECEIVED,
  C_RTP_SENT,
  C_RTP_BYTES_SENT,
  C_RTP_DROPPED,
  C_RTCP_RECEIVED,
  C_RTCP_SENT,
  C_LATCHED,
  C_SSRC,
  C_SEND_PORT,
  C_PACKETS_LOST,
  C_JITTER_MS,
  C_RTT_MS, /* -1 until a receiver report answers a relayed sender report */
  C_COUNT
};

typedef struct sockaddr_storage addr_t;

/* RFC 3550 A.1 source state plus A.8 jitter, for the latched stream. */
typedef struct {
  uint16_t max_seq;
  uint32_t cycles;
  uint32_t base_seq;
  uint32_t bad_seq;
  uint32_t probation;
  uint32_t received;
  int started;
  double lost_before; /* packets lost from earlier SSRCs of this leg */
  uint32_t last_ts;
  double last_arrival; /* in RTP timestamp units */
  double jitter;       /* in RTP timestamp units */
} rx_t;

struct relay;

typedef struct leg {
  struct relay *relay;
  uint32_t slot;
  uint32_t handle;
  int family; /* of both sockets */
  int rtp_fd, rtcp_fd;
  uv_poll_t rtp_poll, rtcp_poll;
  int open_polls;
  struct leg *peer;
  napi_ref counters_ref;
  double *c;

  addr_t sdp;      /* ss_family AF_UNSPEC: none */
  addr_t send;     /* the latched source, else the SDP address */
  addr_t rtcp_send;
  int latched, rtcp_latched;
  uint32_t latched_ssrc;
  uint64_t latched_last_rx;
  addr_t candidate;
  uint32_t candidate_ssrc;
  uint16_t candidate_seq;
  int candidate_count;

  uint8_t pt_map[128];
  int pt_rewrite;
  int dtmf_pt; /* the telephone-event payload type of this leg's phone; -1: none */
  double clock_rate;
  rx_t rx;
  /* RTT (RFC 3550 6.4.1): the middle 32 bits of the NTP time of the last SR relayed to this
   * phone (-1: none) and when it went; the phone's RR echoes them as LSR with its DLSR. */
  int64_t sr_sent_middle;
  double sr_sent_at;
} leg_t;

typedef struct relay {
  napi_env env;
  uv_loop_t *loop;
  leg_t *legs[MAX_LEGS];
  uint32_t generation[MAX_LEGS];
  uint32_t next_slot;
  int closing;
  int open_legs;
  napi_async_cleanup_hook_handle cleanup;
  struct mmsghdr in[BATCH];
  int last_n; /* entries of `in` the last recvmmsg filled */
  struct iovec in_iov[BATCH];
  addr_t in_addr[BATCH];
  /* The telephone-event callback (onTelephoneEvent) and the buffer each packet is copied to. */
  napi_ref event_cb;
  napi_ref event_buf_ref;
  unsigned char *event_buf;
  size_t event_buf_len;
  napi_async_context event_ctx;
  int event_idx[BATCH]; /* entries of `in` holding telephone-event packets of this round */
  struct mmsghdr out[BATCH];
  struct iovec out_iov[BATCH];
  unsigned char buf[BATCH][SLOT];
} relay_t;

/* ------------------------------------------------------------------------------------------- */
/* Addresses */

static int same_ip(const addr_t *a, const addr_t *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  if (a->ss_family == AF_INET6)
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
  return a->ss_family == AF_UNSPEC;
}

static uint16_t port_of(const addr_t *a) {
  if (a->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)a)->sin_port);
  if (a->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
  return 0;
}

static void set_port(addr_t *a, uint16_t port) {
  if (a->ss_family == AF_INET) ((struct sockaddr_in *)a)->sin_port = htons(port);
  else if (a->ss_family == AF_INET6) ((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

static int same_addr(const addr_t *a, const addr_t *b) {
  return port_of(a) == port_of(b) && same_ip(a, b);
}

static socklen_t addr_len(const addr_t *a) {
  return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* An IP literal for a socket of `family` (an IPv4 one becomes v4-mapped on an IPv6 socket). */
static int parse_ip(const char *s, uint16_t port, int family, addr_t *out) {
  memset(out, 0, sizeof *out);
  struct in_addr v4;
  struct in6_addr v6;
  if (inet_pton(AF_INET, s, &v4) == 1) {
    if (family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)out;
      a->sin_family = AF_INET;
      a->sin_addr = v4;
      a->sin_port = htons(port);
      return 0;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_addr.s6_addr[10] = 0xff;
    a->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
    a->sin6_port = htons(port);
    return 0;
  }
  if (family == AF_INET6 && inet_pton(AF_INET6, s, &v6) == 1) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_addr = v6;
    a->sin6_port = htons(port);
    return 0;
  }
  return -1;
}

static uint64_t now_ms(relay_t *r) {
  return uv_now(r->loop);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------------------------------- */
/* Receive statistics: RFC 3550 A.1 sequence validation, A.3 cumulative loss, A.8 jitter. */

static void rx_init_seq(rx_t *s, uint16_t seq) {
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = RTP_SEQ_MOD + 1;
  s->cycles = 0;
  s->received = 0;
}

static double rx_lost(const rx_t *s) {
  if (!s->started || s->probation > 0) return s->lost_before;
  double expected = (double)s->cycles + s->max_seq - s->base_seq + 1;
  double lost = expected - s->received; /* A.3: negative with duplicates; reported as 0 */
  return s->lost_before + (lost > 0 ? lost : 0);
}

/* A new SSRC on the leg: what its predecessor lost stays counted. */
static void rx_new_source(rx_t *s) {
  s->lost_before = rx_lost(s);
  s->started = 0;
}

/* A.1 update_seq; returns whether the packet counts as valid. */
static int rx_update_seq(rx_t *s, uint16_t seq) {
  uint16_t udelta = seq - s->max_seq;
  if (s->probation) {
    if (seq == (uint16_t)(s->max_seq + 1)) {
      s->probation--;
      s->max_seq = seq;
      if (s->probation == 0) {
        rx_init_seq(s, seq);
        s->received++;
        return 1;
      }
    } else {
      s->probation = MIN_SEQUENTIAL - 1;
      s->max_seq = seq;
    }
    return 0;
  }
  if (udelta < MAX_DROPOUT) {
    if (seq < s->max_seq) s->cycles += RTP_SEQ_MOD;
    s->max_seq = seq;
  } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
    if (seq == s->bad_seq) {
      rx_init_seq(s, seq); /* the source restarted */
    } else {
      s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
      return 0;
    }
  }
  s->received++;
  return 1;
}

static void rx_packet(leg_t *l, const unsigned char *p, double arrival_s) {
  rx_t *s = &l->rx;
  uint16_t seq = (uint16_t)((p[2] << 8) | p[3]);
  uint32_t ts = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
  double arrival = arrival_s * l->clock_rate;
  if (!s->started) {
    s->started = 1;
    rx_init_seq(s, seq);
    s->max_seq = seq - 1;
    s->probation = MIN_SEQUENTIAL;
    s->last_ts = ts;
    s->last_arrival = arrival;
    s->jitter = 0;
  } else {
    /* A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si), the timestamp difference taken modulo 2^32 */
    double d = (arrival - s->last_arrival) - (double)(int32_t)(ts - s->last_ts);
    if (d < 0) d = -d;
    s->jitter += (d - s->jitter) / 16.0;
    s->last_ts = ts;
    s->last_arrival = arrival;
  }
  rx_update_seq(s, seq);
  l->c[C_PACKETS_LOST] = rx_lost(s);
  l->c[C_JITTER_MS] = s->jitter * 1000.0 / l->clock_rate;
}

/* ------------------------------------------------------------------------------------------- */
/* Latching (src/media/relay.ts Leg.latch and relatch) */

static void latch(leg_t *l, const addr_t *src, uint32_t ssrc) {
  if (!l->latched || ssrc != l->latched_ssrc) rx_new_source(&l->rx);
  l->latched = 1;
  l->latched_ssrc = ssrc;
  l->latched_last_rx = now_ms(l->relay);
  l->candidate_count = 0;
  if (!l->rtcp_latched || !same_ip(&l->rtcp_send, src)) {
    l->rtcp_latched = 0;
    l->rtcp_send = *src;
    set_port(&l->rtcp_send, (uint16_t)(port_of(src) + 1));
  }
  l->send = *src;
  l->c[C_LATCHED] = 1;
  l->c[C_SSRC] = ssrc;
  l->c[C_SEND_PORT] = port_of(src);
}

static int relatch(leg_t *l, const addr_t *src, uint32_t ssrc, uint16_t seq) {
  if (l->candidate_count > 0 && l->candidate_ssrc == ssrc && same_addr(&l->candidate, src) &&
      (uint16_t)(l->candidate_seq + 1) == seq) {
    l->candidate_count++;
  } else {
    l->candidate = *src;
    l->candidate_ssrc = ssrc;
    l->candidate_count = 1;
  }
  l->candidate_seq = seq;
  if (l->candidate_count < RELATCH_PACKETS) return 0;
  if (ssrc == l->latched_ssrc && now_ms(l->relay) - l->latched_last_rx < RELATCH_QUIET_MS) return 0;
  latch(l, src, ssrc);
  return 1;
}

/* ------------------------------------------------------------------------------------------- */
/* The hot path */

/* Sends out[0..n) on fd; returns how many went. A datagram the kernel refuses is skipped. */
static int send_batch(int fd, struct mmsghdr *out, int n) {
  int off = 0, sent = 0;
  while (off < n) {
    int r = sendmmsg(fd, out + off, (unsigned)(n - off), MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      off++;
      continue;
    }
    sent += r;
    off += r;
  }
  return sent;
}

/* The batch's headers point at its buffers once and for all; recvmmsg only shortens the names. */
static void init_batch(relay_t *r) {
  for (int i = 0; i < BATCH; i++) {
    r->in_iov[i].iov_base = r->buf[i];
    r->in_iov[i].iov_len = SLOT;
    r->in[i].msg_hdr.msg_iov = &r->in_iov[i];
    r->in[i].msg_hdr.msg_iovlen = 1;
    r->in[i].msg_hdr.msg_name = &r->in_addr[i];
    r->in[i].msg_hdr.msg_namelen = sizeof r->in_addr[i];
  }
}

static int receive(relay_t *r, int fd) {
  for (int i = 0; i < r->last_n; i++) r->in[i].msg_hdr.msg_namelen = sizeof r->in_addr[i];
  int n;
  do n = recvmmsg(fd, r->in, BATCH, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  r->last_n = n > 0 ? n : 0;
  return n;
}

static void queue_out(relay_t *r, int k, int i, unsigned len, addr_t *to) {
  r->out_iov[k].iov_base = r->buf[i];
  r->out_iov[k].iov_len = len;
  memset(&r->out[k].msg_hdr, 0, sizeof r->out[k].msg_hdr);
  r->out[k].msg_hdr.msg_iov = &r->out_iov[k];
  r->out[k].msg_hdr.msg_iovlen = 1;
  r->out[k].msg_hdr.msg_name = to;
  r->out[k].msg_hdr.msg_namelen = addr_len(to);
}

/*
 * Reports one telephone-event packet to the JavaScript callback (handle, length). Returns 0 when
 * the leg was released meanwhile (the callback may close legs): the caller stops reading it.
 */
static int report_event(relay_t *r, leg_t *l, const unsigned char *p, unsigned len) {
  if (r->event_cb == NULL || r->closing || len > r->event_buf_len) return 1;
  napi_env env = r->env;
  uint32_t slot = l->slot;
  memcpy(r->event_buf, p, len);
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 1;
  napi_value cb, recv, argv[2], result;
  if (napi_get_reference_value(env, r->event_cb, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv); /* napi_make_callback wants an object as `this` */
    napi_create_double(env, l->handle, &argv[0]);
    napi_create_uint32(env, len, &argv[1]);
    if (napi_make_callback(env, r->event_ctx, recv, cb, 2, argv, &result) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value e;
        napi_get_and_clear_last_exception(env, &e);
      }
    }
  }
  napi_close_handle_scope(env, scope);
  return !r->closing && r->legs[slot] == l;
}

static void on_rtp(uv_poll_t *h, int status, int events) {
  leg_t *l = h->data;
  relay_t *r = l->relay;
  (void)events;
  if (status < 0) return;
  for (int round = 0; round < ROUNDS; round++) {
    int n = receive(r, l->rtp_fd);
    if (n <= 0) return;
    double arrival = now_s();
    leg_t *peer = l->peer;
    int k = 0, reports = 0;
    double bytes_out = 0;
    for (int i = 0; i < n; i++) {
      unsigned char *p = r->buf[i];
      unsigned len = r->in[i].msg_len;
      const addr_t *src = &r->in_addr[i];
      if ((r->in[i].msg_hdr.msg_flags & MSG_TRUNC) || len < RTP_HEADER || (p[0] >> 6) != 2) {
        l->c[C_RTP_DROPPED]++;
        continue;
      }
      uint32_t ssrc = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11];
      if (!l->latched) {
        latch(l, src, ssrc);
      } else if (same_addr(src, &l->send)) {
        l->latched_last_rx = now_ms(r);
      } else if (!relatch(l, src, ssrc, (uint16_t)((p[2] << 8) | p[3]))) {
        l->c[C_RTP_DROPPED]++;
        continue;
      }
      l->c[C_RTP_RECEIVED]++;
      l->c[C_RTP_BYTES_RECEIVED] += len;
      rx_packet(l, p, arrival);
      if ((p[1] & 0x7f) == l->dtmf_pt) {
        r->event_idx[reports++] = i;
        if (peer == NULL || peer->dtmf_pt < 0) continue;
      }
      if (peer == NULL || peer->send.ss_family == AF_UNSPEC) continue;
      if (peer->pt_rewrite) p[1] = (unsigned char)((p[1] & 0x80) | peer->pt_map[p[1] & 0x7f]);
      queue_out(r, k++, i, len, &peer->send);
      bytes_out += len;
    }
    if (k > 0) {
      int sent = send_batch(peer->rtp_fd, r->out, k);
      peer->c[C_RTP_SENT] += sent;
      peer->c[C_RTP_BYTES_SENT] += sent == k ? bytes_out : bytes_out * sent / k;
    }
    for (int e = 0; e < reports; e++)
      if (!report_event(r, l, r->buf[r->event_idx[e]], r->in[r->event_idx[e]].msg_len)) return;
    if (n < BATCH) return;
  }
}

/* RFC 3550 6.4: an RTCP compound packet starts with a version 2 header of at least 8 bytes. */
static int is_rtcp(const unsigned char *p, unsigned len) {
  return len >= 8 && (p[0] >> 6) == 2 && p[1] >= 192 && p[1] <= 223;
}

static uint32_t get32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The NTP middle 32 bits of the first SR in a compound packet, or -1. */
static int64_t sr_ntp_middle(const unsigned char *p, unsigned len) {
  for (unsigned o = 0; o + 20 <= len;) {
    if ((p[o] >> 6) != 2) return -1;
    unsigned bytes = ((((unsigned)p[o + 2] << 8) | p[o + 3]) + 1) * 4;
    if (p[o + 1] == 200 && bytes >= 28 && o + bytes <= len)
      return (int64_t)(((get32(p + o + 8) & 0xffffu) << 16) | (get32(p + o + 12) >> 16));
    o += bytes;
  }
  return -1;
}

/* The DLSR of the report block (in an SR or RR) whose LSR is `lsr`, or -1. */
static int64_t dlsr_for_lsr(const unsigned char *p, unsigned len, uint32_t lsr) {
  for (unsigned o = 0; o + 8 <= len;) {
    if ((p[o] >> 6) != 2) return -1;
    unsigned bytes = ((((unsigned)p[o + 2] << 8) | p[o + 3]) + 1) * 4;
    if (o + bytes > len) return -1;
    unsigned type = p[o + 1];
    if (type == 200 || type == 201) {
      unsigned first = o + (type == 200 ? 28 : 8);
      unsigned count = p[o] & 0x1f;
      for (unsigned i = 0; i < count && first + 24 * (i + 1) <= o + bytes; i++) {
        const unsigned char *b = p + first + 24 * i;
        if (get32(b + 16) == lsr) return get32(b + 20);
      }
    }
    o += bytes;
  }
  return -1;
}

static void on_rtcp(uv_poll_t *h, int status, int events) {
  leg_t *l = h->data;
  relay_t *r = l->relay;
  (void)events;
  if (status < 0) return;
  for (int round = 0; round < ROUNDS; round++) {
    int n = receive(r, l->rtcp_fd);
    if (n <= 0) return;
    leg_t *peer = l->peer;
    int k = 0;
    for (int i = 0; i < n; i++) {
      unsigned len = r->in[i].msg_len;
      const addr_t *src = &r->in_addr[i];
      if ((r->in[i].msg_hdr.msg_flags & MSG_TRUNC) || !is_rtcp(r->buf[i], len)) continue;
      if (!l->rtcp_latched || !same_addr(src, &l->rtcp_send)) {
        /* RTCP latches to a source on the latched RTP address (to any source before RTP latched). */
        if (l->latched && !same_ip(src, &l->send)) continue;
        l->rtcp_latched = 1;
        l->rtcp_send = *src;
      }
      l->c[C_RTCP_RECEIVED]++;
      if (l->sr_sent_middle >= 0) {
        int64_t dlsr = dlsr_for_lsr(r->buf[i], len, (uint32_t)l->sr_sent_middle);
        if (dlsr >= 0) {
          double rtt = (now_s() - l->sr_sent_at) * 1000.0 - (double)dlsr * 1000.0 / 65536.0;
          if (rtt >= 0) l->c[C_RTT_MS] = rtt;
        }
      }
      if (peer == NULL || peer->rtcp_send.ss_family == AF_UNSPEC) continue;
      int64_t middle = sr_ntp_middle(r->buf[i], len);
      if (middle >= 0) {
        peer->sr_sent_middle = middle;
        peer->sr_sent_at = now_s();
      }
      queue_out(r, k++, i, len, &peer->rtcp_send);
    }
    if (k > 0) peer->c[C_RTCP_SENT] += send_batch(peer->rtcp_fd, r->out, k);
    if (n < BATCH) return;
  }
}

/* ------------------------------------------------------------------------------------------- */
/* Leg life cycle */

static void unbridge(leg_t *l) {
  if (l->peer != NULL) l->peer->peer = NULL;
  l->peer = NULL;
}

static void maybe_finish_cleanup(relay_t *r);

static void on_poll_closed(uv_handle_t *h) {
  leg_t *l = h->data;
  if (--l->open_polls > 0) return;
  relay_t *r = l->relay;
  free(l);
  r->open_legs--;
  maybe_finish_cleanup(r);
}

/* Closes both sockets now (the port is free when this returns); the memory goes once libuv is done. */
static void close_leg(leg_t *l) {
  relay_t *r = l->relay;
  unbridge(l);
  r->legs[l->slot] = NULL;
  if (!r->closing && l->counters_ref != NULL) napi_delete_reference(r->env, l->counters_ref);
  l->counters_ref = NULL;
  l->c = NULL;
  uv_close((uv_handle_t *)&l->rtp_poll, on_poll_closed);
  uv_close((uv_handle_t *)&l->rtcp_poll, on_poll_closed);
  close(l->rtp_fd);
  close(l->rtcp_fd);
}

static void maybe_finish_cleanup(relay_t *r) {
  if (!r->closing || r->open_legs > 0) return;
  napi_async_cleanup_hook_handle h = r->cleanup;
  free(r);
  napi_remove_async_cleanup_hook(h);
}

/* The thread's environment is going away: close every leg, then free the relay. */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  relay_t *r = arg;
  r->closing = 1;
  r->cleanup = handle;
  for (uint32_t i = 0; i < MAX_LEGS; i++)
    if (r->legs[i] != NULL) close_leg(r->legs[i]);
  maybe_finish_cleanup(r);
}

/* ------------------------------------------------------------------------------------------- */
/* Argument checks */

static napi_value fail_errno(napi_env env, const char *code, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}


static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, relay_t **r) {
  void *data = NULL;
  if (!get_call_args(env, info, want, argv, &data)) return 0;
  *r = data;
  return 1;
}

/* An integer in [min, max]; anything else throws. */
static int get_int(napi_env env, napi_value v, const char *name, double min, double max, double *out) {
  return get_integer(env, v, name, min, max, out);
}

/* A string up to cap - 1 bytes, or null when allow_null; *is_null tells which. */
static int get_string(napi_env env, napi_value v, const char *name, int allow_null, char *out, size_t cap, int *is_null) {
  napi_valuetype t;
  char msg[128];
  *is_null = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null && allow_null) {
    *is_null = 1;
    out[0] = 0;
    return 1;
  }
  if (t != napi_string) {
    snprintf(msg, sizeof msg, "%s must be a string%s", name, allow_null ? " or null" : "");
    fail(env, ARG, msg, 0);
    return 0;
  }
  size_t len;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  if (len >= cap) {
    snprintf(msg, sizeof msg, "%s is too long", name);
    fail(env, ARG, msg, 1);
    return 0;
  }
  napi_get_value_string_utf8(env, v, out, cap, &len);
  return 1;
}

static leg_t *get_leg(napi_env env, relay_t *r, napi_value v) {
  double h;
  if (!get_int(env, v, "handle", 0, 4294967295.0, &h)) return NULL;
  uint32_t slot = (uint32_t)h % MAX_LEGS;
  leg_t *l = r->legs[slot];
  if (l == NULL || l->handle != (uint32_t)h) {
    napi_throw_error(env, "PBX_ERR_MEDIA_NO_LEG", "no such native relay leg (closed or never opened)");
    return NULL;
  }
  return l;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* ------------------------------------------------------------------------------------------- */
/* Exports */

static int open_socket(int family, const addr_t *bind_to, int *fd_out, int *err) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (bind(fd, (const struct sockaddr *)bind_to, addr_len(bind_to)) < 0) {
    *err = errno;
    close(fd);
    return -1;
  }
  *fd_out = fd;
  return 0;
}

/* openLeg(bindAddress: string, rtpPort: number, counters: Float64Array): number (a handle) */
static napi_value open_leg(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  relay_t *r;
  if (!get_args(env, info, 3, argv, &r)) return NULL;
  char address[INET6_ADDRSTRLEN + 1];
  int is_null;
  double port;
  if (!get_string(env, argv[0], "bindAddress", 0, address, sizeof address, &is_null)) return NULL;
  if (!get_int(env, argv[1], "rtpPort", 1, 65534, &port)) return NULL;
  bool is_typed = false;
  napi_is_typedarray(env, argv[2], &is_typed);
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (is_typed) napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL);
  if (!is_typed || type != napi_float64_array || length < C_COUNT || data == NULL) {
    char msg[96];
    snprintf(msg, sizeof msg, "counters must be a Float64Array of at least %d elements", C_COUNT);
    return fail(env, ARG, msg, 0);
  }
  addr_t rtp_addr, rtcp_addr;
  int family = strchr(address, ':') != NULL ? AF_INET6 : AF_INET;
  if (parse_ip(address, (uint16_t)port, family, &rtp_addr) < 0)
    return fail(env, ARG, "bindAddress must be an IPv4 or IPv6 literal", 1);
  rtcp_addr = rtp_addr;
  set_port(&rtcp_addr, (uint16_t)(port + 1));
  if (r->closing) return fail(env, "PBX_ERR_MEDIA_NATIVE_CLOSED", "the relay is shutting down", 0);

  uint32_t slot = MAX_LEGS;
  for (uint32_t i = 0; i < MAX_LEGS; i++) {
    uint32_t s = (r->next_slot + i) % MAX_LEGS;
    if (r->legs[s] == NULL) {
      slot = s;
      break;
    }
  }
  if (slot == MAX_LEGS) return fail(env, "PBX_ERR_MEDIA_NATIVE_FULL", "too many native relay legs", 1);

  int rtp_fd, rtcp_fd, err = 0;
  char what[INET6_ADDRSTRLEN + 48];
  if (open_socket(family, &rtp_addr, &rtp_fd, &err) < 0) {
    snprintf(what, sizeof what, "cannot bind %s:%d", address, (int)port);
    return fail_errno(env, err == EADDRINUSE ? "PBX_ERR_MEDIA_PORT_IN_USE" : "PBX_ERR_MEDIA_BIND", what, err);
  }
  if (open_socket(family, &rtcp_addr, &rtcp_fd, &err) < 0) {
    close(rtp_fd);
    snprintf(what, sizeof what, "cannot bind %s:%d", address, (int)port + 1);
    return fail_errno(env, err == EADDRINUSE ? "PBX_ERR_MEDIA_PORT_IN_USE" : "PBX_ERR_MEDIA_BIND", what, err);
  }

  leg_t *l = calloc(1, sizeof *l);
  if (l == NULL) {
    close(rtp_fd);
    close(rtcp_fd);
    return fail_errno(env, "PBX_ERR_MEDIA_BIND", "cannot allocate a leg", ENOMEM);
  }
  l->relay = r;
  l->slot = slot;
  r->generation[slot]++;
  l->handle = (r->generation[slot] % 65536u) * MAX_LEGS + slot;
  l->rtp_fd = rtp_fd;
  l->rtcp_fd = rtcp_fd;
  l->sdp.ss_family = AF_UNSPEC;
  l->send.ss_family = AF_UNSPEC;
  l->rtcp_send.ss_family = AF_UNSPEC;
  l->clock_rate = 8000;
  l->dtmf_pt = -1;
  for (int i = 0; i < 128; i++) l->pt_map[i] = (uint8_t)i;
  l->c = data;
  for (int i = 0; i < C_COUNT; i++) l->c[i] = 0;
  l->c[C_RTT_MS] = -1;
  l->sr_sent_middle = -1;
  l->family = family;
  l->rtp_poll.data = l;
  l->rtcp_poll.data = l;
  if (uv_poll_init(r->loop, &l->rtp_poll, rtp_fd) != 0) {
    close(rtp_fd);
    close(rtcp_fd);
    free(l);
    return fail_errno(env, "PBX_ERR_MEDIA_BIND", "cannot watch the RTP socket", EINVAL);
  }
  if (uv_poll_init(r->loop, &l->rtcp_poll, rtcp_fd) != 0) {
    /* the RTP poll exists: on_poll_closed frees the leg */
    l->open_polls = 1;
    r->open_legs++;
    uv_close((uv_handle_t *)&l->rtp_poll, on_poll_closed);
    close(rtp_fd);
    close(rtcp_fd);
    return fail_errno(env, "PBX_ERR_MEDIA_BIND", "cannot watch the RTCP socket", EINVAL);
  }
  napi_create_reference(env, argv[2], 1, &l->counters_ref);
  l->open_polls = 2;
  r->legs[slot] = l;
  r->open_legs++;
  if (uv_poll_start(&l->rtp_poll, UV_READABLE, on_rtp) != 0 || uv_poll_start(&l->rtcp_poll, UV_READABLE, on_rtcp) != 0) {
    close_leg(l);
    return fail_errno(env, "PBX_ERR_MEDIA_BIND", "cannot watch the leg's sockets", EINVAL);
  }
  r->next_slot = (slot + 1) % MAX_LEGS;
  napi_value out;
  napi_create_double(env, l->handle, &out);
  return out;
}

/*
 * setRemote(handle, address: string | null, port, rtcpAddress: string | null, rtcpPort,
 *           ptMap: Uint8Array(128), clockRate): the SDP target, as Leg.setRemote in relay.ts.
 */
static napi_value set_remote(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  relay_t *r;
  if (!get_args(env, info, 7, argv, &r)) return NULL;
  leg_t *l = get_leg(env, r, argv[0]);
  if (l == NULL) return NULL;
  char address[INET6_ADDRSTRLEN + 1], rtcp_address[INET6_ADDRSTRLEN + 1];
  int address_null, rtcp_null;
  double port, rtcp_port, clock_rate;
  if (!get_string(env, argv[1], "address", 1, address, sizeof address, &address_null)) return NULL;
  if (!get_int(env, argv[2], "port", 0, 65535, &port)) return NULL;
  if (!get_string(env, argv[3], "rtcpAddress", 1, rtcp_address, sizeof rtcp_address, &rtcp_null)) return NULL;
  if (!get_int(env, argv[4], "rtcpPort", 0, 65535, &rtcp_port)) return NULL;
  bool is_typed = false;
  napi_is_typedarray(env, argv[5], &is_typed);
  napi_typedarray_type type;
  size_t length = 0;
  uint8_t *map = NULL;
  if (is_typed) napi_get_typedarray_info(env, argv[5], &type, &length, (void **)&map, NULL, NULL);
  if (!is_typed || type != napi_uint8_array || length != 128 || map == NULL)
    return fail(env, ARG, "ptMap must be a Uint8Array of 128 payload types", 0);
  for (int i = 0; i < 128; i++)
    if (map[i] > 127) return fail(env, ARG, "ptMap values must be payload types 0-127", 1);
  if (!get_int(env, argv[6], "clockRate", 1000, 192000, &clock_rate)) return NULL;

  int family = l->family;
  addr_t sdp, rtcp;
  sdp.ss_family = AF_UNSPEC;
  rtcp.ss_family = AF_UNSPEC;
  if (!address_null && parse_ip(address, (uint16_t)port, family, &sdp) < 0)
    return fail(env, ARG, "address must be an IP literal of the socket's family", 1);
  if (!rtcp_null && parse_ip(rtcp_address, (uint16_t)rtcp_port, family, &rtcp) < 0)
    return fail(env, ARG, "rtcpAddress must be an IP literal of the socket's family", 1);

  int moved = !same_addr(&sdp, &l->sdp);
  l->sdp = sdp;
  if (moved || !l->latched) {
    /* A new address in SDP (re-INVITE to elsewhere): learn the source again. */
    l->latched = 0;
    l->rtcp_latched = 0;
    l->candidate_count = 0;
    l->send = sdp;
    l->rtcp_send = rtcp;
    l->c[C_LATCHED] = 0;
    l->c[C_SEND_PORT] = port_of(&sdp);
  }
  l->pt_rewrite = 0;
  for (int i = 0; i < 128; i++) {
    l->pt_map[i] = map[i];
    if (map[i] != i) l->pt_rewrite = 1;
  }
  if (l->clock_rate != clock_rate) {
    rx_new_source(&l->rx);
    l->clock_rate = clock_rate;
  }
  return undefined(env);
}

/* setEventPayloadType(handle, pt: -1..127): the leg's telephone-event payload type, -1 for none. */
static napi_value set_event_payload_type(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  relay_t *r;
  if (!get_args(env, info, 2, argv, &r)) return NULL;
  leg_t *l = get_leg(env, r, argv[0]);
  if (l == NULL) return NULL;
  double pt;
  if (!get_int(env, argv[1], "payloadType", -1, 127, &pt)) return NULL;
  l->dtmf_pt = (int)pt;
  return undefined(env);
}

/*
 * onTelephoneEvent(callback: (handle, length) => void, packet: Uint8Array): every telephone-event
 * packet a leg receives is copied into `packet` (whole, RTP header included) and reported; packets
 * longer than `packet` are not. A later call replaces the earlier one.
 */
static napi_value on_telephone_event(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  relay_t *r;
  if (!get_args(env, info, 2, argv, &r)) return NULL;
  napi_valuetype t;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) return fail(env, ARG, "callback must be a function", 0);
  bool is_typed = false;
  napi_is_typedarray(env, argv[1], &is_typed);
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (is_typed) napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL);
  if (!is_typed || type != napi_uint8_array || length < RTP_HEADER + 4 || data == NULL)
    return fail(env, ARG, "packet must be a Uint8Array of at least 16 bytes", 0);
  napi_value name;
  napi_async_context ctx;
  napi_create_string_utf8(env, "tspbx:telephone-event", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, NULL, name, &ctx) != napi_ok) return fail_errno(env, "PBX_ERR_MEDIA_NATIVE", "cannot make an async context", EINVAL);
  if (r->event_cb != NULL) {
    napi_delete_reference(env, r->event_cb);
    napi_delete_reference(env, r->event_buf_ref);
    napi_async_destroy(env, r->event_ctx);
  }
  napi_create_reference(env, argv[0], 1, &r->event_cb);
  napi_create_reference(env, argv[1], 1, &r->event_buf_ref);
  r->event_buf = data;
  r->event_buf_len = length;
  r->event_ctx = ctx;
  return undefined(env);
}

/* bridge(a, b): packets from each go out of the other. */
static napi_value bridge(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  relay_t *r;
  if (!get_args(env, info, 2, argv, &r)) return NULL;
  leg_t *a = get_leg(env, r, argv[0]);
  if (a == NULL) return NULL;
  leg_t *b = get_leg(env, r, argv[1]);
  if (b == NULL) return NULL;
  if (a == b) return fail(env, "PBX_ERR_MEDIA_BRIDGE", "a leg cannot be bridged to itself", 1);
  unbridge(a);
  unbridge(b);
  a->peer = b;
  b->peer = a;
  return undefined(env);
}

/* unbridge(handle) */
static napi_value unbridge_leg(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  relay_t *r;
  if (!get_args(env, info, 1, argv, &r)) return NULL;
  leg_t *l = get_leg(env, r, argv[0]);
  if (l == NULL) return NULL;
  unbridge(l);
  return undefined(env);
}

/* sendAddress(handle): the IP packets go to (port in counters[C_SEND_PORT]), or null. */
static napi_value send_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  relay_t *r;
  if (!get_args(env, info, 1, argv, &r)) return NULL;
  leg_t *l = get_leg(env, r, argv[0]);
  if (l == NULL) return NULL;
  napi_value out;
  char text[INET6_ADDRSTRLEN];
  const void *ip = NULL;
  if (l->send.ss_family == AF_INET) ip = &((struct sockaddr_in *)&l->send)->sin_addr;
  else if (l->send.ss_family == AF_INET6) ip = &((struct sockaddr_in6 *)&l->send)->sin6_addr;
  if (ip == NULL || inet_ntop(l->send.ss_family, ip, text, sizeof text) == NULL) {
    napi_get_null(env, &out);
    return out;
  }
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}

/* release(handle): closes the leg's two sockets now, so the port can be bound again at once.
   Returns false for a handle that is already released (safe to call twice). */
static napi_value release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  relay_t *r;
  if (!get_args(env, info, 1, argv, &r)) return NULL;
  double h;
  if (!get_int(env, argv[0], "handle", 0, 4294967295.0, &h)) return NULL;
  leg_t *l = r->legs[(uint32_t)h % MAX_LEGS];
  napi_value out;
  if (l == NULL || l->handle != (uint32_t)h) {
    napi_get_boolean(env, false, &out);
    return out;
  }
  close_leg(l);
  napi_get_boolean(env, true, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  relay_t *r = calloc(1, sizeof *r);
  if (r == NULL) {
    napi_throw_error(env, "PBX_ERR_MEDIA_NATIVE", "cannot allocate the relay");
    return NULL;
  }
  r->env = env;
  init_batch(r);
  if (napi_get_uv_event_loop(env, &r->loop) != napi_ok || r->loop == NULL) {
    free(r);
    napi_throw_error(env, "PBX_ERR_MEDIA_NATIVE", "no event loop");
    return NULL;
  }
  if (napi_add_async_cleanup_hook(env, on_env_cleanup, r, NULL) != napi_ok) {
    free(r);
    napi_throw_error(env, "PBX_ERR_MEDIA_NATIVE", "cannot add a cleanup hook");
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"openLeg", NULL, open_leg, NULL, NULL, NULL, napi_enumerable, r},
      {"setRemote", NULL, set_remote, NULL, NULL, NULL, napi_enumerable, r},
      {"setEventPayloadType", NULL, set_event_payload_type, NULL, NULL, NULL, napi_enumerable, r},
      {"onTelephoneEvent", NULL, on_telephone_event, NULL, NULL, NULL, napi_enumerable, r},
      {"bridge", NULL, bridge, NULL, NULL, NULL, napi_enumerable, r},
      {"unbridge", NULL, unbridge_leg, NULL, NULL, NULL, napi_enumerable, r},
      {"sendAddress", NULL, send_address, NULL, NULL, NULL, napi_enumerable, r},
      {"release", NULL, release, NULL, NULL, NULL, napi_enumerable, r},
  };
  napi_value count;
  napi_create_uint32(env, C_COUNT, &count);
  napi_set_named_property(env, exports, "COUNTERS", count);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
