/*
 * bpfilter_nft_batch: applies one nf_tables transaction in this network namespace, sent over
 * netlink (NETLINK_NETFILTER) without nft's parser: the messages come ready-made on stdin.
 *
 *   bpfilter_nft_batch < MESSAGES
 *
 * stdin: nf_tables netlink messages (struct nlmsghdr, nfgenmsg, attributes), back to back,
 * of the NFNL_SUBSYS_NFTABLES subsystem only. The helper frames them with
 * NFNL_MSG_BATCH_BEGIN / NFNL_MSG_BATCH_END (one transaction: the kernel applies all of it or
 * none), numbers them (message i gets sequence number i + 1, the batch begin UINT32_MAX, where
 * a failed commit is reported), asks an ack of the last one, and sends the batch in one
 * sendmsg. nfnetlink handles the batch inside that call, so its answers are queued when it
 * returns.
 *
 * stdout: one line per refused message, `refused INDEX ERRNO` (INDEX from 0; INDEX -1 is the
 * commit itself). Exit status 0 when the kernel committed the batch; 1 when it refused it
 * (nothing changed); 2 on any other error (message on stderr). Needs CAP_NET_ADMIN.
 *
 * No messages (an empty stdin or request): the kernel finishes freeing what earlier commits
 * replaced or deleted before the helper answers (release() says how and why), and nothing else.
 *
 *   bpfilter_nft_batch --serve
 *
 * applies batch after batch (helper_serve.h): each request is one batch's messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper_serve.h"

#define EXIT_REFUSED 1
#define EXIT_FAILED 2
#define BEGIN_SEQ UINT32_MAX
/* A batch far beyond any table iptables can send (its blob is capped well below this). */
#define MAX_BATCH (256u << 20)

static void fail(const char *what, int err) {
  fprintf(serving ? out : stderr, "bpfilter_nft_batch: %s: %s\n", what, strerror(err));
  finish(EXIT_FAILED);
}

static void failx(const char *what) {
  fprintf(serving ? out : stderr, "bpfilter_nft_batch: %s\n", what);
  finish(EXIT_FAILED);
}

static int sock = -1;
static const size_t control = NLMSG_SPACE(sizeof(struct nfgenmsg));

/* Reads all of stdin after `head` bytes of room; returns the buffer, its length in *len. */
static char *read_all(size_t head, size_t tail, size_t *len) {
  size_t cap = 1 << 20, n = 0;
  char *buf = malloc(head + cap + tail);
  if (buf == NULL) fail("memory", ENOMEM);
  for (;;) {
    if (n == cap) {
      if (cap >= MAX_BATCH) failx("batch too large");
      cap *= 2;
      buf = realloc(buf, head + cap + tail);
      if (buf == NULL) fail("memory", ENOMEM);
    }
    ssize_t got = read(0, buf + head + n, cap - n);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("stdin", errno);
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  *len = n;
  return buf;
}

static void put_control(char *at, uint16_t type, uint32_t seq) {
  struct nlmsghdr *nlh = (struct nlmsghdr *)at;
  memset(at, 0, NLMSG_SPACE(sizeof(struct nfgenmsg)));
  nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = seq;
  struct nfgenmsg *gen = NLMSG_DATA(nlh);
  gen->nfgen_family = AF_UNSPEC;
  gen->version = NFNETLINK_V0;
  gen->res_id = htons(NFNL_SUBSYS_NFTABLES);
}

/*
 * nf_tables frees a commit's old rules in a work queue after an RCU grace period
 * (nf_tables_trans_destroy_work), and with them what their expressions hold: nft_compat's xt
 * modules let go of their ipsets (xt_set), recent and hashlimit tables there, where the legacy
 * tables let go inside the SET_REPLACE. The release of a bound NETLINK_NETFILTER socket runs
 * the notifier nft_rcv_nl_event inside close(), which waits for that work
 * (nf_tables_trans_destroy_flush_work; unconditionally since Linux 6.10): so a throwaway
 * socket, bound and closed, returns once this namespace's old rules are gone. It costs the
 * grace period when there is work, a mutex and a walk of the tables when there is none.
 */
static int release(void) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (s < 0) fail("netlink socket", errno);
  /* netlink_release notifies only a socket with a port id: bind gives it one. */
  struct sockaddr_nl any = {.nl_family = AF_NETLINK};
  int bound = bind(s, (struct sockaddr *)&any, sizeof(any));
  int err = errno;
  close(s);
  if (bound < 0) fail("bind", err);
  return 0;
}

/* Applies the batch of `len` bytes at `body` (with `control` bytes free before and after). */
static int apply(char *body, size_t len) {
  if (len == 0) return release();
  char *buf = body - control;
  /* Number the messages, and check that each is a whole nf_tables request. */
  uint32_t count = 0;
  struct nlmsghdr *last = NULL;
  for (size_t off = 0; off < len;) {
    struct nlmsghdr *nlh = (struct nlmsghdr *)(body + off);
    if (len - off < NLMSG_HDRLEN + sizeof(struct nfgenmsg) || nlh->nlmsg_len < NLMSG_HDRLEN ||
        nlh->nlmsg_len > len - off || (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
      failx("stdin is not a sequence of nf_tables messages");
    nlh->nlmsg_flags = (uint16_t)((nlh->nlmsg_flags & ~NLM_F_ACK) | NLM_F_REQUEST);
    nlh->nlmsg_seq = ++count;
    last = nlh;
    off += NLMSG_ALIGN(nlh->nlmsg_len);
    if (off > len) failx("stdin is not a sequence of nf_tables messages");
  }
  last->nlmsg_flags |= NLM_F_ACK;
  put_control(buf, NFNL_MSG_BATCH_BEGIN, BEGIN_SEQ);
  put_control(body + len, NFNL_MSG_BATCH_END, count + 1);
  size_t total = control + len + control;

  /* Answers a failed earlier batch left unread are not this one's. */
  static char rbuf[1 << 16];
  for (;;) {
    ssize_t stale = recv(sock, rbuf, sizeof(rbuf), MSG_DONTWAIT);
    if (stale > 0 || (stale < 0 && (errno == EINTR || errno == ENOBUFS))) continue;
    break;
  }
  /* The whole batch goes in one message; root may raise the buffer past the sysctl cap. */
  int size = (int)(total + 65536);
  if (setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0 &&
      setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) < 0)
    fail("send buffer", errno);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(sock, buf, total, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
    fail("send", errno);

  /* Answers: an error for each refused message, the commit's error (on the batch begin), and
   * the ack of the last message. nfnetlink handled the batch inside sendto, so they are all
   * queued now: read without waiting. */
  int refused = 0, acked = 0;
  for (;;) {
    ssize_t got = recv(sock, rbuf, sizeof(rbuf), MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      /* Answers lost (ENOBUFS): only refusals make many. */
      if (errno == ENOBUFS) {
        refused = 1;
        continue;
      }
      fail("receive", errno);
    }
    int left = (int)got;
    for (const struct nlmsghdr *m = (const struct nlmsghdr *)rbuf; NLMSG_OK(m, left);
         m = NLMSG_NEXT(m, left)) {
      if (m->nlmsg_type != NLMSG_ERROR) continue;
      const struct nlmsgerr *e = NLMSG_DATA(m);
      if (e->error != 0) {
        refused = 1;
        long index = m->nlmsg_seq == BEGIN_SEQ ? -1 : (long)m->nlmsg_seq - 1;
        fprintf(out, "refused %ld %d\n", index, -e->error);
      }
      if (m->nlmsg_seq == count) acked = 1;
    }
  }
  /* Neither refused nor acknowledged: the kernel did not say what it did. */
  if (!refused && !acked) failx("the kernel did not acknowledge the batch");
  return refused ? EXIT_REFUSED : 0;
}

int main(int argc, char **argv) {
  sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (sock < 0) fail("netlink socket", errno);
  int rcv = 4 << 20;
  if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
    setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
  if (argc > 1 && strcmp(argv[1], "--serve") == 0) return serve(apply, control, control);
  size_t len;
  char *buf = read_all(control, control, &len);
  out = stdout;
  int status = apply(buf + control, len);
  if (fflush(stdout) != 0) fail("output", errno);
  return status;
}
