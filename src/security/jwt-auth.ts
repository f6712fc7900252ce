import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config.ts';
import { unauthorized } from '../errors.ts';

/** Who is calling the REST API: one tenant, or the platform admin (`tenant_id: "*"`). */
export interface Principal {
  readonly tenantId: string;
  readonly subject: string | undefined;
  readonly isPlatformAdmin: boolean;
}

export type TokenVerifier = (authorization: string | undefined) => Promise<Principal>;

export function createTokenVerifier(auth: Config['auth']): TokenVerifier {
  const key: Uint8Array | JWTVerifyGetKey =
    auth.kind === 'secret' ? new TextEncoder().encode(auth.secret) : createRemoteJWKSet(new URL(auth.jwksUrl));
  const algorithms = auth.kind === 'secret' ? ['HS256'] : ['RS256', 'PS256', 'ES256', 'EdDSA'];

  return async (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw unauthorized('missing_token', 'an Authorization: Bearer <jwt> header is required');
    let payload;
    try {
      ({ payload } = await jwtVerify(match[1], key as Uint8Array, {
        algorithms,
        issuer: auth.issuer,
        audience: auth.audience,
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout) throw error;
      if (error instanceof errors.JWTExpired) throw unauthorized('token_expired', 'the bearer token has expired');
      if (error instanceof errors.JOSEError) throw unauthorized('invalid_token', 'the bearer token is not valid');
      throw error; // e.g. the JWKS endpoint is unreachable: a server-side problem, not the caller's
    }
    const tenantId = payload.tenant_id;
    if (typeof tenantId !== 'string' || tenantId.length === 0) {
      throw unauthorized('invalid_token', 'the bearer token has no tenant_id claim');
    }
    // jose checks no claim it is not asked about: `sub` is stored (console sessions) and logged,
    // so it must be a string PostgreSQL can store, as must tenant_id.
    const subject: unknown = payload.sub;
    if ((subject !== undefined && typeof subject !== 'string') || tenantId.includes('\u0000') || (typeof subject === 'string' && subject.includes('\u0000'))) {
      throw unauthorized('invalid_token', 'the bearer token has an invalid tenant_id or sub claim');
    }
    return { tenantId, subject, isPlatformAdmin: tenantId === '*' };
  };
}

/** A tenant token only sees its own tenant; another tenant's resources look absent (404). */
export function canAccessTenant(principal: Principal, tenantId: string): boolean {
  return principal.isPlatformAdmin || principal.tenantId === tenantId;
}
