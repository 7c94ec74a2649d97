/** The part of a pino logger the SIP stack uses; pino's Logger fits it, tests pass a stub or null. */
export interface SipLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
