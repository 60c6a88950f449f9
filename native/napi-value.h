/* Shared by the addons in native/: a JavaScript number from a C integer. */
#ifndef VIRTNET_NAPI_VALUE_H
#define VIRTNET_NAPI_VALUE_H
#include <node_api.h>
#include <stdint.h>

static inline napi_value int_value(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

#endif
