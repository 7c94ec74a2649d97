// A PBX assembled for call-flow tests from the real pieces: UDP transport layer, transaction layer,
// registrar with digest, SQLite store, media engine with worker threads, CallControl.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appStart } from '../../../src/apps/goto.js';
import { CallControl } from '../../../src/calls/control.js';
import { EventServices } from '../../../src/events/services.js';
import { wireParts } from '../../../src/pbx/wiring.js';
import { startTrunks } from '../../../src/pbx/trunks.js';
import type { TrunkService } from '../../../src/trunks/service.js';
import { AutoCallback } from '../../../src/calls/auto-callback.js';
import { afterCdr } from '../../../src/calls/cdr.js';
import { parseConfigText } from '../../../src/config/load.js';
import { compileRouting } from '../../../src/config/routing.js';
import type { Routing } from '../../../src/config/types.js';
import { MediaEngine } from '../../../src/media/engine.js';
import { Guard } from '../../../src/registrar/guard.js';
import { Registrar } from '../../../src/registrar/registrar.js';
import { DigestAuthenticator } from '../../../src/sip/auth/digest.js';
import { createTransactionLayer } from '../../../src/sip/transaction/index.js';
import { createTransportLayer } from '../../../src/sip/transport/index.js';
import { Store } from '../../../src/store/store.js';
import { QueueService } from '../../../src/queues/service.js';
import { QueueStore } from '../../../src/queues/store.js';
import { compiledMediaWorker } from '../../helpers/compiled.js';
import { VoicemailStore } from '../../../src/store/voicemail-store.js';
import { ExtensionSettings } from '../../../src/store/extension-settings.js';
import { memoryLog, type LogLine } from '../../helpers/log.js';

export const PASSWORDS: Readonly<Record<string, string>> = {
  '1001': 'alice-pass',
  '1002': 'bob-pass',
  '1003': 'carol-pass',
  '1004': 'dave-pass',
  '1005': 'erin-pass',
  '1006': 'frank-pass',
};

const IVR = '  main: { prompt: welcome, options: { "1": "1001" }, timeout: 5, default: "1003" }\n';

function configText(
  dataDir: string,
  rtpBase: number,
  recorded: readonly string[],
  dialplan: Readonly<Record<string, string>>,
  extra: string,
  ivr: string,
  dtmfModes: Readonly<Record<string, string>> = {},
  pins: Readonly<Record<string, string>> = {},
  extensionKeys: Readonly<Record<string, string>> = {},
): string {
  const rec = (ext: string): string =>
    (recorded.includes(ext) ? ', record: true' : '') +
    (ext in dtmfModes ? `, dtmf_mode: ${dtmfModes[ext]}` : '') +
    (ext in pins ? `, voicemail: { pin: "${pins[ext]}" }` : '') +
    (ext in extensionKeys ? `, ${extensionKeys[ext]}` : '');
  return `
data_dir: ${dataDir}
sip:
  listen: ["udp:127.0.0.1:5060"]
  domain: pbx.test
rtp:
  address: 127.0.0.1
  ports: "${rtpBase}-${rtpBase + 199}"
http:
  listen: "127.0.0.1:8088"
  token: "t"
extensions:
  "1001": { name: Alice, password: "alice-pass"${rec('1001')} }
  "1002": { name: Bob, password: "bob-pass"${rec('1002')} }
  "1003": { name: Carol, password: "carol-pass"${rec('1003')} }
  "1004": { name: Dave, password: "dave-pass"${rec('1004')} }
  "1005": { name: Erin, password: "erin-pass", unsolicited_mwi: false${rec('1005')} }
  "1006": { name: Frank, password: "frank-pass"${rec('1006')} }
subscriptions: { min_expires: 2, max_expires: 600, default_expires: 600 }
ivr:
${ivr}dialplan:
  "500": "ivr:main"
  "600": "group:sales"
  "700": "conference:team"
${Object.entries(dialplan).map(([n, d]) => `  "${n}": "${d}"\n`).join('')}groups:
  sales: { strategy: simultaneous, members: ["1001", "1003"], ring_time: 20 }
${extra}`;
}

export interface TestPbx {
  port: number;
  calls: CallControl;
  store: Store;
  media: MediaEngine;
  routing: Routing;
  /** The voicemail store whose changes light the lamps (MWI). */
  voicemail: VoicemailStore;
  /** Do not disturb and forwards set from the phones. */
  settings: ExtensionSettings;
  /** The queues' lines and agents. */
  queues: QueueService;
  /** The outside lines of the config's trunks: (extra), as the real PBX starts them. */
  trunks: TrunkService;
  log: LogLine[];
  close(): Promise<void>;
}

export interface TestPbxOptions {
  rtpTimeoutS?: number;
  ringTimeoutS?: number;
  /** RFC 3261 T1 in ms for the transactions and the 2xx retransmissions (default 100). */
  t1?: number;
  /** Extensions with `record: true`. */
  recorded?: readonly string[];
  /** The body of the `ivr:` mapping (menus indented two spaces); dialplan 500 is ivr:main. */
  ivr?: string;
  /** dtmf_mode by extension (auto for the others). */
  dtmfModes?: Readonly<Record<string, string>>;
  /** Voicemail PINs by extension (the others have a mailbox callers may leave messages in, no PIN). */
  voicemailPins?: Readonly<Record<string, string>>;
  /** More keys of an extension, as YAML flow-mapping entries: { "1002": 'forward: { busy: "1003" }' }. */
  extensionKeys?: Readonly<Record<string, string>>;
  /** Run the media worker from dist/ (npm run build): no TypeScript loader in the worker thread. */
  compiledWorker?: boolean;
  /** More dialplan entries: number -> destination. */
  dialplan?: Readonly<Record<string, string>>;
  /** YAML appended to the config (top-level sections such as schedules:). */
  extra?: string;
  /** The instant call routing reads schedules at (CallControl wallClock); default the real time. */
  wallClock?: () => number;
  /** How long a queue agent that did not answer rests (ms, default 5000). */
  queueRetryMs?: number;
}

export async function startPbx(options: TestPbxOptions = {}): Promise<TestPbx> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tspbx-calls-'));
  const rtpBase = 30000 + 200 * Math.floor(Math.random() * 150);
  const loaded = parseConfigText(
    configText(dataDir, rtpBase, options.recorded ?? [], options.dialplan ?? {}, options.extra ?? '', options.ivr ?? IVR, options.dtmfModes, options.voicemailPins, options.extensionKeys),
    join(dataDir, 'pbx.yaml'),
  );
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const config = loaded.config;
  const routing = compileRouting(config);
  const log: LogLine[] = [];
  const logger = memoryLog(log);
  const transport = await createTransportLayer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    maxMessageSize: 65535,
    tcpIdleTimeoutS: 60,
    maxConnectionsPerSource: 10,
  });
  const port = transport.local('udp')!.port;
  const t1 = options.t1 ?? 100;
  const timers = { t1, t2: 4 * t1, t4: 5 * t1 };
  const transactions = createTransactionLayer(transport, { timers });
  const store = Store.open(dataDir);
  const settings = ExtensionSettings.open(dataDir);
  const guard = new Guard({ slowAfter: 100, banAfter: 200, windowS: 60, banTimeS: 60, dropScanners: false, log: logger });
  const auth = new DigestAuthenticator({ realm: 'pbx.test', nonceTtlS: 300 });
  const registrar = new Registrar({ store, transactions, auth, guard, getConfig: () => config, log: logger });
  const media = await MediaEngine.start({
    address: '127.0.0.1',
    portMin: rtpBase,
    portMax: rtpBase + 199,
    workers: 1,
    rtpTimeoutS: options.rtpTimeoutS ?? 0,
    ...(options.compiledWorker === true ? { workerUrl: compiledMediaWorker() } : {}),
  });
  const queues: QueueService = new QueueService({
    store: QueueStore.open(dataDir),
    getConfig: () => config,
    registered: (ext) => registrar.lookup(ext).length > 0,
    originate: (request) => calls.originate(request),
    inCall: (id) => calls.list().some((c) => c.id === id),
    log: logger,
    ...(options.queueRetryMs === undefined ? {} : { retryMs: options.queueRetryMs }),
  });
  const voicemail = await VoicemailStore.open(dataDir, logger);
  const autoCallback = new AutoCallback({
    getConfig: () => config,
    registered: (ext) => registrar.lookup(ext).length > 0,
    busy: (ext) => calls.inCall(ext),
    originate: (request) => calls.originate(request),
    log: logger,
  });
  const localContact = (): string => `sip:pbx@127.0.0.1:${port}`;
  const trunks = startTrunks(config, { transactions, localContact, log: logger });
  const calls: CallControl = new CallControl({
    transactions,
    registrar,
    media,
    getRouting: () => routing,
    store: afterCdr(store, (row) => autoCallback.cdrWritten(row)),
    log: logger,
    localContact,
    start: appStart({ voicemail, queues }),
    timers,
    ringTimeout: options.ringTimeoutS ?? 30,
    settings,
    trunks,
    ...(options.wallClock === undefined ? {} : { wallClock: options.wallClock }),
  });
  const events = new EventServices({
    transactions,
    registrar,
    mailboxes: voicemail,
    getConfig: () => config,
    localContact,
    log: logger,
  });
  wireParts({ transactions, registrar, calls, media, events, voicemail, queues, log: logger, server: () => 'tspbx' });
  let closed = false;
  return {
    port,
    calls,
    store,
    media,
    routing,
    voicemail,
    settings,
    queues,
    trunks,
    log,
    async close() {
      if (closed) return;
      closed = true;
      autoCallback.close();
      calls.close();
      await trunks.close();
      events.close();
      queues.close();
      registrar.close();
      await transactions.close();
      await transport.close();
      await media.close();
      voicemail.close();
      settings.close();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
