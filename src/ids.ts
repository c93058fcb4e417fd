import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Short, URL- and Slack-friendly ids with a readable prefix, e.g. run_8k2m9x4q7d1c. */
export function newId(prefix: string, length = 12): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 32];
  return `${prefix}_${out}`;
}
