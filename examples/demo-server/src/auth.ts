import { pbkdf2Sync, randomBytes } from 'node:crypto';

/** GET /hash: password hashing done the convenient way. pbkdf2Sync holds the loop for its whole run. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, 100_000, 64, 'sha512');
  return `${salt.toString('hex')}:${key.toString('hex')}`;
}
