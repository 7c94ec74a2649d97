/** Anything that holds a socket, timer, worker or file. close() is safe to call twice. */
export interface Closable {
  close(): void | Promise<void>;
}
