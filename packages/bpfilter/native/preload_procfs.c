/*
 * /proc/net/ip_tables_names, as the preload library answers it: iptables-legacy-save reads
 * it (fopen64) to find the tables; libxtables lstat64()s and statfs64()s it to decide
 * whether to run modprobe. The names come from the service; the stats look like procfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bpfilter_preload.h"
#include "preload_internal.h"

#define PROC_SUPER_MAGIC_VALUE 0x9fa0

/* ---- /proc/net/ip_tables_names ------------------------------------------------------ */

static int is_names_path(const char *path)
{
	return path && strcmp(path, PROC_TABLE_NAMES) == 0;
}

/* A memfd holding the service's table names, one per line, as the kernel's file has. */
static int names_fd(void)
{
	REAL(int, close, int);
	uint32_t max_payload = 0;
	int sock = service_connect(1, &max_payload);
	if (sock < 0)
		return sock;
	struct owned state = { .used = 1, .next_id = 1, .max_payload = max_payload };
	uint32_t data_len;
	int status = service_request(sock, &state, 0, BPFILTER_UMD_GET_TABLE_NAMES, NULL, 0,
				     &data_len);
	uint8_t *data = status == 0 && data_len ? malloc(data_len) : NULL;
	if (status == 0 && data_len && !data)
		status = -ENOMEM;
	if (status == 0)
		status = service_read_data(sock, data, data_len, data_len);
	real_close(sock);
	if (status < 0) {
		free(data);
		return status;
	}
	int fd = memfd_create("ip_tables_names", MFD_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		free(data);
		return -err;
	}
	int rc = data_len ? write_full(fd, data, data_len, write) : 0;
	free(data);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
		rc = -errno;
	if (rc) {
		real_close(fd);
		return rc;
	}
	return fd;
}

static int open_names(void)
{
	int fd = names_fd();
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

static FILE *fopen_names(void)
{
	REAL(int, close, int);
	int fd = open_names();
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		int err = errno;
		real_close(fd);
		errno = err;
	}
	return f;
}

static int mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

/*
 * open(), open64() and openat(): the names file from the service, anything else from libc.
 * lead_param, lead_type and lead_arg are openat's leading directory argument, or nothing.
 */
#define OPEN_WRAPPER(name, lead_param, lead_type, lead_arg)                       \
	int name(lead_param const char *path, int flags, ...)                     \
	{                                                                         \
		REAL(int, name, lead_type const char *, int, ...);                \
		va_list ap;                                                       \
		va_start(ap, flags);                                              \
		int mode = mode_arg(flags, ap);                                   \
		va_end(ap);                                                       \
		if (is_names_path(path))                                          \
			return open_names();                                      \
		return real_##name(lead_arg path, flags, mode);                   \
	}

#define NO_DIRFD
#define DIRFD_PARAM int dirfd,
#define DIRFD_TYPE int,
#define DIRFD_ARG dirfd,

OPEN_WRAPPER(open, NO_DIRFD, NO_DIRFD, NO_DIRFD)
OPEN_WRAPPER(open64, NO_DIRFD, NO_DIRFD, NO_DIRFD)
OPEN_WRAPPER(openat, DIRFD_PARAM, DIRFD_TYPE, DIRFD_ARG)

FILE *fopen(const char *path, const char *mode)
{
	REAL(FILE *, fopen, const char *, const char *);
	return is_names_path(path) ? fopen_names() : real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	REAL(FILE *, fopen64, const char *, const char *);
	return is_names_path(path) ? fopen_names() : real_fopen64(path, mode);
}

/* libxtables decides whether to run modprobe from lstat() + statfs() of the names file. */
static void fake_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0440;
	st->st_nlink = 1;
	st->st_blksize = 1024;
}

static void fake_statfs(struct statfs *sf)
{
	memset(sf, 0, sizeof(*sf));
	sf->f_type = PROC_SUPER_MAGIC_VALUE;
	sf->f_bsize = 4096;
	sf->f_frsize = 4096;
	sf->f_namelen = 255;
}

#define STAT_WRAPPER(name, type, faker)                        \
	int name(const char *path, type *buf)                  \
	{                                                      \
		REAL(int, name, const char *, type *);         \
		if (is_names_path(path)) {                     \
			faker((void *)buf);                    \
			return 0;                              \
		}                                              \
		return real_##name(path, buf);                 \
	}

STAT_WRAPPER(stat, struct stat, fake_stat)
STAT_WRAPPER(stat64, struct stat64, fake_stat)
STAT_WRAPPER(lstat, struct stat, fake_stat)
STAT_WRAPPER(lstat64, struct stat64, fake_stat)
STAT_WRAPPER(statfs, struct statfs, fake_statfs)
STAT_WRAPPER(statfs64, struct statfs64, fake_statfs)
