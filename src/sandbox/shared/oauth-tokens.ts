// Refresh/access token bookkeeping shared by the sandboxes' OAuth stores. Token strings, grant shape,
// lifetimes and what `match` selects (realm, tenant, client, user) are the provider's.

/** The parts of a provider's grant the ledger needs. */
export interface TokenGrant {
  clientId: string;
  /** Sandbox ms when the user consented. */
  authTime: number;
}

export interface RefreshRecord<G> { grant: G; issuedAt: number; rotatedAt?: number; revoked: boolean }
export interface AccessRecord<G> { grant: G; expiresAt: number; revoked: boolean }

export type AuthResult<G> =
  | { ok: true; grant: G; token: AccessRecord<G> }
  | { ok: false; reason: 'missing' | 'invalid' | 'expired'; expiredAt?: number };

export interface TokenLifetimes {
  accessTtlMs: number;
  /** A refresh token stops working this long after it was issued. */
  refreshTtlMs: number;
  /** A rotated-out refresh token keeps working this long. */
  refreshGraceMs: number;
  /** When set, refresh tokens stop working this long after the user consented. */
  grantTtlMs?: number;
}

export interface TokenLedger<G> {
  putRefresh(token: string, grant: G): void;
  putAccess(token: string, grant: G): void;
  /** The grant behind a usable refresh token of `clientId` (marking it rotated), or undefined. */
  useRefresh(token: string, clientId: string): G | undefined;
  authenticate(bearer: string | undefined): AuthResult<G>;
  /** The record of a refresh or access token, if known. */
  find(token: string): { grant: G } | undefined;
  /** Revoke every refresh and access token whose grant satisfies `pred`. */
  revokeWhere(pred: (g: G) => boolean): void;
  revokeRefreshTokens(match?: string): number;
  expireAccessTokens(match?: string): number;
}

export function createTokenLedger<G extends TokenGrant>(
  clock: { now(): number },
  lifetimes: TokenLifetimes,
  matches: (g: G, match?: string) => boolean,
): TokenLedger<G> {
  const refresh = new Map<string, RefreshRecord<G>>();
  const access = new Map<string, AccessRecord<G>>();
  return {
    putRefresh(token, grant) {
      refresh.set(token, { grant, issuedAt: clock.now(), revoked: false });
    },
    putAccess(token, grant) {
      access.set(token, { grant, expiresAt: clock.now() + lifetimes.accessTtlMs, revoked: false });
    },
    useRefresh(token, clientId) {
      const r = refresh.get(token);
      const now = clock.now();
      if (!r || r.revoked || r.grant.clientId !== clientId) return undefined;
      if (now > r.issuedAt + lifetimes.refreshTtlMs) return undefined;
      if (lifetimes.grantTtlMs !== undefined && now > r.grant.authTime + lifetimes.grantTtlMs) return undefined;
      if (r.rotatedAt !== undefined && now > r.rotatedAt + lifetimes.refreshGraceMs) return undefined;
      r.rotatedAt ??= now;
      return r.grant;
    },
    authenticate(header) {
      const m = header?.match(/^Bearer\s+(\S+)$/i);
      if (!m?.[1]) return { ok: false, reason: 'missing' };
      const rec = access.get(m[1]);
      if (!rec || rec.revoked) return { ok: false, reason: 'invalid' };
      if (clock.now() >= rec.expiresAt) return { ok: false, reason: 'expired', expiredAt: rec.expiresAt };
      return { ok: true, grant: rec.grant, token: rec };
    },
    find: (token) => refresh.get(token) ?? access.get(token),
    revokeWhere(pred) {
      for (const r of refresh.values()) if (pred(r.grant)) r.revoked = true;
      for (const a of access.values()) if (pred(a.grant)) a.revoked = true;
    },
    revokeRefreshTokens(match) {
      let n = 0;
      for (const r of refresh.values()) if (!r.revoked && matches(r.grant, match)) { r.revoked = true; n++; }
      return n;
    },
    expireAccessTokens(match) {
      let n = 0;
      const past = clock.now() - 1;
      for (const a of access.values()) if (a.expiresAt > past && matches(a.grant, match)) { a.expiresAt = past; n++; }
      return n;
    },
  };
}
