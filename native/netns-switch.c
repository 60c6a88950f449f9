/*
 * netns-switch: moves the calling thread (Node's main thread) into a network namespace and back.
 *
 * Why: on this class of machine every process start costs 4-10 ms, and Node cannot setns(2). With
 * it, a sysctl of a pod is a file write (microseconds instead of `nsenter sysctl`, two execs), and
 * a program started while the main thread is inside the pod's namespace starts there (no nsenter
 * exec before nft). setns(CLONE_NEWNET) affects only the calling thread, so libuv's thread pool and
 * V8's threads stay where they are; the JavaScript side (src/host/netns-switch.ts) only runs
 * synchronous code between enter() and leave().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include "napi-value.h"
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

/* The namespace the main thread started in, opened on first use. */
static int home_fd = -1;

/* enter(path): 0, or -errno (the thread stays where it was). */
static napi_value enter(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return int_value(env, -EINVAL);
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len == 0 || len >= sizeof path - 1) {
    return int_value(env, -EINVAL);
  }
  if (home_fd < 0) {
    home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_fd < 0) return int_value(env, -errno);
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return int_value(env, -errno);
  int rc = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  return int_value(env, rc == 0 ? 0 : -err);
}

/* leave(): back home. A thread that cannot go back would run the rest of the process in a pod. */
static napi_value leave(napi_env env, napi_callback_info info) {
  (void)info;
  if (home_fd >= 0 && setns(home_fd, CLONE_NEWNET) != 0) abort();
  return int_value(env, 0);
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "enter", NAPI_AUTO_LENGTH, enter, NULL, &fn);
  napi_set_named_property(env, exports, "enter", fn);
  napi_create_function(env, "leave", NAPI_AUTO_LENGTH, leave, NULL, &fn);
  napi_set_named_property(env, exports, "leave", fn);
  return exports;
}
