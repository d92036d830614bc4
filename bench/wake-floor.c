/*
 * The floor of a watchdog that looks once per threshold, in native code: one thread that only
 * sleeps `period` ms and, with `read`, reads /proc/self/task/<pid>/syscall once per wake-up (what
 * the probes read to tell a parked loop from a blocked one). The bench measures its CPU (lib.mjs,
 * wakeFloor): what any such watchdog pays on this machine before doing anything of its own.
 *
 *   wake-floor <period ms> [read]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static long period_ms;
static int read_proc;

static void *watch(void *unused) {
  (void)unused;
  prctl(PR_SET_NAME, "wakefloor");
  char path[64], buf[128];
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)getpid());
  int fd = open(path, O_RDONLY);
  struct timespec ts = {period_ms / 1000, (period_ms % 1000) * 1000000L};
  for (;;) {
    nanosleep(&ts, NULL);
    if (read_proc && fd >= 0 && pread(fd, buf, sizeof buf, 0) < 0) fd = -1;
  }
  return NULL;
}

int main(int argc, char **argv) {
  period_ms = argc > 1 ? atol(argv[1]) : 51;
  read_proc = argc > 2;
  pthread_t t;
  if (period_ms <= 0 || pthread_create(&t, NULL, watch, NULL) != 0) return 2;
  pause(); /* until the bench kills it */
  return 0;
}
