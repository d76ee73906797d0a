/*
 * Diagnostic only: LD_PRELOAD=build/bench/libnofsync.so makes fsync and
 * fdatasync return at once, to separate the CPU cost of ctsnode from the
 * disk's flush latency when profiling. Numbers obtained with it are not
 * comparable to the targets (ctsbench says so in its output).
 */
int fsync(int fd);
int fdatasync(int fd);

int fsync(int fd)
{
	(void)fd;
	return 0;
}

int fdatasync(int fd)
{
	(void)fd;
	return 0;
}
