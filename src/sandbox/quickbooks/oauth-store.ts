// OAuth 2 state: authorization codes, grants (one realm each, as QuickBooks issues them) and tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import type { SandboxClock } from './types.ts';

export const ACCESS_TOKEN_TTL_S = 3600;
/** What QuickBooks reports as `x_refresh_token_expires_in` (101 days). */
export const REFRESH_TOKEN_TTL_S = 8_726_400;
/** A rotated-out refresh token keeps working this long. */
export const REFRESH_GRACE_MS = 24 * 60 * 60 * 1000;
/** Refresh tokens stop working five years after the user consented. */
export const REFRESH_HARD_TTL_S = 5 * 365 * 24 * 60 * 60;
const CODE_TTL_MS = 5 * 60 * 1000;

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  realmId: string;
  expiresAt: number;
  used: boolean;
}

export interface Grant {
  grantId: string;
  clientId: string;
  realmId: string;
  scope: string;
  userId: string;
  /** Sandbox ms when the user consented. */
  authTime: number;
}

export interface RefreshRecord { grant: Grant; issuedAt: number; rotatedAt?: number; revoked: boolean }
export interface AccessRecord { grant: Grant; expiresAt: number; revoked: boolean }

export type AuthResult = { ok: true; grant: Grant } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

export interface OAuthStore {
  createCode(input: Omit<AuthCode, 'expiresAt' | 'used'>): string;
  /** Validate and consume a code: the new grant, or an OAuth error string. */
  redeemCode(code: string, clientId: string, redirectUri: string): Grant | 'invalid_grant';
  redeemRefresh(token: string, clientId: string): Grant | 'invalid_grant';
  issueRefresh(grant: Grant): string;
  issueAccess(grant: Grant): string;
  authenticate(bearer: string | undefined): AuthResult;
  /** Revoke the grant behind a refresh or access token; false when the token is unknown. */
  revokeToken(token: string, clientId: string): boolean;
  revokeRefreshTokens(match?: string): number;
  expireAccessTokens(match?: string): number;
}

const grantMatches = (g: Grant, match?: string): boolean => match === undefined || g.realmId === match || g.clientId === match;

function b64url(n: number): string {
  return randomBytes(n).toString('base64url');
}

/** Shaped like Intuit's (a compact JWE with `dir` key management); opaque to clients. */
function accessTokenString(): string {
  const header = Buffer.from(JSON.stringify({ enc: 'A128CBC-HS256', alg: 'dir' })).toString('base64url');
  return `${header}..${b64url(16)}.${b64url(420)}.${b64url(16)}`;
}

/** `AB11` + epoch seconds + random letters, 50 characters like Intuit's. */
function refreshTokenString(nowMs: number): string {
  const alnum = randomBytes(48).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return `AB11${Math.floor(nowMs / 1000)}${alnum}`.padEnd(50, 'x').slice(0, 50);
}

export function createOAuthStore(clock: SandboxClock): OAuthStore {
  const codes = new Map<string, AuthCode>();
  const refresh = new Map<string, RefreshRecord>();
  const access = new Map<string, AccessRecord>();

  const revokeGrant = (grantId: string): void => {
    for (const r of refresh.values()) if (r.grant.grantId === grantId) r.revoked = true;
    for (const a of access.values()) if (a.grant.grantId === grantId) a.revoked = true;
  };

  return {
    createCode(input) {
      const code = `AB11${Math.floor(clock.now() / 1000)}${randomBytes(24).toString('hex')}`;
      codes.set(code, { ...input, expiresAt: clock.now() + CODE_TTL_MS, used: false });
      return code;
    },
    redeemCode(code, clientId, redirectUri) {
      const c = codes.get(code);
      if (!c || c.used || c.expiresAt < clock.now() || c.clientId !== clientId || c.redirectUri !== redirectUri) return 'invalid_grant';
      c.used = true;
      return { grantId: randomUUID(), clientId, realmId: c.realmId, scope: c.scope, userId: randomUUID(), authTime: clock.now() };
    },
    redeemRefresh(token, clientId) {
      const r = refresh.get(token);
      const now = clock.now();
      if (!r || r.revoked || r.grant.clientId !== clientId) return 'invalid_grant';
      if (now > r.issuedAt + REFRESH_TOKEN_TTL_S * 1000) return 'invalid_grant';
      if (now > r.grant.authTime + REFRESH_HARD_TTL_S * 1000) return 'invalid_grant';
      if (r.rotatedAt !== undefined && now > r.rotatedAt + REFRESH_GRACE_MS) return 'invalid_grant';
      r.rotatedAt ??= now;
      return r.grant;
    },
    issueRefresh(grant) {
      const token = refreshTokenString(clock.now());
      refresh.set(token, { grant, issuedAt: clock.now(), revoked: false });
      return token;
    },
    issueAccess(grant) {
      const token = accessTokenString();
      access.set(token, { grant, expiresAt: clock.now() + ACCESS_TOKEN_TTL_S * 1000, revoked: false });
      return token;
    },
    authenticate(header) {
      const m = header?.match(/^Bearer\s+(\S+)$/i);
      if (!m?.[1]) return { ok: false, reason: 'missing' };
      const rec = access.get(m[1]);
      if (!rec || rec.revoked) return { ok: false, reason: 'invalid' };
      if (clock.now() >= rec.expiresAt) return { ok: false, reason: 'expired' };
      return { ok: true, grant: rec.grant };
    },
    revokeToken(token, clientId) {
      const rec = refresh.get(token) ?? access.get(token);
      if (!rec || rec.grant.clientId !== clientId) return false;
      revokeGrant(rec.grant.grantId);
      return true;
    },
    revokeRefreshTokens(match) {
      let n = 0;
      for (const r of refresh.values()) if (!r.revoked && grantMatches(r.grant, match)) { r.revoked = true; n++; }
      return n;
    },
    expireAccessTokens(match) {
      let n = 0;
      const past = clock.now() - 1;
      for (const a of access.values()) if (a.expiresAt > past && grantMatches(a.grant, match)) { a.expiresAt = past; n++; }
      return n;
    },
  };
}
