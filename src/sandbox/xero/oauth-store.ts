// OAuth 2 state: authorization codes, grants (auth events), tokens and connections.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
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

export interface RefreshRecord { grant: Grant; issuedAt: number; rotatedAt?: number; revoked: boolean }
export interface AccessRecord { grant: Grant; expiresAt: number; revoked: boolean }

export interface Connection {
  id: string;
  authEventId: string;
  tenantId: string;
  clientId: string;
  userId: string;
  createdMs: number;
  updatedMs: number;
}

export type AuthResult =
  | { ok: true; grant: Grant; token: AccessRecord }
  | { ok: false; reason: 'missing' | 'invalid' | 'expired'; expiredAt?: number };

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
  const refresh = new Map<string, RefreshRecord>();
  const access = new Map<string, AccessRecord>();
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
    for (const r of refresh.values()) if (r.grant.userId === grant.userId && r.grant.clientId === grant.clientId) r.revoked = true;
    for (const a of access.values()) if (a.grant.userId === grant.userId && a.grant.clientId === grant.clientId) a.revoked = true;
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
      const r = refresh.get(token);
      const now = clock.now();
      if (!r || r.revoked || r.grant.clientId !== clientId) return { ok: false, error: 'invalid_grant' };
      if (now > r.issuedAt + REFRESH_TTL_MS) return { ok: false, error: 'invalid_grant' };
      if (r.rotatedAt !== undefined && now > r.rotatedAt + REFRESH_GRACE_MS) return { ok: false, error: 'invalid_grant' };
      r.rotatedAt ??= now;
      return { ok: true, grant: r.grant };
    },
    issueRefresh(grant) {
      const token = randomBytes(32).toString('hex');
      refresh.set(token, { grant, issuedAt: clock.now(), revoked: false });
      return token;
    },
    registerAccess(token, grant) {
      access.set(token, { grant, expiresAt: clock.now() + ACCESS_TOKEN_TTL_S * 1000, revoked: false });
    },
    authenticate(header) {
      const m = header?.match(/^Bearer\s+(\S+)$/i);
      if (!m?.[1]) return { ok: false, reason: 'missing' };
      const rec = access.get(m[1]);
      if (!rec || rec.revoked) return { ok: false, reason: 'invalid' };
      if (clock.now() >= rec.expiresAt) return { ok: false, reason: 'expired', expiredAt: rec.expiresAt };
      return { ok: true, grant: rec.grant, token: rec };
    },
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
      const rec = refresh.get(token) ?? access.get(token);
      if (rec && rec.grant.clientId === clientId) revokeGrant(rec.grant);
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
