import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenCipher, TokenDecryptionError } from '../src/security/token-crypto.ts';

const key = () => randomBytes(32).toString('base64url');

describe('token encryption at rest (JWE)', () => {
  it('encrypts with the first key and decrypts with any configured key, so keys rotate', async () => {
    const oldKey = key();
    const newKey = key();
    const before = createTokenCipher([oldKey]);
    const stored = await before.encrypt({ accessToken: 'a', refreshToken: 'r' });
    expect(stored.split('.')).toHaveLength(5);
    expect(stored).not.toContain('refreshToken');

    const rotated = createTokenCipher([newKey, oldKey]);
    expect(await rotated.decrypt(stored)).toEqual({ accessToken: 'a', refreshToken: 'r' });
    const reEncrypted = await rotated.encrypt({ accessToken: 'b', refreshToken: 's' });
    // Only the new key is needed for what was written after the rotation.
    expect(await createTokenCipher([newKey]).decrypt(reEncrypted)).toEqual({ accessToken: 'b', refreshToken: 's' });
  });

  it('says clearly when the key that wrote a token set is gone, or the value is not a JWE', async () => {
    const stored = await createTokenCipher([key()]).encrypt({ x: 1 });
    await expect(createTokenCipher([key()]).decrypt(stored)).rejects.toThrow(/no configured key has kid/);
    await expect(createTokenCipher([key()]).decrypt('plain-text')).rejects.toBeInstanceOf(TokenDecryptionError);
  });

  it('refuses a tampered ciphertext', async () => {
    const k = key();
    const stored = await createTokenCipher([k]).encrypt({ x: 1 });
    const parts = stored.split('.');
    parts[3] = `${parts[3]!.slice(0, -2)}AA`;
    await expect(createTokenCipher([k]).decrypt(parts.join('.'))).rejects.toThrow('could not be decrypted');
  });
});
