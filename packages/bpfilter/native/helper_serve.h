/*
 * The persistent mode of enforcement's helpers (`--serve`): one process answers request after
 * request, so the service does not start a process (a fork of a large Node.js heap) per
 * counter read or per transaction.
 *
 *   stdin:  requests, each a u32 length (host order) and that many bytes; or SHARED_REQUEST
 *           and a u32 length: that many bytes are at the start of the file at fd 3 (a file in
 *           memory the service passed and wrote the request into in one system call, where a
 *           large one came through stdin in turns of the socket's buffer);
 *   stdout: answers, each a u32 status (the exit status the one-shot run would have had),
 *           a u32 length and that many bytes (what the one-shot run prints; on status 2 the
 *           error message).
 *
 * The helper exits at end of input (the service went away), or on a broken pipe.
 */
#ifndef BPFILTER_HELPER_SERVE_H
#define BPFILTER_HELPER_SERVE_H

#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Where a helper prints its answer: stdout in a one-shot run, the answer buffer when serving. */
static FILE *out;
static int serving;
static jmp_buf serve_failed;
static volatile int failed_status;

/* Ends the current request with `status` (serving) or the process (one-shot run). */
static void finish(int status) {
  if (!serving) exit(status);
  failed_status = status;
  longjmp(serve_failed, 1);
}

static int read_full(void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(0, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    got += (size_t)r;
  }
  return 1;
}

#define SHARED_REQUEST UINT32_MAX
#define SHARED_FD 3

static int pread_full(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    got += (size_t)r;
  }
  return 1;
}

static int write_full(const void *buf, size_t n) {
  size_t put = 0;
  while (put < n) {
    ssize_t w = write(1, (const char *)buf + put, n - put);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 0;
    put += (size_t)w;
  }
  return 1;
}

/*
 * The request whose length word `*len` was read, in a buffer with `head` bytes free before it
 * and `tail` (and a NUL) after it; NULL if it could not be read. Sets `*len` to its length.
 */
static char *read_request(uint32_t *len, size_t head, size_t tail) {
  int shared = *len == SHARED_REQUEST;
  if (shared && !read_full(len, sizeof(*len))) return NULL;
  char *buf = malloc(head + (size_t)*len + tail + 1);
  if (buf == NULL) return NULL;
  if (shared ? pread_full(SHARED_FD, buf + head, *len) : read_full(buf + head, *len)) return buf;
  free(buf);
  return NULL;
}

/*
 * Answers requests until end of input. `handle` gets each request with `head` bytes free
 * before it and `tail` bytes after it, prints its answer to `out` and returns a status.
 */
static int serve(int (*handle)(char *request, size_t len), size_t head, size_t tail) {
  serving = 1;
  /* A large table's requests and answers are hundreds of KB: kept in the heap once freed
     rather than unmapped and mapped again, whose every page is a fault to take again (on a
     virtual machine, dearer than the bytes written into it). */
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  for (;;) {
    uint32_t len;
    if (!read_full(&len, sizeof(len))) return 0;
    /* volatile: kept across the longjmp of a failed request, which frees it after. */
    char *volatile buf = read_request(&len, head, tail);
    if (buf == NULL) return 2;
    buf[head + len] = 0;
    char *answer = NULL;
    size_t size = 0;
    out = open_memstream(&answer, &size);
    if (out == NULL) return 2;
    int status;
    if (setjmp(serve_failed) == 0)
      status = handle(buf + head, len);
    else
      status = failed_status;
    fclose(out);
    free(buf);
    uint32_t header[2] = {(uint32_t)status, (uint32_t)size};
    int ok = write_full(header, sizeof(header)) && write_full(answer, size);
    free(answer);
    if (!ok) return 2;
  }
}

#endif
