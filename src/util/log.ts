/**
 * The part of a pino logger the layers use: pino's Logger fits it (src/log.ts makes one), tests
 * pass a stub. child() gives a logger that writes `bindings` on every line (a layer's name, a
 * call's Call-ID).
 */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
}
