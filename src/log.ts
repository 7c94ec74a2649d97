// Structured logs: pino JSON lines on stdout, readable (pino-pretty) when stdout is a terminal.
// Secrets never reach a log line: keys that hold them are censored at any of the first three
// levels, and SIP text (raw messages, header values) has its credentials blanked.
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stdout. */
  destination?: DestinationStream;
}

export const CENSORED = '[redacted]';

const SECRET_KEYS = ['password', 'pin', 'secret', 'token', 'ha1', 'authorization', 'proxy-authorization', 'response', 'cnonce'];
const SECRET_PATHS = SECRET_KEYS.flatMap((k) => {
  const key = /^[a-z0-9_]+$/.test(k) ? `.${k}` : `["${k}"]`;
  return [key.startsWith('.') ? k : key, `*${key}`, `*.*${key}`];
});

// RFC 3261 20.7/20.28 and RFC 7616 3.4: the credentials follow the scheme in (Proxy-)Authorization
const AUTH_HEADER = /^((?:proxy-)?authorization[ \t]*:)[^\r\n]*/gim;
const DIGEST_RESPONSE = /\b(response|cnonce)[ \t]*=[ \t]*("[^"]*"|[^,\s]*)/gi;

/** SIP text with the values of (Proxy-)Authorization headers and digest responses blanked. */
export function scrubSipText(text: string): string {
  if (!/authorization|response|cnonce/i.test(text)) return text;
  return text.replace(AUTH_HEADER, `$1 ${CENSORED}`).replace(DIGEST_RESPONSE, `$1=${CENSORED}`);
}

function censor(value: unknown, path: string[]): unknown {
  // `response` is also a SIP response object or status in some log lines: only strings are secrets
  if (path[path.length - 1] === 'response' && typeof value !== 'string') return value;
  return CENSORED;
}

export function createLogger(options: LoggerOptions): Logger {
  const readable = options.pretty ?? process.stdout.isTTY === true;
  const destination = options.destination ?? (readable ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination({ fd: 1, sync: false }));
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_PATHS, censor },
      formatters: {
        log(object) {
          let scrubbed: Record<string, unknown> | null = null;
          for (const key of Object.keys(object)) {
            const value = object[key];
            if (typeof value !== 'string') continue;
            const clean = scrubSipText(value);
            if (clean !== value) (scrubbed ??= { ...object })[key] = clean;
          }
          return scrubbed ?? object;
        },
      },
      hooks: {
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) {
            const arg: unknown = args[i];
            if (typeof arg === 'string') args[i] = scrubSipText(arg);
          }
          method.apply(this, args);
        },
      },
    },
    destination,
  );
}
