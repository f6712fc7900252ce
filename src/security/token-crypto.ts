import { createHash } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';

/**
 * Provider token sets are encrypted at rest as compact JWE (dir + A256GCM). Several keys may be
 * configured: the first encrypts, any decrypts (chosen by `kid`), so keys rotate without a
 * migration: add the new key first, and re-encryption happens on the next refresh.
 */
export interface TokenCipher {
  encrypt(value: unknown): Promise<string>;
  decrypt<T>(jwe: string): Promise<T>;
}

export class TokenDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenDecryptionError';
  }
}

const keyId = (key: Uint8Array) => createHash('sha256').update(key).digest('base64url').slice(0, 12);

export function createTokenCipher(encodedKeys: readonly string[]): TokenCipher {
  const keys = encodedKeys.map((encoded) => {
    const key = new Uint8Array(Buffer.from(encoded, 'base64url'));
    return { kid: keyId(key), key };
  });
  const primary = keys[0];
  if (!primary) throw new Error('at least one token encryption key is required');
  return {
    encrypt: (value) =>
      new CompactEncrypt(new TextEncoder().encode(JSON.stringify(value)))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: primary.kid })
        .encrypt(primary.key),
    async decrypt<T>(jwe: string) {
      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(jwe).kid;
      } catch {
        throw new TokenDecryptionError('stored token set is not a JWE');
      }
      const match = keys.find((k) => k.kid === kid);
      if (!match) throw new TokenDecryptionError(`no configured key has kid ${kid}; was a key removed from TOKEN_ENCRYPTION_KEYS?`);
      try {
        const { plaintext } = await compactDecrypt(jwe, match.key);
        return JSON.parse(new TextDecoder().decode(plaintext)) as T;
      } catch {
        throw new TokenDecryptionError('stored token set could not be decrypted');
      }
    },
  };
}
