/*
 * bpfilter_ipset: asks this network namespace's kernel about its ipsets as libxt_set does
 * (getsockopt(SOL_IP, SO_IP_SET) on an IPv4 socket), for an enforcing service that answers
 * iptables' SO_IP_SET from the kernel that holds the sets its rules name.
 *
 *   bpfilter_ipset --serve
 *
 * answers request after request (helper_serve.h). A request is one of the four libxt_set
 * sends, exactly its size: ip_set_req_version (IP_SET_OP_VERSION), ip_set_req_get_set
 * (GET_BYNAME, GET_BYINDEX) or ip_set_req_get_set_family (GET_FNAME); anything else is
 * refused before any system call (the service checks too: no caller's buffer of another
 * kind reaches the kernel through it). Answer: status 0 and the buffer as the kernel wrote
 * it back, in hex; status 1 and the errno the kernel's getsockopt failed with (decimal);
 * status 2 and a message otherwise. Needs CAP_NET_ADMIN in the namespace, as ipset does.
 */
#include <errno.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "helper_serve.h"

static int sock = -1;

/* The size of the request of `op`; 0 for an op libxt_set never sends. */
static size_t request_size(unsigned op) {
  switch (op) {
  case IP_SET_OP_VERSION:
    return sizeof(struct ip_set_req_version);
  case IP_SET_OP_GET_BYNAME:
  case IP_SET_OP_GET_BYINDEX:
    return sizeof(struct ip_set_req_get_set);
  case IP_SET_OP_GET_FNAME:
    return sizeof(struct ip_set_req_get_set_family);
  default:
    return 0;
  }
}

static int handle(char *request, size_t len) {
  union {
    unsigned op;
    struct ip_set_req_version version;
    struct ip_set_req_get_set get;
    struct ip_set_req_get_set_family family;
  } req;
  if (len < sizeof(req.op)) {
    fprintf(out, "no op");
    finish(2);
  }
  memcpy(&req.op, request, sizeof(req.op));
  if (request_size(req.op) == 0 || request_size(req.op) != len) {
    fprintf(out, "op 0x%x in %zu bytes is not a request libxt_set sends", req.op, len);
    finish(2);
  }
  memcpy(&req, request, len);
  socklen_t size = (socklen_t)len;
  if (getsockopt(sock, SOL_IP, SO_IP_SET, &req, &size) != 0) {
    fprintf(out, "%d", errno);
    return 1;
  }
  if (size != len) {
    fprintf(out, "the kernel answered %u bytes to %zu", (unsigned)size, len);
    return 2;
  }
  for (size_t i = 0; i < len; i++) fprintf(out, "%02x", ((unsigned char *)&req)[i]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2 || strcmp(argv[1], "--serve") != 0) {
    fprintf(stderr, "usage: bpfilter_ipset --serve\n");
    return 2;
  }
  sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    perror("bpfilter_ipset: socket");
    return 2;
  }
  return serve(handle, 0, 0);
}
