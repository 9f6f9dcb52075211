/*
 * nf_tables gets over netlink for enforcement's counter reader: a socket with its receive
 * buffer, one request (a dump or a single get) whose answers go to a callback, and the
 * reading of their attributes.
 */
#ifndef BPFILTER_NFT_GET_H
#define BPFILTER_NFT_GET_H

#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* One netlink socket, its receive buffer, and where what its answers give is printed. */
struct reader {
  int sock;
  uint32_t seq;
  FILE *out;
  char rbuf[1 << 20];
};
#define ATTR_OK(a, end)                                                              \
  ((const char *)(a) + NLA_HDRLEN <= (end) && (a)->nla_len >= NLA_HDRLEN &&        \
   (const char *)(a) + (a)->nla_len <= (end))
#define ATTR_NEXT(a) ((const struct nlattr *)((const char *)(a) + NLA_ALIGN((a)->nla_len)))
#define ATTR_FOR(a, start, len)                                                      \
  for (const struct nlattr *a = (const struct nlattr *)(start);                    \
       ATTR_OK(a, (const char *)(start) + (len)); a = ATTR_NEXT(a))

static const void *attr_data(const struct nlattr *a) { return (const char *)a + NLA_HDRLEN; }
static int attr_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
static int attr_type(const struct nlattr *a) { return a->nla_type & NLA_TYPE_MASK; }

static uint64_t attr_u64(const struct nlattr *a) {
  uint64_t v = 0;
  if (attr_len(a) == 8) memcpy(&v, attr_data(a), 8);
  return be64toh(v);
}

/* A string attribute without its terminating NUL. */
static size_t str_len(const struct nlattr *a) {
  return strnlen(attr_data(a), (size_t)attr_len(a));
}

static void add_attr(char *msg, uint16_t type, const char *value) {
  struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
  size_t n = strlen(value) + 1;
  struct nlattr *a = (struct nlattr *)(msg + NLMSG_ALIGN(nlh->nlmsg_len));
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + n);
  memcpy((char *)a + NLA_HDRLEN, value, n);
  nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

typedef void (*on_message)(FILE *out, const struct nlattr *attrs, int len);

/*
 * Sends an nf_tables get (a dump, or one object when `dump` is 0) over `r` and hands each
 * answer to `each`; returns 0, or the errno of the failure (the caller reports it).
 */
static int request(struct reader *r, uint16_t type, int dump, const char *attr_names[],
                   const uint16_t attr_types[], on_message each) {
  char msg[1024] = {0};
  struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
  nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
  nlh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
  nlh->nlmsg_seq = ++r->seq;
  struct nfgenmsg *gen = NLMSG_DATA(nlh);
  gen->nfgen_family = NFPROTO_IPV4;
  gen->version = NFNETLINK_V0;
  for (int i = 0; attr_names[i] != NULL; i++) {
    if (strlen(attr_names[i]) > 256) return ENAMETOOLONG;
    add_attr(msg, attr_types[i], attr_names[i]);
  }
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(r->sock, msg, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
    return errno;
  for (;;) {
    ssize_t got = recv(r->sock, r->rbuf, sizeof(r->rbuf), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    int left = (int)got;
    for (const struct nlmsghdr *m = (const struct nlmsghdr *)r->rbuf; NLMSG_OK(m, left);
         m = NLMSG_NEXT(m, left)) {
      if (m->nlmsg_seq != r->seq) continue;
      if (m->nlmsg_type == NLMSG_DONE) return 0;
      /* An error, or the ack of a single get. */
      if (m->nlmsg_type == NLMSG_ERROR) return -((const struct nlmsgerr *)NLMSG_DATA(m))->error;
      int off = NLMSG_ALIGN(sizeof(struct nfgenmsg));
      int len = (int)m->nlmsg_len - NLMSG_HDRLEN - off;
      if (len >= 0) each(r->out, (const struct nlattr *)((const char *)NLMSG_DATA(m) + off), len);
    }
  }
}

#endif
