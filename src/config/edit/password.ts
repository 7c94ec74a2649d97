// The SIP password of an extension added without one.
import { randomBytes } from 'node:crypto';

/** Bytes of randomness: 120 bits, 20 base64url characters (letters, digits, - and _). */
const PASSWORD_BYTES = 15;

export function generatePassword(): string {
  return randomBytes(PASSWORD_BYTES).toString('base64url');
}
