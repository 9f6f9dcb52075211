/*
 * umd_wire.h - the umd wire format, version 1, for handlers (and hosts) written in C.
 *
 * Single header, no dependencies beyond POSIX: include it and call the functions, all of which
 * are static inline. The format is specified on the docs site's wire-format page (packages/docs/src/reference/wire-format.md):
 * a 16-byte little-endian header (magic "UMD1", type, flags, reserved, id, length), then the
 * payload. In raw mode there is no header: use umd_read_full / umd_write_full directly.
 *
 * Usage (framed handler):
 *   umd_send_hello(1, UMD_DEFAULT_MAX_PAYLOAD, "my-handler");
 *   for (;;) {
 *     struct umd_header h; char why[160];
 *     int r = umd_read_header(0, &h, UMD_DEFAULT_MAX_PAYLOAD, why, sizeof why);
 *     if (r == 0) exit(0);            // end of input: the host is gone or done
 *     if (r < 0) { fprintf(stderr, "%s\n", why); exit(2); }   // protocol error
 *     ... read h.length payload bytes with umd_read_full, answer with umd_write_frame ...
 *   }
 */
#ifndef UMD_WIRE_H
#define UMD_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define UMD_HEADER_SIZE 16u
#define UMD_PROTOCOL_VERSION 1u
#define UMD_DEFAULT_MAX_PAYLOAD (64u * 1024u * 1024u)

enum umd_frame_type {
	UMD_HELLO = 1,   /* handler -> host, first frame: u16 version, u16 reserved, u32 max payload, name */
	UMD_REQUEST = 2, /* host -> handler */
	UMD_REPLY = 3,   /* handler -> host, same id as the request */
	UMD_ERROR = 4,   /* handler -> host: i32 code (negative errno), UTF-8 message */
	UMD_CANCEL = 5,  /* host -> handler: request id no longer wanted, empty payload */
};

struct umd_header {
	uint8_t type;
	uint8_t flags;
	uint16_t reserved;
	uint32_t id;
	uint32_t length;
};

static inline void umd_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void umd_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint16_t umd_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t umd_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/*
 * Reads exactly len bytes unless end of file comes first. Returns the number of bytes read
 * (less than len only at end of file), or -1 with errno set. Retries on EINTR.
 */
static inline ssize_t umd_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Writes every byte of iov[0..count), as many writev calls as it takes: each partial write
 * advances through the iovecs, which it changes. Returns 0, or -1 with errno set (EPIPE: the
 * peer is gone).
 */
static inline int umd_writev_full(int fd, struct iovec *iov, int count)
{
	while (count > 0) {
		ssize_t n;
		if (iov->iov_len == 0) {
			iov++;
			count--;
			continue;
		}
		n = writev(fd, iov, count);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (; count > 0 && (size_t)n >= iov->iov_len; iov++, count--)
			n -= (ssize_t)iov->iov_len;
		if (count > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* Writes all len bytes. Returns 0, or -1 with errno set (EPIPE: the host is gone). */
static inline int umd_write_full(int fd, const void *buf, size_t len)
{
	struct iovec one;
	one.iov_base = (void *)buf;
	one.iov_len = len;
	return umd_writev_full(fd, &one, 1);
}

/* Encodes a header into out[16]. */
static inline void umd_header_encode(uint8_t out[UMD_HEADER_SIZE], uint8_t type, uint32_t id, uint32_t length)
{
	out[0] = 'U';
	out[1] = 'M';
	out[2] = 'D';
	out[3] = '1';
	out[4] = type;
	out[5] = 0;
	umd_put_u16(out + 6, 0);
	umd_put_u32(out + 8, id);
	umd_put_u32(out + 12, length);
}

/*
 * Decodes and validates a header: magic, known type, zero flags and reserved, length <= max_payload.
 * Returns 0, or -1 with a message saying what was wrong in why (if why is not NULL).
 * Check the length here, before allocating anything for the payload.
 */
static inline int umd_header_decode(const uint8_t in[UMD_HEADER_SIZE], struct umd_header *h, uint32_t max_payload,
				    char *why, size_t why_len)
{
	h->type = in[4];
	h->flags = in[5];
	h->reserved = umd_get_u16(in + 6);
	h->id = umd_get_u32(in + 8);
	h->length = umd_get_u32(in + 12);
	if (memcmp(in, "UMD1", 4) != 0) {
		if (why)
			snprintf(why, why_len, "bad magic bytes %02x %02x %02x %02x (expected 55 4d 44 31, \"UMD1\")", in[0], in[1],
				 in[2], in[3]);
		return -1;
	}
	if (h->type < UMD_HELLO || h->type > UMD_CANCEL) {
		if (why)
			snprintf(why, why_len, "unknown frame type %u", h->type);
		return -1;
	}
	if (h->flags != 0) {
		if (why)
			snprintf(why, why_len, "non-zero flags 0x%02x", h->flags);
		return -1;
	}
	if (h->reserved != 0) {
		if (why)
			snprintf(why, why_len, "non-zero reserved field 0x%04x", h->reserved);
		return -1;
	}
	if (h->length > max_payload) {
		if (why)
			snprintf(why, why_len, "payload length %u of frame %u exceeds the maximum of %u bytes", h->length, h->id,
				 max_payload);
		return -1;
	}
	return 0;
}

/*
 * Reads and validates one header. Returns 1 with *h filled, 0 at a clean end of file (before
 * the first header byte), -1 on a protocol error or truncated header (message in why), -2 on a
 * read error (errno set).
 */
static inline int umd_read_header(int fd, struct umd_header *h, uint32_t max_payload, char *why, size_t why_len)
{
	uint8_t raw[UMD_HEADER_SIZE];
	ssize_t n = umd_read_full(fd, raw, sizeof raw);
	if (n < 0)
		return -2;
	if (n == 0)
		return 0;
	if ((size_t)n < sizeof raw) {
		if (why)
			snprintf(why, why_len, "input ended inside a frame header (%zd of 16 bytes)", n);
		return -1;
	}
	return umd_header_decode(raw, h, max_payload, why, why_len) == 0 ? 1 : -1;
}

/* Writes one frame (header and payload in one writev). Returns 0, or -1 with errno set. */
static inline int umd_write_frame(int fd, uint8_t type, uint32_t id, const void *payload, uint32_t length)
{
	uint8_t header[UMD_HEADER_SIZE];
	struct iovec iov[2];
	umd_header_encode(header, type, id, length);
	iov[0].iov_base = header;
	iov[0].iov_len = UMD_HEADER_SIZE;
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = length;
	return umd_writev_full(fd, iov, 2);
}

/* Sends HELLO: protocol version 1, the largest request payload accepted, the handler's name. */
static inline int umd_send_hello(int fd, uint32_t max_payload, const char *name)
{
	uint8_t payload[8 + 256];
	size_t name_len = strlen(name);
	if (name_len > 256)
		name_len = 256;
	umd_put_u16(payload, UMD_PROTOCOL_VERSION);
	umd_put_u16(payload + 2, 0);
	umd_put_u32(payload + 4, max_payload);
	memcpy(payload + 8, name, name_len);
	return umd_write_frame(fd, UMD_HELLO, 0, payload, (uint32_t)(8 + name_len));
}

/* Sends an ERROR frame for request id: code is negative errno style (-22 for EINVAL). */
static inline int umd_send_error(int fd, uint32_t id, int32_t code, const char *message)
{
	uint8_t payload[4 + 1024];
	size_t len = strlen(message);
	if (len > 1024)
		len = 1024;
	umd_put_u32(payload, (uint32_t)code);
	memcpy(payload + 4, message, len);
	return umd_write_frame(fd, UMD_ERROR, id, payload, (uint32_t)(4 + len));
}

/* Decodes a HELLO payload (host side). Returns 0, or -1 if it is too short or another version. */
static inline int umd_hello_decode(const uint8_t *payload, uint32_t length, uint32_t *max_payload)
{
	if (length < 8 || umd_get_u16(payload) != UMD_PROTOCOL_VERSION || umd_get_u16(payload + 2) != 0)
		return -1;
	*max_payload = umd_get_u32(payload + 4);
	return 0;
}

#endif /* UMD_WIRE_H */
