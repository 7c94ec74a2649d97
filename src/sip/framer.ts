// Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 18.3): the headers end at the empty line,
// Content-Length (mandatory on streams) gives the body. Between messages a double CRLF is an
// RFC 5626 3.5.1 keep-alive ping (the transport answers with a single CRLF); a lone CRLF is
// skipped (RFC 3261 7.5). A message larger than the limit, or without a usable Content-Length,
// is an error after which the framer stops: the connection is to be closed.
//
// Bytes of an unfinished message are kept in a buffer that grows by doubling, so a sender that
// trickles bytes costs linear time; messages are handed out as views that the framer never
// overwrites (a grown buffer is a new allocation).

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
const MIN_CAPACITY = 4096;

export class StreamFramer {
  readonly #handler: FramerHandler;
  readonly #maxSize: number;
  // Pending bytes are #buf[#start, #end).
  #buf: Buffer = EMPTY;
  #start = 0;
  #end = 0;
  // How many pending bytes were searched for the end of the headers.
  #scanned = 0;
  // Length of the pending message once its headers are read, else -1.
  #expected = -1;
  #stopped = false;

  constructor(handler: FramerHandler, maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE) {
    this.#handler = handler;
    this.#maxSize = maxMessageSize;
  }

  /** Bytes held while a message is incomplete. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Whether an error (or close) stopped the framer. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds received bytes; calls the handler for each complete message or ping. */
  push(chunk: Buffer): void {
    if (this.#stopped || chunk.length === 0) return;
    let buf: Buffer;
    let pos: number;
    if (this.#start === this.#end) {
      buf = chunk;
      pos = 0;
    } else {
      this.#append(chunk);
      buf = this.#buf.subarray(0, this.#end);
      pos = this.#start;
    }
    while (pos < buf.length && !this.#stopped) {
      const avail = buf.length - pos;
      if (this.#expected >= 0) {
        if (avail < this.#expected) break;
        const message = buf.subarray(pos, pos + this.#expected);
        pos += this.#expected;
        this.#expected = -1;
        this.#scanned = 0;
        this.#handler.onMessage(message);
        continue;
      }
      const c = buf[pos]!;
      if (c === CR || c === LF) {
        if (avail >= 4 && c === CR && buf[pos + 1] === LF && buf[pos + 2] === CR && buf[pos + 3] === LF) {
          pos += 4;
          this.#handler.onPing();
          continue;
        }
        // Wait: "\r", "\r\n" or "\r\n\r" may be the start of a ping.
        if (c === CR && (avail === 1 || (buf[pos + 1] === LF && (avail === 2 || (avail === 3 && buf[pos + 2] === CR))))) {
          break;
        }
        pos += c === CR && buf[pos + 1] === LF ? 2 : 1;
        continue;
      }
      const bodyStart = findHeaderEnd(buf, Math.max(pos, pos + this.#scanned - 3));
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
      this.#expected = total;
    }
    if (this.#stopped) return;
    if (pos >= buf.length) {
      this.#buf = EMPTY;
      this.#start = this.#end = 0;
    } else if (buf === chunk) {
      this.#keep(chunk.subarray(pos));
    } else this.#start = pos;
  }

  /** Drops buffered bytes and stops framing; safe to call twice. */
  close(): void {
    this.#stopped = true;
    this.#buf = EMPTY;
    this.#start = this.#end = 0;
  }

  #fail(status: number, reason: string): void {
    this.close();
    this.#handler.onError(status, reason);
  }

  // Copies the unfinished tail of a chunk into a buffer of its own.
  #keep(rest: Buffer): void {
    this.#buf = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, rest.length * 2));
    rest.copy(this.#buf, 0);
    this.#start = 0;
    this.#end = rest.length;
  }

  // Appends after the pending bytes, in place when there is room, else into a new, larger buffer.
  #append(chunk: Buffer): void {
    if (this.#end + chunk.length <= this.#buf.length) {
      chunk.copy(this.#buf, this.#end);
      this.#end += chunk.length;
      return;
    }
    const pending = this.#end - this.#start;
    const grown = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, (pending + chunk.length) * 2));
    this.#buf.copy(grown, 0, this.#start, this.#end);
    chunk.copy(grown, pending);
    this.#buf = grown;
    this.#start = 0;
    this.#end = pending + chunk.length;
  }
}
