// OAuth 2 state: authorization codes, grants (one realm each, as QuickBooks issues them) and tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import { createTokenLedger } from '../shared/oauth-tokens.ts';
import type { AccessRecord as LedgerAccess, AuthResult as LedgerAuth, RefreshRecord as LedgerRefresh } from '../shared/oauth-tokens.ts';
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

export type RefreshRecord = LedgerRefresh<Grant>;
export type AccessRecord = LedgerAccess<Grant>;

export type AuthResult = LedgerAuth<Grant>;

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
  const tokens = createTokenLedger<Grant>(clock, {
    accessTtlMs: ACCESS_TOKEN_TTL_S * 1000,
    refreshTtlMs: REFRESH_TOKEN_TTL_S * 1000,
    refreshGraceMs: REFRESH_GRACE_MS,
    grantTtlMs: REFRESH_HARD_TTL_S * 1000,
  }, grantMatches);

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
    redeemRefresh: (token, clientId) => tokens.useRefresh(token, clientId) ?? 'invalid_grant',
    issueRefresh(grant) {
      const token = refreshTokenString(clock.now());
      tokens.putRefresh(token, grant);
      return token;
    },
    issueAccess(grant) {
      const token = accessTokenString();
      tokens.putAccess(token, grant);
      return token;
    },
    authenticate: (header) => tokens.authenticate(header),
    revokeToken(token, clientId) {
      const rec = tokens.find(token);
      if (!rec || rec.grant.clientId !== clientId) return false;
      const { grantId } = rec.grant;
      tokens.revokeWhere((g) => g.grantId === grantId);
      return true;
    },
    revokeRefreshTokens: (match) => tokens.revokeRefreshTokens(match),
    expireAccessTokens: (match) => tokens.expireAccessTokens(match),
  };
}
