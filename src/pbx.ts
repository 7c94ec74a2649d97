// The running PBX: config, storage, SIP transports and transactions, media workers, registrar,
// call control and the control API composed into one process (`pbx start -c FILE`).
// Start-up order is bottom-up and shutdown top-down: stop taking calls, end them, then close
// the layers under them, flush storage last.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type {
  CallbackStarted,
  CallbackWidgetConfig,
  CallInfo,
  CdrListQuery,
  ControlSource,
  ExtensionCounts,
  ForwardingInfo,
  QueueLive,
  QueueStats,
  RecordingResult,
  RegistrationInfo,
  SlotCounts,
  StatsGrouping,
  StatusInfo,
  TransferResult,
  TrunkInfo,
} from './api/control-types.js';
import { startControlServer, type ControlServer } from './api/control.js';
import { Histogram, LoopLag, metricsText } from './api/metrics.js';
import { appStart } from './apps/goto.js';
import { CallControl } from './calls/control.js';
import { loadConfig } from './config/load.js';
import { compileRouting } from './config/routing.js';
import type { Config, Routing } from './config/types.js';
import { EventServices } from './events/services.js';
import { createLogger, type Logger } from './log.js';
import { MediaEngine } from './media/engine.js';
import { RecordingMaintenance } from './media/recording/maintenance.js';
import { recordingsDir, retentionPolicy } from './media/recording/policy.js';
import { addressPolicy } from './config/address-policy.js';
import { configChangesNeedingRestart } from './pbx/restart-keys.js';
import { wireParts } from './pbx/wiring.js';
import { Guard } from './registrar/guard.js';
import { Registrar } from './registrar/registrar.js';
import { DigestAuthenticator } from './sip/auth/digest.js';
import type { Peer, TransportName } from './sip/message.js';
import { createTransactionLayer } from './sip/transaction/index.js';
import { createTransportLayer } from './sip/transport/index.js';
import { startTrunks } from './pbx/trunks.js';
import type { TrunkService } from './trunks/service.js';
import { CdrWriter } from './store/cdr-writer.js';
import { Store } from './store/store.js';
import { CallStats } from './store/call-stats.js';
import { VoicemailStore } from './store/voicemail-store.js';
import type { CdrQuality, MissedCall } from './store/types.js';
import { ExtensionSettings, FORWARD_KINDS } from './store/extension-settings.js';
import { forwardsOf } from './apps/extension.js';
import { PbxError } from './util/errors.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { afterCdr } from './calls/cdr.js';
import { withWebhooks } from './webhooks/cdr-outbox.js';
import { AutoCallback } from './calls/auto-callback.js';
import { WebhookOutbox } from './webhooks/outbox.js';
import { QueueService } from './queues/service.js';
import { QueueStore } from './queues/store.js';

export interface PbxOptions {
  /** Install SIGTERM/SIGINT (shutdown, then exit 0) and SIGHUP (reload) handlers; default true. */
  signals?: boolean;
  /** A logger to use instead of the one made from the config's log.level. */
  log?: Logger;
}

export type ReloadResult = { ok: true } | { ok: false; errors: string[] };

export interface Pbx {
  /** The config in force now (reload swaps it). */
  readonly config: Config;
  /** Voicemail messages (WAV files and their index); a change lights the phones' MWI lamps. */
  readonly voicemail: VoicemailStore;
  /** Re-reads the config file; an invalid file is refused and the old config stays. */
  reload(): Promise<ReloadResult>;
  /** Stops taking calls, ends the calls in progress, closes everything, flushes storage. Idempotent. */
  close(): Promise<void>;
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Starts the PBX on a config file. Throws PbxError PBX_ERR_CONFIG_INVALID with the FILE:LINE:COL lines. */
export async function startPbx(configFile: string, options: PbxOptions = {}): Promise<Pbx> {
  const loaded = loadConfig(configFile);
  if (!loaded.ok) throw new PbxError('PBX_ERR_CONFIG_INVALID', loaded.errors.join('\n'));
  const runtime = new PbxRuntime(loaded.config, options.log ?? createLogger({ level: loaded.config.log.level }));
  try {
    await runtime.start();
  } catch (err) {
    runtime.log.error({ err }, 'start-up failed');
    await runtime.close();
    throw err;
  }
  if (options.signals !== false) runtime.installSignals();
  return runtime;
}

class PbxRuntime implements Pbx, ControlSource {
  readonly log: Logger;
  #config: Config;
  #routing: Routing;
  readonly #startedAt = new Date();
  #store: Store | null = null;
  #stats: CallStats | null = null;
  #cdrWriter: CdrWriter | null = null;
  #outbox: WebhookOutbox | null = null;
  readonly #lag = new LoopLag();
  /** Finished calls by CDR status since start (metrics). */
  readonly #finished: Record<string, number> = { answered: 0, missed: 0, busy: 0, failed: 0 };
  /** No-RTP warnings since start (metrics): legs that never got RTP (one-way audio), and legs whose RTP stopped. */
  readonly #noRtp = { never: 0, stopped: 0 };
  /** Per-leg RTP loss of finished calls, percent, and queue waits before an answer, seconds (metrics). */
  readonly #rtpLoss = new Histogram([0.5, 1, 2, 5, 10, 20]);
  readonly #queueWait = new Histogram([5, 10, 20, 30, 60, 120, 300, 600]);
  #webhooks: WebhookDispatcher | null = null;
  #autoCallback: AutoCallback | null = null;
  #voicemail: VoicemailStore | null = null;
  #settings: ExtensionSettings | null = null;
  #events: EventServices | null = null;
  #recordings: RecordingMaintenance | null = null;
  #transports: Awaited<ReturnType<typeof createTransportLayer>> | null = null;
  #transactions: ReturnType<typeof createTransactionLayer> | null = null;
  #media: MediaEngine | null = null;
  #registrar: Registrar | null = null;
  #calls: CallControl | null = null;
  #queues: QueueService | null = null;
  #trunks: TrunkService | null = null;
  #control: ControlServer | null = null;
  #closing: Promise<void> | null = null;
  #reloading: Promise<ReloadResult> | null = null;
  #signalHandlers: [NodeJS.Signals, () => void][] = [];

  constructor(config: Config, log: Logger) {
    this.#config = config;
    this.#routing = compileRouting(config);
    this.log = log;
  }

  get config(): Config {
    return this.#config;
  }

  get voicemail(): VoicemailStore {
    if (this.#voicemail === null) throw new PbxError('PBX_ERR_VOICEMAIL_CLOSED', 'the voicemail store is not open');
    return this.#voicemail;
  }

  async start(): Promise<void> {
    const config = this.#config;
    const log = this.log;
    this.#store = Store.open(config.data_dir);
    this.#stats = CallStats.open(config.data_dir);
    this.#cdrWriter = CdrWriter.start(config.data_dir);
    this.#voicemail = await VoicemailStore.open(config.data_dir, log.child({ layer: 'voicemail' }));
    this.#outbox = WebhookOutbox.open(config.data_dir);
    const webhooks = new WebhookDispatcher({ outbox: this.#outbox, hooks: () => this.#config.webhooks, log: log.child({ layer: 'webhooks' }) });
    this.#webhooks = webhooks;
    this.#settings = ExtensionSettings.open(config.data_dir);
    // Recordings a crash cut short are repaired, then retention runs: in the background, hourly.
    this.#recordings = RecordingMaintenance.start({
      dir: recordingsDir(config.data_dir),
      policy: () => retentionPolicy(this.#config.recording),
      log: log.child({ layer: 'recording' }),
    });
    // Media first: once the SIP sockets are open every request finds its handler.
    const media = await MediaEngine.start({
      address: config.rtp.address,
      portMin: config.rtp.port_min,
      portMax: config.rtp.port_max,
      workers: config.rtp.workers > 0 ? config.rtp.workers : Math.max(1, availableParallelism()),
      rtpTimeoutS: config.rtp.timeout,
      toneCountry: config.media.tones,
      log: log.child({ layer: 'media' }),
    });
    this.#media = media;
    media.on('no-rtp-warning', (info) => this.#noRtp[info.received === 0 ? 'never' : 'stopped']++);

    const transports = await createTransportLayer({
      listen: config.sip.listen,
      tls: config.sip.tls,
      maxMessageSize: config.sip.max_message_size,
      tcpIdleTimeoutS: config.sip.tcp_idle_timeout,
      maxConnectionsPerSource: config.sip.max_connections_per_source,
      advertise: (to) => addressPolicy(this.#config).sipHost(to?.address ?? null),
      log: log.child({ layer: 'transport' }),
    });
    this.#transports = transports;
    const transactions = createTransactionLayer(transports, { log: log.child({ layer: 'transaction' }) });
    this.#transactions = transactions;

    const security = config.security;
    const guard = new Guard({
      slowAfter: security.slow_after,
      banAfter: security.ban_after,
      windowS: security.window,
      banTimeS: security.ban_time,
      dropScanners: security.drop_scanners,
      log: log.child({ layer: 'guard' }),
    });
    const auth = new DigestAuthenticator({ realm: config.sip.domain, nonceTtlS: security.nonce_ttl, algorithms: security.digest_algorithms });
    const registrar = new Registrar({
      store: this.#store,
      transactions,
      auth,
      guard,
      getConfig: () => this.#config,
      log: log.child({ layer: 'registrar' }),
    });
    this.#registrar = registrar;

    // Queues: callback requests stored before a restart are back in line from here on.
    const queues = new QueueService({
      store: QueueStore.open(config.data_dir),
      getConfig: () => this.#config,
      registered: (ext) => registrar.lookup(ext).length > 0,
      originate: (request) => this.#calls!.originate(request),
      inCall: (id) => this.#calls?.list().some((c) => c.id === id) ?? false,
      log: log.child({ layer: 'queues' }),
      onEvent: (e) => webhooks.queueEvent(e),
    });
    this.#queues = queues;
    const trunks = startTrunks(config, { transactions, localContact: (transport, to) => this.#contactUri(transport, to), log });
    this.#trunks = trunks;

    // Missed calls called back by a free member (missed_calls.auto_callback).
    const autoCallback = new AutoCallback({
      getConfig: () => this.#config,
      registered: (ext) => registrar.lookup(ext).length > 0,
      busy: (ext) => this.#calls?.inCall(ext) ?? false,
      originate: (request) => this.#calls!.originate(request),
      stillMissed: (number) => this.#store?.listMissed({ limit: 10000 }).some((m) => m.number === number) ?? false,
      log: log.child({ layer: 'auto-callback' }),
    });
    this.#autoCallback = autoCallback;

    const calls = new CallControl({
      transactions,
      registrar,
      media,
      getRouting: () => this.#routing,
      store: afterCdr(withWebhooks(this.#cdrWriter, webhooks), (row) => autoCallback.cdrWritten(row)),
      log,
      localContact: (transport, to) => this.#contactUri(transport, to),
      start: appStart({ voicemail: this.#voicemail, queues }),
      userAgent: config.sip.user_agent,
      settings: this.#settings,
      trunks,
    });
    this.#calls = calls;

    // SUBSCRIBE/NOTIFY: MWI from the voicemail store, BLF and presence from calls and registrations.
    const events = new EventServices({
      transactions,
      registrar,
      mailboxes: this.#voicemail,
      getConfig: () => this.#config,
      localContact: (transport) => this.#contactUri(transport),
      log: log.child({ layer: 'events' }),
    });
    this.#events = events;
    wireParts({
      transactions,
      registrar,
      calls,
      media,
      events,
      voicemail: this.#voicemail,
      queues,
      log,
      server: () => this.#config.sip.user_agent,
    });
    calls.on('state', (e) => webhooks.callState(e));
    this.#voicemail.on('added', (m) => webhooks.voicemailAdded(m));
    webhooks.on('event', (e) => {
      if (e.event === 'call.ended') {
        const status = String(e.data.status);
        this.#finished[status] = (this.#finished[status] ?? 0) + 1;
        const quality = e.data.quality as CdrQuality | null | undefined;
        for (const leg of [quality?.caller, quality?.callee]) if (leg != null) this.#rtpLoss.observe(leg.loss_pct);
      } else if (e.event === 'queue.answered' && typeof e.data.wait_s === 'number') {
        this.#queueWait.observe(e.data.wait_s);
      }
    });
    media.on('worker-exit', (index, error) => log.error({ worker: index, err: error }, 'media worker stopped; its calls lost their media'));

    this.#control = await startControlServer({
      host: config.http.listen.host,
      port: config.http.listen.port,
      token: config.http.token,
      source: this,
      log: log.child({ layer: 'control' }),
    });
    log.info({ transport: 'http', address: config.http.listen.host, port: this.#control.port }, 'listening');
    log.info(
      { version: VERSION, config: config.file, data_dir: config.data_dir, extensions: config.extensions.size, rtp: `${config.rtp.port_min}-${config.rtp.port_max}` },
      'started',
    );
  }

  /** Our Contact URI on a transport, as a peer at address `to` sees it: the bound socket, or sip.external_address outside the local networks. */
  #contactUri(transport: TransportName, to?: string): string {
    // The transport layer writes the advertised host for this peer into the spec it returns.
    const peer: Peer | undefined = to === undefined ? undefined : { transport, address: to, port: 0, connectionId: null };
    const local = this.#transports?.local(transport, peer) ?? this.#transports?.local('udp', peer) ?? null;
    const host = local?.host ?? addressPolicy(this.#config).sipHost(to ?? null) ?? '127.0.0.1';
    const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    const port = local?.port ?? 5060;
    return transport === 'udp' ? `sip:pbx@${hostPart}:${port}` : `sip:pbx@${hostPart}:${port};transport=${transport}`;
  }

  installSignals(): void {
    const stop = (signal: NodeJS.Signals) => () => {
      this.log.info({ signal }, 'shutting down');
      this.close().then(
        () => process.exit(0),
        (err: unknown) => {
          this.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    const hup = (): void => {
      this.log.info({ signal: 'SIGHUP' }, 'reloading the config');
      void this.reload();
    };
    this.#signalHandlers = [
      ['SIGTERM', stop('SIGTERM')],
      ['SIGINT', stop('SIGINT')],
      ['SIGHUP', hup],
    ];
    for (const [sig, fn] of this.#signalHandlers) process.on(sig, fn);
  }

  // ControlSource: what `pbx status|registrations|calls|cdr|missed|reload` ask.

  status(): StatusInfo {
    return {
      version: VERSION,
      started_at: this.#startedAt.toISOString(),
      uptime_s: Math.floor((Date.now() - this.#startedAt.getTime()) / 1000),
      registrations: this.#registrar?.count() ?? 0,
      calls: this.#calls?.list().length ?? 0,
      trunks: this.trunks(),
    };
  }

  trunks(): TrunkInfo[] {
    return this.#trunks?.list() ?? [];
  }

  registrations(): RegistrationInfo[] {
    return this.#registrar?.list() ?? [];
  }

  calls(): CallInfo[] {
    return this.#calls?.list() ?? [];
  }

  setRecording(call: string, on: boolean): Promise<RecordingResult> {
    if (this.#calls === null) return Promise.resolve({ ok: false, refusal: 'unknown-call', error: 'the PBX takes no calls yet' });
    return this.#calls.setRecording(call, on);
  }

  metrics(): string {
    const calls: Record<string, number> = { routing: 0, ringing: 0, answered: 0, ending: 0 };
    for (const c of this.#calls?.list() ?? []) calls[c.state] = (calls[c.state] ?? 0) + 1;
    return metricsText(
      {
        registrations: this.#registrar?.count() ?? 0,
        calls,
        finished: { ...this.#finished },
        noRtp: { ...this.#noRtp },
        webhooks: this.#outbox?.counts() ?? { pending: 0, failed: 0 },
        outside: { active: this.#trunks?.limits.activeOnPbx() ?? 0, limited: this.#trunks?.limits.refusals() ?? [] },
        rtpLoss: this.#rtpLoss,
        queueWait: this.#queueWait,
        queues: this.queueLive(),
      },
      this.#lag.seconds(),
    );
  }

  subscribe(listener: (event: { event: string; id: string; at: string; data: unknown }) => void): () => void {
    const hub = this.#webhooks;
    if (hub === null) return () => undefined;
    hub.on('event', listener);
    return () => hub.off('event', listener);
  }

  originate(from: string, to: string): { id: string } | { error: string; status?: number; reason?: string } {
    const calls = this.#calls;
    if (calls === null) return { error: 'the PBX takes no calls yet', status: 503 };
    const started = calls.originateStart({ first: from, then: to });
    if ('refusal' in started) {
      const r = started.refusal;
      return { error: r.field === null ? r.message : `${r.field}: ${r.message}`, status: r.status, reason: r.reason };
    }
    started.done.then(
      (result) => this.log.info({ id: started.id, result }, 'originated call attempt done'),
      (err: unknown) => this.log.error({ err, id: started.id }, 'originate failed'),
    );
    return { id: started.id };
  }

  forwarding(ext: string): ForwardingInfo | null {
    const cfg = this.#config.extensions.get(ext);
    if (cfg === undefined) return null;
    const phone = this.#settings?.of(ext) ?? { dnd: false, forward: {} };
    const setByPhone: ForwardingInfo['set_by_phone'] = phone.dnd ? ['dnd'] : [];
    for (const kind of FORWARD_KINDS) if (phone.forward[kind] !== undefined) setByPhone.push(kind);
    return { extension: ext, dnd: phone.dnd, ...forwardsOf(cfg, phone.forward), set_by_phone: setByPhone };
  }

  cdr(query: CdrListQuery): ReturnType<Store['listCdr']> {
    return this.#store?.listCdr(query) ?? [];
  }

  cdrCount(query: CdrListQuery): number {
    return this.#store?.countCdr(query) ?? 0;
  }

  hangup(call: string): CallInfo | null {
    return this.#calls?.hangupCall(call) ?? null;
  }

  transfer(call: string, to: string, keep: 'caller' | 'callee'): TransferResult {
    if (this.#calls === null) return { ok: false, refusal: 'unknown-call', error: 'the PBX takes no calls yet' };
    return this.#calls.transfer(call, to, keep);
  }

  recordingsDir(): string {
    return recordingsDir(this.#config.data_dir);
  }

  missed(query: { all: boolean; limit: number }): MissedCall[] {
    return this.#store?.listMissed(query) ?? [];
  }

  missedDone(which: string): MissedCall | null {
    const closed = this.#store?.closeMissed(which) ?? null;
    if (closed !== null) this.log.info({ id: closed.id, number: closed.number }, 'missed call marked done');
    return closed;
  }

  queueStats(name: string | null, since: string | null): QueueStats[] | null {
    const queues = this.#queues;
    if (queues === null) return name === null ? [] : null;
    const sinceMs = since === null ? 0 : Date.parse(since);
    if (name === null) return queues.queues().map((q) => queues.stats(q, sinceMs));
    return queues.queues().includes(name) ? [queues.stats(name, sinceMs)] : null;
  }

  queueLive(): QueueLive[] {
    const queues = this.#queues;
    return queues === null ? [] : queues.queues().map((q) => queues.live(q));
  }

  callStats(by: StatsGrouping, fromMs: number, toMs: number): SlotCounts[] | ExtensionCounts[] {
    const stats = this.#stats;
    if (stats === null) return [];
    const query = { fromMs, toMs };
    return by === 'extension' ? stats.byExtension(query, (n) => this.#config.extensions.has(n)) : stats.bySlot(query, by);
  }

  callbackConfig(): CallbackWidgetConfig | null {
    return this.#config.http.callback;
  }

  startCallback(target: string, number: string, name: string | null, ringTimeS: number): CallbackStarted {
    const calls = this.#calls;
    if (calls === null || this.#queues === null) return { error: 'the PBX takes no calls yet' };
    if (target.startsWith('queue:')) {
      const { id, position } = this.#queues.requestCallback(target.slice(6), number);
      return { id, status: 'queued', position };
    }
    const request = { first: target, then: number, ringTimeoutMs: ringTimeS * 1000, callerId: `Callback ${name ?? number}` };
    const started = calls.originateStart(request);
    if ('refusal' in started) {
      const r = started.refusal;
      return r.field === 'to' ? { error: `number: ${r.message}`, field: 'number' } : { error: `${r.field === 'from' ? 'target: ' : ''}${r.message}` };
    }
    started.done.then(
      (result) => this.log.info({ id: started.id, target, result }, 'callback widget call done'),
      (err: unknown) => this.log.error({ err, id: started.id }, 'callback widget call failed'),
    );
    return { id: started.id, status: 'ringing' };
  }

  /** Builds the new routing beside the old one and swaps it; calls in progress keep theirs. */
  reload(): Promise<ReloadResult> {
    this.#reloading ??= Promise.resolve()
      .then(() => this.#reload())
      .finally(() => {
        this.#reloading = null;
      });
    return this.#reloading;
  }

  #reload(): ReloadResult {
    if (this.#closing !== null) return { ok: false, errors: ['the PBX is shutting down'] };
    const loaded = loadConfig(this.#config.file);
    if (!loaded.ok) {
      this.log.warn({ file: this.#config.file, errors: loaded.errors }, 'reload refused: the config has errors; the old config stays in force');
      return { ok: false, errors: loaded.errors };
    }
    const routing = compileRouting(loaded.config);
    const restart = configChangesNeedingRestart(this.#config, loaded.config);
    this.#config = loaded.config;
    this.#routing = routing;
    this.#trunks?.apply(loaded.config);
    if (restart.length > 0) this.log.warn({ keys: restart }, 'reloaded; these changes take effect at the next restart');
    this.log.info({ file: loaded.config.file, extensions: loaded.config.extensions.size }, 'reloaded');
    return { ok: true };
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const [sig, fn] of this.#signalHandlers) process.off(sig, fn);
    this.#signalHandlers = [];
    const step = async (what: string, fn: () => unknown): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err }, `shutdown: closing ${what} failed`);
      }
    };
    // Stop taking calls and end those in progress while the SIP and media layers still run.
    if (this.#calls !== null) await step('calls', () => this.#calls!.shutdown());
    if (this.#control !== null) await step('control API', () => this.#control!.close());
    if (this.#calls !== null) await step('calls', () => this.#calls!.close());
    if (this.#trunks !== null) await step('trunks', () => this.#trunks!.close());
    if (this.#events !== null) await step('subscriptions', () => this.#events!.close());
    if (this.#queues !== null) await step('queues', () => this.#queues!.close());
    if (this.#registrar !== null) await step('registrar', () => this.#registrar!.close());
    if (this.#transactions !== null) await step('transactions', () => this.#transactions!.close());
    if (this.#transports !== null) await step('transports', () => this.#transports!.close());
    if (this.#media !== null) await step('media', () => this.#media!.close());
    if (this.#recordings !== null) await step('recording maintenance', () => this.#recordings!.close());
    if (this.#cdrWriter !== null) await step('CDR writer', () => this.#cdrWriter!.close());
    this.#autoCallback?.close();
    if (this.#webhooks !== null) await step('webhooks', () => this.#webhooks!.close());
    if (this.#outbox !== null) await step('webhook outbox', () => this.#outbox!.close());
    if (this.#voicemail !== null) await step('voicemail store', () => this.#voicemail!.close());
    if (this.#settings !== null) await step('extension settings', () => this.#settings!.close());
    if (this.#stats !== null) await step('call statistics', () => this.#stats!.close());
    if (this.#store !== null) await step('storage', () => this.#store!.close());
    this.#lag.close();
    this.log.info({}, 'stopped');
    await new Promise<void>((resolve) => this.log.flush(() => resolve()));
  }
}
