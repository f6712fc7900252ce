import { createHash, randomBytes } from 'node:crypto';
import type { ProviderName } from '../db/schema.ts';
import type { TokenCipher } from '../security/token-crypto.ts';

/**
 * The OAuth `state`: an encrypted, short-lived token bound to the tenant that carries the PKCE
 * verifier, so the callback needs no server-side session and nobody can read or forge it.
 */
export interface OAuthState {
  readonly tenantId: string;
  readonly provider: ProviderName;
  readonly codeVerifier: string;
  readonly returnUrl: string | undefined;
  readonly expiresAt: number;
}

export const STATE_LIFETIME_MS = 10 * 60 * 1000;

export function newPkce(): { codeVerifier: string; codeChallenge: string } {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { codeVerifier, codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url') };
}

export async function sealState(cipher: TokenCipher, state: OAuthState): Promise<string> {
  return cipher.encrypt({ purpose: 'oauth_state', ...state });
}

export type OpenedState = { ok: true; state: OAuthState } | { ok: false; code: 'invalid_state' | 'expired_state' };

export async function openState(cipher: TokenCipher, sealed: string | undefined, now: Date): Promise<OpenedState> {
  if (!sealed) return { ok: false, code: 'invalid_state' };
  let value: OAuthState & { purpose?: string };
  try {
    value = await cipher.decrypt(sealed);
  } catch {
    return { ok: false, code: 'invalid_state' };
  }
  if (value.purpose !== 'oauth_state' || typeof value.tenantId !== 'string') return { ok: false, code: 'invalid_state' };
  if (value.expiresAt < now.getTime()) return { ok: false, code: 'expired_state' };
  return { ok: true, state: value };
}
