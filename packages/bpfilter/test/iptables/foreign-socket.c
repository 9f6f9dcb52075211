/*
 * Test fixture: asks for the filter table's GET_INFO on an ordinary UDP socket (which a
 * kernel accepts from root) and tries an empty SET_REPLACE. Under the preload both must be
 * refused, since the socket is not one the library created. Prints "get RC ERRNO" and "set RC ERRNO".
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	unsigned char info[84] = "filter";
	socklen_t len = sizeof(info);
	errno = 0;
	int rc = getsockopt(fd, SOL_IP, 64, info, &len);
	printf("get %d %d\n", rc, rc < 0 ? errno : 0);
	unsigned char replace[96];
	memset(replace, 0, sizeof(replace));
	strcpy((char *)replace, "filter");
	errno = 0;
	rc = setsockopt(fd, SOL_IP, 64, replace, sizeof(replace));
	printf("set %d %d\n", rc, rc < 0 ? errno : 0);
	return 0;
}
