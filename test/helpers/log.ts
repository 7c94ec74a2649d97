import type { Log } from '../../src/util/log.js';

export interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps every line (with its child bindings) for the test to read. */
export function memoryLog(lines: LogLine[], bindings: Record<string, unknown> = {}): Log {
  const at =
    (level: string) =>
    (obj: object, msg = ''): void => {
      lines.push({ level, obj: { ...bindings, ...obj }, msg });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => memoryLog(lines, { ...bindings, ...b }),
  };
}

/** A logger that drops every line. */
export const quietLog: Log = { debug() {}, info() {}, warn() {}, error() {}, child: () => quietLog };
