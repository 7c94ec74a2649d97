import { randomFillSync } from 'node:crypto';

/** RFC 3261 8.1.1.7: branches made by RFC 3261 elements start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

// RFC 3261 19.3: tags and branches carry at least 32 random bits. Random bytes come from a pool
// refilled in one call, not one system call per message.
const POOL = Buffer.alloc(4096);
const TAKE = 9;
let offset = POOL.length;

function randomToken(): string {
  if (offset + TAKE > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const out = POOL.toString('base64url', offset, offset + TAKE);
  offset += TAKE;
  return out;
}

/** A fresh Via branch, RFC 3261 8.1.1.7. */
export function newBranch(): string {
  return MAGIC_COOKIE + randomToken();
}

/** A fresh From/To tag, RFC 3261 19.3. */
export function newTag(): string {
  return randomToken();
}
