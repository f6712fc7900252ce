// RS256 id_tokens shaped like Intuit's (issuer, array audience, realmid), with a JWKS to check them.
// The key pair is made on first use, so sandboxes that never see `openid` pay nothing.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { Grant } from './oauth-store.ts';
import type { SandboxClock } from './types.ts';

/** The issuer intuit-oauth's `validateIdToken()` insists on. */
export const INTUIT_ISSUER = 'https://oauth.platform.intuit.com/op/v1';

export interface IdTokenSigner {
  jwks(): Promise<{ keys: JWK[] }>;
  idToken(grant: Grant): Promise<string>;
}

export function createIdTokenSigner(clock: SandboxClock): IdTokenSigner {
  let keys: Promise<{ privateKey: CryptoKey; jwk: JWK }> | undefined;
  const load = (): Promise<{ privateKey: CryptoKey; jwk: JWK }> => {
    keys ??= (async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      const jwk = { ...(await exportJWK(publicKey)), kid: `r4p5SbL2jNdtmfQw${randomUUID().slice(0, 8)}`, use: 'sig', alg: 'RS256' };
      return { privateKey, jwk };
    })();
    return keys;
  };
  return {
    async jwks() {
      return { keys: [(await load()).jwk] };
    },
    async idToken(grant) {
      const { privateKey, jwk } = await load();
      const iat = Math.floor(clock.now() / 1000);
      return new SignJWT({ realmid: grant.realmId, auth_time: Math.floor(grant.authTime / 1000) })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid ?? '' })
        .setIssuer(INTUIT_ISSUER)
        .setAudience([grant.clientId])
        .setSubject(grant.userId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 3600)
        .sign(privateKey);
    },
  };
}
