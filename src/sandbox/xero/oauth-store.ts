// OAuth 2 state: authorization codes, grants (auth events), tokens and connections.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createTokenLedger } from '../shared/oauth-tokens.ts';
import type { AccessRecord as LedgerAccess, AuthResult as LedgerAuth, RefreshRecord as LedgerRefresh } from '../shared/oauth-tokens.ts';
import type { SandboxClock } from './types.ts';

export const ACCESS_TOKEN_TTL_S = 1800;
export const REFRESH_GRACE_MS = 30 * 60 * 1000;
export const REFRESH_TTL_MS = 60 * 24 * 60 * 60 * 1000;
const CODE_TTL_MS = 5 * 60 * 1000;

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge?: string;
  challengeMethod?: string;
  nonce?: string;
  userId: string;
  authEventId: string;
  tenantIds: string[];
  expiresAt: number;
  used: boolean;
}

export interface Grant {
  authEventId: string;
  clientId: string;
  userId: string;
  scope: string;
  tenantIds: string[];
  pkce: boolean;
  nonce?: string;
  authTime: number;
}

export type RefreshRecord = LedgerRefresh<Grant>;
export type AccessRecord = LedgerAccess<Grant>;

export interface Connection {
  id: string;
  authEventId: string;
  tenantId: string;
  clientId: string;
  userId: string;
  createdMs: number;
  updatedMs: number;
}

export type AuthResult = LedgerAuth<Grant>;

export type RefreshResult = { ok: true; grant: Grant } | { ok: false; error: 'invalid_grant' };

export interface OAuthStore {
  createCode(input: Omit<AuthCode, 'expiresAt' | 'used' | 'authEventId'>): string;
  /** Validate and consume a code; returns the new grant or an OAuth error string. */
  redeemCode(code: string, clientId: string, redirectUri: string, verifier?: string): Grant | string;
  redeemRefresh(token: string, clientId: string): RefreshResult;
  issueRefresh(grant: Grant): string;
  registerAccess(token: string, grant: Grant): void;
  authenticate(bearer: string | undefined): AuthResult;
  connectionsFor(grant: Grant): Connection[];
  deleteConnection(grant: Grant, id: string): boolean;
  /** Revoke the grant behind a refresh or access token (and its connections). */
  revokeToken(token: string, clientId: string): void;
  revokeRefreshTokens(match?: string): number;
  expireAccessTokens(match?: string): number;
  connections: Map<string, Connection>;
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function grantMatches(g: Grant, match?: string): boolean {
  if (match === undefined) return true;
  const m = match.toLowerCase();
  return g.clientId === match || g.tenantIds.includes(m) || g.userId === match;
}

export function createOAuthStore(clock: SandboxClock): OAuthStore {
  const codes = new Map<string, AuthCode>();
  const tokens = createTokenLedger<Grant>(clock, {
    accessTtlMs: ACCESS_TOKEN_TTL_S * 1000, refreshTtlMs: REFRESH_TTL_MS, refreshGraceMs: REFRESH_GRACE_MS,
  }, grantMatches);
  const connections = new Map<string, Connection>();

  const connect = (grant: Grant): void => {
    const now = clock.now();
    for (const tenantId of grant.tenantIds) {
      const existing = [...connections.values()].find(
        (c) => c.tenantId === tenantId && c.clientId === grant.clientId && c.userId === grant.userId,
      );
      if (existing) {
        existing.authEventId = grant.authEventId;
        existing.updatedMs = now;
      } else {
        const id = randomUUID();
        connections.set(id, {
          id, authEventId: grant.authEventId, tenantId, clientId: grant.clientId,
          userId: grant.userId, createdMs: now, updatedMs: now,
        });
      }
    }
  };

  const revokeGrant = (grant: Grant): void => {
    tokens.revokeWhere((g) => g.userId === grant.userId && g.clientId === grant.clientId);
    for (const [id, c] of connections) if (c.userId === grant.userId && c.clientId === grant.clientId) connections.delete(id);
  };

  return {
    connections,
    createCode(input) {
      const code = randomBytes(32).toString('base64url');
      codes.set(code, { ...input, authEventId: randomUUID(), expiresAt: clock.now() + CODE_TTL_MS, used: false });
      return code;
    },
    redeemCode(code, clientId, redirectUri, verifier) {
      const c = codes.get(code);
      if (!c || c.used || c.expiresAt < clock.now() || c.clientId !== clientId) return 'invalid_grant';
      if (c.redirectUri !== redirectUri) return 'invalid_grant';
      if (c.challenge !== undefined) {
        if (!verifier) return 'invalid_grant';
        const expected = c.challengeMethod === 'plain' ? verifier : pkceChallenge(verifier);
        if (expected !== c.challenge) return 'invalid_grant';
      }
      c.used = true;
      const grant: Grant = {
        authEventId: c.authEventId, clientId: c.clientId, userId: c.userId, scope: c.scope,
        tenantIds: c.tenantIds, pkce: c.challenge !== undefined, authTime: clock.now(),
        ...(c.nonce !== undefined ? { nonce: c.nonce } : {}),
      };
      connect(grant);
      return grant;
    },
    redeemRefresh(token, clientId) {
      const grant = tokens.useRefresh(token, clientId);
      return grant ? { ok: true, grant } : { ok: false, error: 'invalid_grant' };
    },
    issueRefresh(grant) {
      const token = randomBytes(32).toString('hex');
      tokens.putRefresh(token, grant);
      return token;
    },
    registerAccess: (token, grant) => tokens.putAccess(token, grant),
    authenticate: (header) => tokens.authenticate(header),
    connectionsFor(grant) {
      return [...connections.values()].filter((c) => c.clientId === grant.clientId && c.userId === grant.userId);
    },
    deleteConnection(grant, id) {
      const c = connections.get(id.toLowerCase());
      if (!c || c.clientId !== grant.clientId || c.userId !== grant.userId) return false;
      connections.delete(c.id);
      return true;
    },
    revokeToken(token, clientId) {
      const rec = tokens.find(token);
      if (rec && rec.grant.clientId === clientId) revokeGrant(rec.grant);
    },
    revokeRefreshTokens: (match) => tokens.revokeRefreshTokens(match),
    expireAccessTokens: (match) => tokens.expireAccessTokens(match),
  };
}
