// RS256 signing of access and id tokens, shaped like Xero's (claims names as Xero issues them).
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK } from 'jose';
import type { Grant } from './oauth-store.ts';
import { ACCESS_TOKEN_TTL_S } from './oauth-store.ts';
import type { SandboxClock } from './types.ts';

export interface TokenSigner {
  jwks(): { keys: JWK[] };
  accessToken(grant: Grant): Promise<string>;
  idToken(grant: Grant): Promise<string>;
}

export async function createTokenSigner(issuer: string, clock: SandboxClock): Promise<TokenSigner> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID().replace(/-/g, '').toUpperCase();
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  const seconds = (): number => Math.floor(clock.now() / 1000);
  const sessionId = (g: Grant): string => g.authEventId.replace(/-/g, '');

  return {
    jwks: () => ({ keys: [jwk] }),
    accessToken(grant) {
      const iat = seconds();
      return new SignJWT({
        client_id: grant.clientId,
        auth_time: Math.floor(grant.authTime / 1000),
        xero_userid: grant.userId,
        global_session_id: sessionId(grant),
        sid: sessionId(grant),
        authentication_event_id: grant.authEventId,
        scope: grant.scope.split(' ').filter(Boolean),
        amr: ['pwd'],
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(`${issuer}/resources`)
        .setSubject(grant.userId.replace(/-/g, ''))
        .setNotBefore(iat)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ACCESS_TOKEN_TTL_S)
        .setJti(randomUUID().replace(/-/g, '').toUpperCase())
        .sign(privateKey);
    },
    idToken(grant) {
      const iat = seconds();
      return new SignJWT({
        auth_time: Math.floor(grant.authTime / 1000),
        xero_userid: grant.userId,
        global_session_id: sessionId(grant),
        sid: sessionId(grant),
        preferred_username: 'sandbox.user@example.com',
        email: 'sandbox.user@example.com',
        given_name: 'Sandbox',
        family_name: 'User',
        amr: ['pwd'],
        ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(grant.clientId)
        .setSubject(grant.userId.replace(/-/g, ''))
        .setIssuedAt(iat)
        .setExpirationTime(iat + 300)
        .sign(privateKey);
    },
  };
}
