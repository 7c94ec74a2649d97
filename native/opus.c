/*
 * opus.node: libopus (RFC 6716) for the media workers, one mono encoder and decoder pair per
 * handle, working in the caller's typed arrays: no allocation per frame and no copy of the PCM.
 * Linked against the static libopus that @discordjs/opus builds from source at `npm install`
 * (native/build.js finds it); src/media/codec/opus-binding.ts wraps it.
 *
 * Unlike the bindings it replaces it decodes in-band FEC (opus_decode with decode_fec = 1, RFC
 * 6716 2.1.7) and conceals a loss with libopus' own PLC (a NULL packet).
 *
 * Every argument is checked before libopus sees it: a bad one throws a TypeError or RangeError
 * with code PBX_ERR_MEDIA_NATIVE_ARG, a destroyed handle throws PBX_ERR_MEDIA_CLOSED, an encoder
 * error throws PBX_ERR_MEDIA_OPUS. A corrupt packet is data, not a programming error: decode
 * returns libopus' negative error code for it. An abort here would end the whole PBX.
 */
#define NAPI_VERSION 8
#include <math.h>
#include <node_api.h>
#include <opus.h>
#include "napi-args.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* RFC 6716 3.2.1: no frame is longer than 1275 bytes; a 20 ms packet holds one frame. */
#define MAX_PACKET 1275

typedef struct {
  OpusEncoder *enc;
  OpusDecoder *dec;
  int32_t rate;
  int64_t bytes; /* reported to V8 with napi_adjust_external_memory */
} codec_t;

/* napi_type_tag_object: an External from anyone else is refused, never dereferenced. */
static const napi_type_tag CODEC_TAG = {0x7473706278306f70ULL, 0x7573636f64656331ULL};

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  return get_call_args(env, info, want, argv, NULL);
}

/* An integer in [min, max]; anything else throws. */
static int get_int(napi_env env, napi_value v, const char *name, int32_t min, int32_t max, int32_t *out) {
  double d;
  if (!get_integer(env, v, name, min, max, &d)) return 0;
  *out = (int32_t)d;
  return 1;
}

/* A typed array of the given type: its data pointer and element count. */
static int get_typed(napi_env env, napi_value v, const char *name, napi_typedarray_type want, const char *type_name, void **data,
                     size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_is_typedarray(env, v, &is_typed);
  if (is_typed) napi_get_typedarray_info(env, v, &type, length, data, NULL, NULL);
  if (!is_typed || type != want) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a %s", name, type_name);
    fail(env, ARG, msg, 0);
    return 0;
  }
  return 1;
}

static codec_t *get_codec(napi_env env, napi_value v) {
  napi_valuetype t;
  bool ours = false;
  void *data = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_check_object_type_tag(env, v, &CODEC_TAG, &ours) != napi_ok ||
      !ours) {
    fail(env, ARG, "handle must be a handle from create()", 0);
    return NULL;
  }
  napi_get_value_external(env, v, &data);
  codec_t *c = data;
  if (c->enc == NULL) {
    napi_throw_error(env, "PBX_ERR_MEDIA_CLOSED", "the Opus codec is destroyed");
    return NULL;
  }
  return c;
}

/* RFC 6716 2.1.4: a frame is 2.5, 5, 10, 20, 40 or 60 ms. */
static int valid_frame(int32_t rate, int32_t samples) {
  static const int32_t tenths_of_ms[] = {25, 50, 100, 200, 400, 600};
  for (size_t i = 0; i < sizeof tenths_of_ms / sizeof tenths_of_ms[0]; i++)
    if ((int64_t)samples * 10000 == (int64_t)rate * tenths_of_ms[i]) return 1;
  return 0;
}

static napi_value int_value(napi_env env, int32_t n) {
  napi_value v;
  napi_create_int32(env, n, &v);
  return v;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static void free_states(napi_env env, codec_t *c) {
  if (c->enc == NULL) return;
  opus_encoder_destroy(c->enc);
  opus_decoder_destroy(c->dec);
  c->enc = NULL;
  c->dec = NULL;
  int64_t unused;
  napi_adjust_external_memory(env, -c->bytes, &unused);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  free_states(env, data);
  free(data);
}

/* create(sampleRate: 8000 | 12000 | 16000 | 24000 | 48000): a handle (an External) holding one
   mono encoder (OPUS_APPLICATION_VOIP) and one decoder at that rate. */
static napi_value create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t rate;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], "sampleRate", 8000, 48000, &rate)) return NULL;
  if (rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 && rate != 48000)
    return fail(env, ARG, "sampleRate must be 8000, 12000, 16000, 24000 or 48000", 1);
  codec_t *c = calloc(1, sizeof *c);
  if (c == NULL) {
    napi_throw_error(env, "PBX_ERR_MEDIA_OPUS", "cannot allocate an Opus codec");
    return NULL;
  }
  int err_enc = OPUS_OK, err_dec = OPUS_OK;
  c->rate = rate;
  c->enc = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &err_enc);
  c->dec = opus_decoder_create(rate, 1, &err_dec);
  if (c->enc == NULL || c->dec == NULL) {
    if (c->enc != NULL) opus_encoder_destroy(c->enc);
    if (c->dec != NULL) opus_decoder_destroy(c->dec);
    free(c);
    char msg[128];
    snprintf(msg, sizeof msg, "cannot create an Opus codec: %s", opus_strerror(err_enc != OPUS_OK ? err_enc : err_dec));
    napi_throw_error(env, "PBX_ERR_MEDIA_OPUS", msg);
    return NULL;
  }
  c->bytes = opus_encoder_get_size(1) + opus_decoder_get_size(1);
  napi_value handle;
  if (napi_create_external(env, c, finalize, NULL, &handle) != napi_ok) {
    c->bytes = 0;
    free_states(env, c);
    free(c);
    napi_throw_error(env, "PBX_ERR_MEDIA_OPUS", "cannot create an Opus handle");
    return NULL;
  }
  napi_type_tag_object(env, handle, &CODEC_TAG);
  int64_t unused;
  napi_adjust_external_memory(env, c->bytes, &unused);
  return handle;
}

/* encode(handle, pcm: Int16Array, frameSize: number, out: Uint8Array): bytes written. The first
   frameSize samples of pcm are one frame (2.5..60 ms at the handle's rate). */
static napi_value encode(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  codec_t *c = get_codec(env, argv[0]);
  if (c == NULL) return NULL;
  void *pcm, *out;
  size_t pcm_length, out_length;
  int32_t frame;
  if (!get_typed(env, argv[1], "pcm", napi_int16_array, "Int16Array", &pcm, &pcm_length)) return NULL;
  if (!get_int(env, argv[2], "frameSize", 1, 2880, &frame)) return NULL;
  if (!get_typed(env, argv[3], "out", napi_uint8_array, "Uint8Array", &out, &out_length)) return NULL;
  if (!valid_frame(c->rate, frame)) {
    char msg[128];
    snprintf(msg, sizeof msg, "frameSize %d is not 2.5, 5, 10, 20, 40 or 60 ms at %d Hz", (int)frame, (int)c->rate);
    return fail(env, ARG, msg, 1);
  }
  if ((size_t)frame > pcm_length) return fail(env, ARG, "pcm is shorter than frameSize", 1);
  if (out_length < 3) return fail(env, ARG, "out must hold at least 3 bytes", 1);
  opus_int32 room = out_length > MAX_PACKET * 3 ? MAX_PACKET * 3 : (opus_int32)out_length;
  opus_int32 n = opus_encode(c->enc, pcm, frame, out, room);
  if (n < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "opus_encode failed: %s", opus_strerror(n));
    napi_throw_error(env, "PBX_ERR_MEDIA_OPUS", msg);
    return NULL;
  }
  return int_value(env, n);
}

/* decode(handle, packet: Uint8Array | null, out: Int16Array, frameSize: number, fec: 0 | 1):
   samples written, or libopus' negative error code for a packet it cannot decode.
   packet null: frameSize samples of packet loss concealment. fec 1: the frame lost before this
   packet, frameSize samples, from the packet's in-band FEC (PLC when it carries none).
   Otherwise frameSize is the most samples out may take. */
static napi_value decode(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  codec_t *c = get_codec(env, argv[0]);
  if (c == NULL) return NULL;
  napi_valuetype t;
  void *packet = NULL, *out;
  size_t packet_length = 0, out_length;
  int32_t frame, fec;
  if (napi_typeof(env, argv[1], &t) != napi_ok) return NULL;
  int lost = t == napi_null;
  if (!lost && !get_typed(env, argv[1], "packet", napi_uint8_array, "Uint8Array or null", &packet, &packet_length)) return NULL;
  if (!get_typed(env, argv[2], "out", napi_int16_array, "Int16Array", &out, &out_length)) return NULL;
  /* RFC 6716 3.2.5: a packet holds at most 120 ms. */
  if (!get_int(env, argv[3], "frameSize", 1, c->rate / 1000 * 120, &frame)) return NULL;
  if (!get_int(env, argv[4], "fec", 0, 1, &fec)) return NULL;
  if ((size_t)frame > out_length) return fail(env, ARG, "out is shorter than frameSize", 1);
  if ((lost || fec == 1) && frame * 400 % c->rate != 0)
    return fail(env, ARG, "a concealed or FEC frameSize must be a multiple of 2.5 ms", 1);
  /* libopus would take an empty packet for a lost one; here it is a bad payload. */
  if (!lost && packet_length == 0) return int_value(env, OPUS_INVALID_PACKET);
  /* RFC 6716 3.2.5: at most 48 frames of 1275 bytes; longer is junk (and must not wrap an int). */
  if (packet_length > 48 * MAX_PACKET + 100) return int_value(env, OPUS_INVALID_PACKET);
  return int_value(env, opus_decode(c->dec, packet, (opus_int32)packet_length, out, frame, fec));
}

/* SET requests that take one opus_int32, and OPUS_RESET_STATE: anything else could read a
   pointer from the variadic argument, so it is refused. */
static int encoder_request(int32_t r) {
  switch (r) {
  case OPUS_SET_APPLICATION_REQUEST:
  case OPUS_SET_BITRATE_REQUEST:
  case OPUS_SET_MAX_BANDWIDTH_REQUEST:
  case OPUS_SET_VBR_REQUEST:
  case OPUS_SET_BANDWIDTH_REQUEST:
  case OPUS_SET_COMPLEXITY_REQUEST:
  case OPUS_SET_INBAND_FEC_REQUEST:
  case OPUS_SET_PACKET_LOSS_PERC_REQUEST:
  case OPUS_SET_DTX_REQUEST:
  case OPUS_SET_VBR_CONSTRAINT_REQUEST:
  case OPUS_SET_FORCE_CHANNELS_REQUEST:
  case OPUS_SET_SIGNAL_REQUEST:
  case OPUS_SET_LSB_DEPTH_REQUEST:
  case OPUS_SET_EXPERT_FRAME_DURATION_REQUEST:
  case OPUS_SET_PREDICTION_DISABLED_REQUEST:
  case OPUS_SET_PHASE_INVERSION_DISABLED_REQUEST:
  case OPUS_RESET_STATE:
    return 1;
  default:
    return 0;
  }
}

static int decoder_request(int32_t r) {
  return r == OPUS_SET_GAIN_REQUEST || r == OPUS_SET_PHASE_INVERSION_DISABLED_REQUEST || r == OPUS_RESET_STATE;
}

/* encoderCtl(handle, request, value) / decoderCtl(handle, request, value) */
static napi_value ctl(napi_env env, napi_callback_info info, int encoder) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  codec_t *c = get_codec(env, argv[0]);
  if (c == NULL) return NULL;
  int32_t request, value;
  if (!get_int(env, argv[1], "request", 0, 100000, &request)) return NULL;
  if (!get_int(env, argv[2], "value", INT32_MIN + 1, INT32_MAX, &value)) return NULL;
  if (!(encoder ? encoder_request(request) : decoder_request(request))) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s request %d is not supported", encoder ? "encoder" : "decoder", (int)request);
    return fail(env, ARG, msg, 1);
  }
  int r;
  if (request == OPUS_RESET_STATE) r = encoder ? opus_encoder_ctl(c->enc, OPUS_RESET_STATE) : opus_decoder_ctl(c->dec, OPUS_RESET_STATE);
  else r = encoder ? opus_encoder_ctl(c->enc, request, (opus_int32)value) : opus_decoder_ctl(c->dec, request, (opus_int32)value);
  if (r != OPUS_OK) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s request %d with %d: %s", encoder ? "encoder" : "decoder", (int)request, (int)value, opus_strerror(r));
    return fail(env, ARG, msg, 1);
  }
  return undefined(env);
}

static napi_value encoder_ctl(napi_env env, napi_callback_info info) {
  return ctl(env, info, 1);
}

static napi_value decoder_ctl(napi_env env, napi_callback_info info) {
  return ctl(env, info, 0);
}

/* destroy(handle): frees the encoder and decoder now; safe to call twice. */
static napi_value destroy(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  napi_valuetype t;
  bool ours = false;
  void *data = NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external || napi_check_object_type_tag(env, argv[0], &CODEC_TAG, &ours) != napi_ok ||
      !ours)
    return fail(env, ARG, "handle must be a handle from create()", 0);
  napi_get_value_external(env, argv[0], &data);
  free_states(env, data);
  return undefined(env);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"encode", NULL, encode, NULL, NULL, NULL, napi_enumerable, NULL},
      {"decode", NULL, decode, NULL, NULL, NULL, napi_enumerable, NULL},
      {"encoderCtl", NULL, encoder_ctl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"decoderCtl", NULL, decoder_ctl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"destroy", NULL, destroy, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value version;
  napi_create_string_utf8(env, opus_get_version_string(), NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "version", version);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
