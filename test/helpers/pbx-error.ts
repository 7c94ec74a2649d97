import type { Test } from 'tap';
import { PbxError } from '../../src/util/errors.js';

/** Asserts that `fn` throws a PbxError with `code` and a message matching `message`. */
export function throwsPbxError(t: Test, fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
    t.fail(`expected ${code}`);
  } catch (err) {
    t.ok(err instanceof PbxError, `a PbxError (${String(err)})`);
    t.equal((err as PbxError).code, code);
    t.match((err as PbxError).message, message);
  }
}
