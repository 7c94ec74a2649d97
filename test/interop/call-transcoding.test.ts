// Transcoded calls through the PBX process: a SIPp caller that offers only PCMA calls a SIPp
// callee that answers only G.722, then one that answers only Opus. The media of both ends are
// Node RTP endpoints (the scenarios' SDP points at them) that encode speech with the real codecs
// and decode what arrives; the audio at each end must be the audio the other end sent, compared
// by correlation after decoding.
import t from 'tap';
import type { CdrRow } from '../../src/store/types.js';
import { speechLike } from '../helpers/audio.js';
import { blockCorrelation, decimate, fromFirstSound, RtpEndpoint, type EndpointCodec } from '../helpers/rtp-endpoint.js';
import { EXTENSIONS, freePort, PbxProcess, pbxAddress, pbxJson, preparePbx, registerFrom, startSipp, teardown } from './harness.js';

const setup = await preparePbx();
const pbx = await PbxProcess.start(setup);
t.teardown(() => teardown(pbx, setup));

const PCMA: EndpointCodec = { name: 'PCMA', payloadType: 8, clockRate: 8000, dtmfPayloadType: 101 };
const G722: EndpointCodec = { name: 'G722', payloadType: 9, clockRate: 8000 };
const OPUS: EndpointCodec = { name: 'opus', payloadType: 96, clockRate: 48000, channels: 2 };

/** Speech at the endpoint's PCM rate, and the same speech at 8 kHz for comparing. */
function speech(rate: number, seconds: number, seed: number): Int16Array {
  const pcm = speechLike(rate, seconds + seed * 0.25);
  return pcm.subarray(Math.round(seed * 0.25 * rate));
}

function at8k(pcm: Int16Array, rate: number): Int16Array {
  return rate === 8000 ? pcm : decimate(pcm, rate / 8000);
}

async function transcodedCall(calleeScenario: string, calleeCodec: EndpointCodec) {
  const caller = await RtpEndpoint.open(PCMA);
  const callee = await RtpEndpoint.open(calleeCodec);
  const calleePort = await freePort();
  const reg = await registerFrom(setup, '1002', calleePort);
  if (reg.code !== 0) throw new Error(`the callee could not register: ${reg.errors}`);
  const uas = startSipp({ scenario: calleeScenario, localPort: calleePort, set: { rtp_port: callee.port }, timeoutS: 30 });
  const uac = startSipp({
    scenario: 'uac-pcma-rtp.xml',
    remote: pbxAddress(setup),
    localPort: await freePort(),
    service: '1002',
    credentials: [['1001', EXTENSIONS['1001']!.password]],
    set: { rtp_port: caller.port },
    durationMs: 6000,
    timeoutS: 30,
  });
  try {
    // A transcoded leg sends from the start (silence): each endpoint learns its PBX port from it.
    await Promise.all([caller.waitFor(() => caller.firstSource !== null, 10000, 'the PBX caller leg'), callee.waitFor(() => callee.firstSource !== null, 10000, 'the PBX callee leg')]);
    const fromCaller = speech(8000, 2, 0);
    const fromCallee = speech(callee.sampleRate, 2, 1);
    await Promise.all([caller.send(fromCaller, caller.firstSource!.port), callee.send(fromCallee, callee.firstSource!.port)]);
    const enough = (ep: RtpEndpoint, n: number) => () => fromFirstSound(ep.received()).length >= n;
    await callee.waitFor(enough(callee, fromCaller.length * (callee.sampleRate / 8000)), 3000, "all of the caller's speech");
    await caller.waitFor(enough(caller, fromCallee.length / (callee.sampleRate / 8000)), 3000, "all of the callee's speech");
    const [uacResult, uasResult] = await Promise.all([uac.done, uas.done]);
    return { caller, callee, fromCaller, fromCallee, uacResult, uasResult };
  } catch (err) {
    uac.kill();
    uas.kill();
    throw err;
  } finally {
    t.teardown(() => {
      caller.close();
      callee.close();
    });
  }
}

for (const [scenario, codec, label] of [
  ['uas-g722.xml', G722, 'G.722'],
  ['uas-opus.xml', OPUS, 'Opus'],
] as const) {
  t.test(`a PCMA-only caller and a callee answering only ${label} hear each other through the PBX`, async (t) => {
    const r = await transcodedCall(scenario, codec);
    t.equal(r.uacResult.code, 0, `caller: ${r.uacResult.errors}`);
    t.equal(r.uasResult.code, 0, `callee: ${r.uasResult.errors}`);
    t.same([...r.caller.packets.keys()], [8], 'the caller gets PCMA only');
    t.same([...r.callee.packets.keys()], [codec.payloadType], `the callee gets ${label} only`);
    // Block by block (250 ms): a media tick made late by a loaded machine shifts the rest of the audio once.
    const atCallee = blockCorrelation(r.fromCaller, fromFirstSound(at8k(r.callee.received(), r.callee.sampleRate)), 2000, 1200);
    t.ok(atCallee.median > 0.85, `the callee hears the caller: r=${atCallee.blocks.map((x) => x.toFixed(2)).join(' ')}`);
    const atCaller = blockCorrelation(at8k(r.fromCallee, r.callee.sampleRate), fromFirstSound(r.caller.received()), 2000, 1200);
    t.ok(atCaller.median > 0.85, `the caller hears the callee: r=${atCaller.blocks.map((x) => x.toFixed(2)).join(' ')}`);
  });
}

t.test('both calls are in the CDR as answered', async (t) => {
  const rows = await pbxJson<CdrRow[]>(setup.file, ['cdr']);
  t.equal(rows.filter((r) => r.status === 'answered').length, 2);
});

t.test('SIGTERM exits 0', async (t) => {
  t.same(await pbx.stop(), { code: 0, signal: null });
});
