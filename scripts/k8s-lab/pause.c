/* The lab's pod sandbox ("pause") process: holds the pod's namespaces, reaps orphaned children (it is
 * PID 1 of pods that share their PID namespace) and exits on SIGINT/SIGTERM. Built static so its image
 * is one file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGINT, &stop, NULL);
  sigaction(SIGTERM, &stop, NULL);
  sigaction(SIGCHLD, &child, NULL);
  if (getpid() != 1) fprintf(stderr, "pause: not PID 1, reaping only my own children\n");
  for (;;) pause();
  return 0;
}
