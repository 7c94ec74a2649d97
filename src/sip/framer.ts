// Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 18.3): the headers end at the empty line,
// Content-Length (mandatory on streams) gives the body. Between messages a double CRLF is an
// RFC 5626 3.5.1 keep-alive ping (the transport answers with a single CRLF); a lone CRLF is
// skipped (RFC 3261 7.5). A message larger than the limit, or without a usable Content-Length,
// is an error after which the framer stops: the connection is to be closed.

import { CR, LF } from './chars.js';
import { DEFAULT_MAX_MESSAGE_SIZE } from './parser.js';
import { CL_ABSENT, CL_INVALID, findHeaderEnd, scanContentLength } from './wire.js';

export interface FramerHandler {
  /** One complete message: a view of the received bytes, to hand to parseMessage(buf, { stream: true }). */
  onMessage(message: Buffer): void;
  /** A CRLF CRLF keep-alive arrived; answer with "\r\n". */
  onPing(): void;
  /** The stream cannot be framed any more (400 no/bad Content-Length, 513 too large); close the connection. */
  onError(status: number, reason: string): void;
}

const EMPTY = Buffer.alloc(0);

export class StreamFramer {
  readonly #handler: FramerHandler;
  readonly #maxSize: number;
  #pending: Buffer = EMPTY;
  // How far the pending bytes were searched for the end of the headers, so a slow sender is not rescanned.
  #scanned = 0;
  #stopped = false;

  constructor(handler: FramerHandler, maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE) {
    this.#handler = handler;
    this.#maxSize = maxMessageSize;
  }

  /** Bytes held while a message is incomplete. */
  get buffered(): number {
    return this.#pending.length;
  }

  /** Whether an error stopped the framer. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds received bytes; calls the handler for each complete message or ping. */
  push(chunk: Buffer): void {
    if (this.#stopped || chunk.length === 0) return;
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let pos = 0;
    while (pos < buf.length && !this.#stopped) {
      const avail = buf.length - pos;
      const c = buf[pos]!;
      if (c === CR || c === LF) {
        if (avail >= 4 && c === CR && buf[pos + 1] === LF && buf[pos + 2] === CR && buf[pos + 3] === LF) {
          pos += 4;
          this.#scanned = 0;
          this.#handler.onPing();
          continue;
        }
        if (c === CR && (avail === 1 || (buf[pos + 1] === LF && (avail === 2 || (avail === 3 && buf[pos + 2] === CR))))) {
          break;
        }
        pos += c === CR && buf[pos + 1] === LF ? 2 : 1;
        this.#scanned = 0;
        continue;
      }
      const from = Math.max(pos, pos + this.#scanned - 3);
      const bodyStart = findHeaderEnd(buf, from);
      if (bodyStart < 0) {
        this.#scanned = avail;
        if (avail > this.#maxSize) this.#fail(513, 'Message Too Large');
        break;
      }
      const cl = scanContentLength(buf, pos, bodyStart);
      if (cl === CL_ABSENT) {
        this.#fail(400, 'Content-Length required on a stream');
        break;
      }
      if (cl === CL_INVALID) {
        this.#fail(400, 'Malformed Content-Length');
        break;
      }
      const total = bodyStart - pos + cl;
      if (total > this.#maxSize) {
        this.#fail(513, 'Message Too Large');
        break;
      }
      this.#scanned = bodyStart - pos;
      if (avail < total) break;
      const message = buf.subarray(pos, pos + total);
      pos += total;
      this.#scanned = 0;
      this.#handler.onMessage(message);
    }
    this.#pending = this.#stopped || pos >= buf.length ? EMPTY : buf.subarray(pos);
  }

  /** Drops buffered bytes and stops framing; safe to call twice. */
  close(): void {
    this.#stopped = true;
    this.#pending = EMPTY;
  }

  #fail(status: number, reason: string): void {
    this.#stopped = true;
    this.#pending = EMPTY;
    this.#handler.onError(status, reason);
  }
}
