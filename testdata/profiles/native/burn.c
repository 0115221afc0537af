#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#ifdef WITH_PROFILER
#include <gperftools/profiler.h>
#endif

static volatile double sink;

__attribute__((noinline)) static double checksum(int n) {
	double s = 0;
	for (int i = 0; i < n; i++) s += (i % 7) * 0.5;
	return s;
}

__attribute__((noinline)) static void write_out(int fd, int n) {
	char buf[64] = {0};
	for (int i = 0; i < n; i++) write(fd, buf, sizeof buf);
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
	double secs = argc > 2 ? atof(argv[2]) : 0.5;
	int fd = open("/dev/null", O_WRONLY);
#ifdef WITH_PROFILER
	ProfilerStart(argv[1]);
#endif
	double end = now() + secs;
	while (now() < end) {
		sink += checksum(200000);
		write_out(fd, 2000);
	}
#ifdef WITH_PROFILER
	ProfilerStop();
#endif
	return 0;
}
