/*
 * udp-pktinfo: a UDP socket for the DHCP server that knows which interface a datagram arrived on and
 * picks the interface a reply leaves through (IP_PKTINFO), and that hands datagrams to JavaScript
 * without allocating.
 *
 * Why: Node's dgram has no IP_PKTINFO, so a server on 0.0.0.0:67 cannot tell which bridge a
 * broadcast came in on; the DHCP server had to look the client's MAC up in every bridge's FDB and
 * keep two more sockets per bridge just to send from the right one. And dgram's receive path
 * allocates a 64 KiB buffer and a Buffer object per datagram and defers each send by a tick:
 * measured on the wire here, a Node server's reply left about 0.1 ms later than dnsmasq's.
 * This socket is polled by the Node event loop itself (uv_poll), reads every waiting datagram
 * into one caller-owned buffer with recvmsg and calls back synchronously with its length, source
 * and arrival interface; send() is one sendmsg, with an IP_PKTINFO naming the outgoing interface
 * and source address (how dnsmasq sends DHCP replies on Linux).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include "napi-value.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

struct udp {
  uv_poll_t poll; /* first: the poll callback gets this pointer back */
  int fd;
  int closed;      /* close() called: no more polling or sends */
  int poll_closed; /* libuv is done with the poll handle */
  int finalized;   /* JavaScript dropped the handle */
  napi_env env;
  napi_ref callback;
  napi_ref buffer_ref;
  napi_ref resource; /* the receiver and async resource of callbacks (MakeCallback wants an object) */
  napi_async_context async;
  uint8_t *buffer;
  size_t capacity;
};

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char code[32];
  snprintf(code, sizeof code, "%d", err);
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

static void deliver(struct udp *u, ssize_t len, int ifindex, uint32_t source, int port) {
  napi_env env = u->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, args[4], result;
  napi_get_reference_value(env, u->callback, &fn);
  napi_get_reference_value(env, u->resource, &recv);
  args[0] = int_value(env, len);
  args[1] = int_value(env, ifindex);
  args[2] = int_value(env, source);
  args[3] = int_value(env, port);
  /* make_callback, not call_function: ticks and microtasks the handler queued run afterwards. */
  if (napi_make_callback(env, u->async, recv, fn, 4, args, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  struct udp *u = (struct udp *)handle;
  if (status < 0 || !(events & UV_READABLE)) return;
  /* A bounded batch, so one busy socket cannot starve the rest of the loop. */
  for (int i = 0; i < 64 && !u->closed; i++) {
    struct sockaddr_in from;
    char control[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct iovec iov = {.iov_base = u->buffer, .iov_len = u->capacity};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(u->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* EAGAIN: drained; anything else: an ICMP error queued for an earlier send */
    }
    int ifindex = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo info;
        memcpy(&info, CMSG_DATA(c), sizeof info);
        ifindex = info.ipi_ifindex;
      }
    }
    /* A datagram longer than the buffer is cut: report the buffer's size, the codec sees the cut. */
    if ((size_t)n > u->capacity) n = (ssize_t)u->capacity;
    deliver(u, n, ifindex, ntohl(from.sin_addr.s_addr), ntohs(from.sin_port));
  }
}

/* Freed once both libuv and JavaScript are done with it; a socket never closed lives as long as the process. */
static void finalize_udp(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct udp *u = data;
  u->finalized = 1;
  if (u->poll_closed) free(u);
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

/* open(address: number, port: number, broadcast: boolean, buffer: Uint8Array, onPacket) → handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t address, port;
  bool broadcast = false;
  if (argc < 5 || get_u32(env, argv[0], &address) || get_u32(env, argv[1], &port) || port > 65535 ||
      napi_get_value_bool(env, argv[2], &broadcast) != napi_ok) {
    napi_throw_type_error(env, NULL, "open(address, port, broadcast, buffer, onPacket)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value arraybuffer;
  if (napi_get_typedarray_info(env, argv[3], &type, &length, &data, &arraybuffer, &offset) != napi_ok || type != napi_uint8_array || length == 0) {
    napi_throw_type_error(env, NULL, "buffer must be a non-empty Uint8Array");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 || setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0 ||
      (broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0)) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt", err);
  }
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(address)};
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  struct udp *u = calloc(1, sizeof *u);
  uv_loop_t *loop;
  if (u == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &u->poll, fd) != 0) {
    free(u);
    close(fd);
    napi_throw_error(env, NULL, "cannot poll the socket");
    return NULL;
  }
  u->fd = fd;
  u->env = env;
  u->buffer = data;
  u->capacity = length;
  napi_create_reference(env, argv[3], 1, &u->buffer_ref);
  napi_create_reference(env, argv[4], 1, &u->callback);
  napi_value name, resource;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &u->resource);
  napi_create_string_utf8(env, "virtnet:udp", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &u->async);
  uv_poll_start(&u->poll, UV_READABLE, on_readable);
  napi_value handle;
  napi_create_external(env, u, finalize_udp, NULL, &handle);
  return handle;
}

static struct udp *get_udp(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) return NULL;
  struct udp *u = p;
  return u->closed ? NULL : u;
}

/*
 * send(handle, bytes: Uint8Array, length, address, port, ifindex, source) → 0 or -errno.
 * ifindex 0 and source 0 leave the choice of interface and source address to the routing table.
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct udp *u = argc == 7 ? get_udp(env, argv[0]) : NULL;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value arraybuffer;
  uint32_t len, address, port, ifindex, source;
  if (u == NULL || napi_get_typedarray_info(env, argv[1], &type, &length, &data, &arraybuffer, &offset) != napi_ok || type != napi_uint8_array ||
      get_u32(env, argv[2], &len) || len > length || get_u32(env, argv[3], &address) || get_u32(env, argv[4], &port) || port > 65535 ||
      get_u32(env, argv[5], &ifindex) || get_u32(env, argv[6], &source)) {
    napi_throw_type_error(env, NULL, "send(handle, bytes, length, address, port, ifindex, source) on an open socket");
    return NULL;
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(address)};
  struct iovec iov = {.iov_base = data, .iov_len = len};
  union {
    char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1};
  if (ifindex != 0 || source != 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi = {.ipi_ifindex = (int)ifindex, .ipi_spec_dst.s_addr = htonl(source)};
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  ssize_t n;
  do n = sendmsg(u->fd, &msg, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return int_value(env, n < 0 ? -errno : 0);
}

/* port(handle) → the bound port (after binding to port 0). */
static napi_value js_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct udp *u = argc == 1 ? get_udp(env, argv[0]) : NULL;
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  if (u == NULL || getsockname(u->fd, (struct sockaddr *)&sin, &len) < 0) {
    napi_throw_type_error(env, NULL, "port(handle) on an open socket");
    return NULL;
  }
  return int_value(env, ntohs(sin.sin_port));
}

/* ifindex(name) → the interface's index in the caller's network namespace, or 0 when there is none. */
static napi_value js_ifindex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IF_NAMESIZE];
  size_t len = 0;
  /* A name that does not fit IF_NAMESIZE (15 bytes and the NUL) is no interface's. */
  if (argc != 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "ifindex(name)");
    return NULL;
  }
  size_t full = 0;
  napi_get_value_string_utf8(env, argv[0], NULL, 0, &full);
  return int_value(env, full != len || len == 0 ? 0 : (int64_t)if_nametoindex(name));
}

static void after_close(uv_handle_t *handle) {
  struct udp *u = (struct udp *)handle;
  u->poll_closed = 1;
  if (u->finalized) free(u);
}

/* close(handle): stops polling and closes the socket; idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct udp *u = argc == 1 ? get_udp(env, argv[0]) : NULL;
  if (u == NULL) return NULL;
  u->closed = 1;
  uv_poll_stop(&u->poll);
  close(u->fd);
  napi_delete_reference(env, u->callback);
  napi_delete_reference(env, u->buffer_ref);
  napi_delete_reference(env, u->resource);
  napi_async_destroy(env, u->async);
  uv_close((uv_handle_t *)&u->poll, after_close);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"port", NULL, js_port, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"ifindex", NULL, js_ifindex, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
