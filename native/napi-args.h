/*
 * Argument checks shared by the N-API addons (relay.c, opus.c): a bad argument from JavaScript
 * throws a TypeError or RangeError with code PBX_ERR_MEDIA_NATIVE_ARG; it never aborts the process.
 * Include after <node_api.h>.
 */
#ifndef TSPBX_NAPI_ARGS_H
#define TSPBX_NAPI_ARGS_H

#include <math.h>
#include <stdio.h>

#define ARG "PBX_ERR_MEDIA_NATIVE_ARG"

/* Throws (RangeError when range, else TypeError) and returns NULL for the caller to return. */
static napi_value fail(napi_env env, const char *code, const char *message, int range) {
  if (range) napi_throw_range_error(env, code, message);
  else napi_throw_type_error(env, code, message);
  return NULL;
}

/* The call's arguments into argv (want of them) and its data pointer; throws when fewer came. */
static int get_call_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, void **data) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, data) != napi_ok) return 0;
  if (argc < want) {
    char msg[64];
    snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", want, argc);
    fail(env, ARG, msg, 0);
    return 0;
  }
  return 1;
}

/* An integer in [min, max] (as a double, so that 32-bit unsigned values fit); anything else throws. */
static int get_integer(napi_env env, napi_value v, const char *name, double min, double max, double *out) {
  napi_valuetype t;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    snprintf(msg, sizeof msg, "%s must be a number", name);
    fail(env, ARG, msg, 0);
    return 0;
  }
  double d;
  napi_get_value_double(env, v, &d);
  if (!isfinite(d) || d != floor(d) || d < min || d > max) {
    snprintf(msg, sizeof msg, "%s must be an integer from %.0f to %.0f", name, min, max);
    fail(env, ARG, msg, 1);
    return 0;
  }
  *out = d;
  return 1;
}

#endif
