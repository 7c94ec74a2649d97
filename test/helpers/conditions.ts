// Promises that settle when a condition on a changing state holds: the owner calls check() after
// every change (a packet, a log line); a condition that does not hold within its time rejects.

export class Conditions<T> {
  #waiters: { pred: (v: T) => boolean; resolve: (v: T) => void }[] = [];

  /** Resolves the waiters whose condition holds for v. */
  check(v: T): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pred(v)) return true;
      w.resolve(v);
      return false;
    });
  }

  /** Resolves with the first value that satisfies pred in a later check(); rejects with failure() after timeoutMs. */
  wait(pred: (v: T) => boolean, timeoutMs: number, failure: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(failure()));
      }, timeoutMs);
      const done = (v: T): void => {
        clearTimeout(timer);
        resolve(v);
      };
      this.#waiters.push({ pred, resolve: done });
    });
  }
}
