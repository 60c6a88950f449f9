/*
 * fast-spawn: starts a program with posix_spawn(3) and reports its exit from a waiting thread.
 *
 * Why: Node's child_process forks the whole Node process, and copying a 100-200 MB address space's
 * page tables is slow on paravirtualised machines: spawn() blocked the main thread for 7-8 ms per
 * `ip`, where posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK), no copy) runs the same program to its
 * exit in 2.5 ms. The child gets three fresh pipes as stdin/stdout/stderr, default signal handlers
 * and an empty signal mask (Node ignores SIGPIPE; children must not inherit that), its own process
 * group (so a timed-out or cancelled program is killed together with whatever it started, and a
 * terminal's Ctrl-C reaches virtnet, which decides, not the program), and it starts in the network
 * namespace of the calling thread (see netns-switch.c). JavaScript wraps the pipes in
 * sockets (src/exec/fast-spawn.ts); one thread per child blocks in waitpid and hands the status to
 * the event loop. libuv reaps only the pids it started, so the two never take each other's children.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include "napi-value.h"
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct waiter {
  pid_t pid;
  napi_threadsafe_function done;
};

static void call_done(napi_env env, napi_value fn, void *context, void *data) {
  (void)context;
  int status = (int)(intptr_t)data;
  if (env == NULL || fn == NULL) return;
  napi_value undefined, arg;
  napi_get_undefined(env, &undefined);
  napi_create_int32(env, status, &arg);
  napi_call_function(env, undefined, fn, 1, &arg, NULL);
}

static void *wait_child(void *arg) {
  struct waiter *w = arg;
  int status = 0;
  while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
  }
  napi_call_threadsafe_function(w->done, (void *)(intptr_t)status, napi_tsfn_blocking);
  napi_release_threadsafe_function(w->done, napi_tsfn_release);
  free(w);
  return NULL;
}

/* A NULL-terminated copy of a JS string array; NULL on failure. */
static char **string_array(napi_env env, napi_value array) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof *out);
  if (out == NULL) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    size_t len = 0;
    if (napi_get_element(env, array, i, &item) != napi_ok || napi_get_value_string_utf8(env, item, NULL, 0, &len) != napi_ok) goto fail;
    out[i] = malloc(len + 1);
    if (out[i] == NULL || napi_get_value_string_utf8(env, item, out[i], len + 1, &len) != napi_ok) goto fail;
  }
  return out;
fail:
  for (uint32_t i = 0; i < n; i++) free(out[i]);
  free(out);
  return NULL;
}

static void free_array(char **a) {
  if (a == NULL) return;
  for (char **p = a; *p != NULL; p++) free(*p);
  free(a);
}

/*
 * spawn(argv: string[], env: string[], onExit: (status) => void, cwd?: string):
 *   [pid, stdinFd, stdoutFd, stderrFd] on success, or a negative errno (nothing started).
 * argv[0] is looked up in this process's PATH (posix_spawnp does not look at `env`); the child
 * starts in `cwd` when given.
 */
static napi_value spawn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 3) return int_value(env, -EINVAL);
  char **argv = string_array(env, args[0]);
  char **envp = string_array(env, args[1]);
  char cwd[4096] = "";
  napi_valuetype cwd_type = napi_undefined;
  if (argc >= 4) napi_typeof(env, args[3], &cwd_type);
  if (cwd_type == napi_string) {
    size_t len = 0;
    if (napi_get_value_string_utf8(env, args[3], cwd, sizeof cwd, &len) != napi_ok || len == 0 || len >= sizeof cwd - 1) {
      free_array(argv);
      free_array(envp);
      return int_value(env, -EINVAL);
    }
  }
  int fds[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int err = 0;
  pid_t pid = -1;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  int have_actions = 0, have_attr = 0;
  if (argv == NULL || envp == NULL || argv[0] == NULL) {
    err = EINVAL;
    goto out;
  }
  for (int i = 0; i < 3; i++) {
    if (pipe2(fds[i], O_CLOEXEC) != 0) {
      err = errno;
      goto out;
    }
  }
  if ((err = posix_spawn_file_actions_init(&actions)) != 0) goto out;
  have_actions = 1;
  /* The child's ends: stdin reads from pipe 0, stdout/stderr write to pipes 1 and 2. */
  if ((err = posix_spawn_file_actions_adddup2(&actions, fds[0][0], 0)) != 0) goto out;
  if ((err = posix_spawn_file_actions_adddup2(&actions, fds[1][1], 1)) != 0) goto out;
  if ((err = posix_spawn_file_actions_adddup2(&actions, fds[2][1], 2)) != 0) goto out;
  if (cwd[0] != '\0' && (err = posix_spawn_file_actions_addchdir_np(&actions, cwd)) != 0) goto out;
  if ((err = posix_spawnattr_init(&attr)) != 0) goto out;
  have_attr = 1;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

  struct waiter *w = calloc(1, sizeof *w);
  if (w == NULL) {
    err = ENOMEM;
    goto out;
  }
  napi_value name;
  napi_create_string_utf8(env, "virtnet-fast-spawn", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, args[2], NULL, name, 0, 1, NULL, NULL, NULL, call_done, &w->done) != napi_ok) {
    free(w);
    err = ENOMEM;
    goto out;
  }
  err = posix_spawnp(&pid, argv[0], &actions, &attr, argv, envp);
  if (err != 0) {
    napi_release_threadsafe_function(w->done, napi_tsfn_abort);
    free(w);
    goto out;
  }
  w->pid = pid;
  pthread_t thread;
  pthread_attr_t tattr;
  pthread_attr_init(&tattr);
  pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&tattr, 64 * 1024);
  if (pthread_create(&thread, &tattr, wait_child, w) != 0) {
    /* Cannot watch it: kill and reap here rather than leave a child nobody waits for. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    napi_release_threadsafe_function(w->done, napi_tsfn_abort);
    free(w);
    err = EAGAIN;
  }
  pthread_attr_destroy(&tattr);
out:
  if (have_actions) posix_spawn_file_actions_destroy(&actions);
  if (have_attr) posix_spawnattr_destroy(&attr);
  free_array(argv);
  free_array(envp);
  /* The child's ends are the child's now (or nobody's, on failure). */
  if (fds[0][0] >= 0) close(fds[0][0]);
  if (fds[1][1] >= 0) close(fds[1][1]);
  if (fds[2][1] >= 0) close(fds[2][1]);
  if (err != 0) {
    if (fds[0][1] >= 0) close(fds[0][1]);
    if (fds[1][0] >= 0) close(fds[1][0]);
    if (fds[2][0] >= 0) close(fds[2][0]);
    return int_value(env, -err);
  }
  napi_value result;
  napi_create_array_with_length(env, 4, &result);
  napi_set_element(env, result, 0, int_value(env, pid));
  napi_set_element(env, result, 1, int_value(env, fds[0][1]));
  napi_set_element(env, result, 2, int_value(env, fds[1][0]));
  napi_set_element(env, result, 3, int_value(env, fds[2][0]));
  return result;
}

/*
 * execve(argv: string[], env: string[]): replaces this process by argv[0] (a path) with the same
 * pid, stdio and parent — how a long-running command restarts Node with other V8 flags without a
 * second process. Returns a negative errno only when it failed (the process is unchanged).
 */
static napi_value exec_self(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2) return int_value(env, -EINVAL);
  char **argv = string_array(env, args[0]);
  char **envp = string_array(env, args[1]);
  int err = EINVAL;
  if (argv != NULL && envp != NULL && argv[0] != NULL) {
    /* Node marks stdin/stdout/stderr close-on-exec at start-up (so its children do not inherit them):
     * the new image keeps them. Node blocks some signals and ignores SIGPIPE: the new image starts clean. */
    for (int fd = 0; fd <= 2; fd++) {
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    execve(argv[0], argv, envp);
    err = errno;
  }
  free_array(argv);
  free_array(envp);
  return int_value(env, -err);
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, spawn, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "execve", NAPI_AUTO_LENGTH, exec_self, NULL, &fn);
  napi_set_named_property(env, exports, "execve", fn);
  return exports;
}
