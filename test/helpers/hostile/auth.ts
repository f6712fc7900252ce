/**
 * Credentials for hostile requests: bearer tokens (valid, another tenant's, `alg: none`,
 * expired, wrong secret, wrong algorithm, bad claims, garbage), Standard Webhooks signatures for
 * /webhooks/ops (valid, forged, expired, replayed, another secret) and the HMAC signatures of
 * /webhooks/xero and /webhooks/quickbooks. Each says whether the server must accept it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { JWT_SECRET, OPS_SECRET, OPS_SECRET_NEXT } from '../harness.ts';
import { signWebhook } from '../../../src/security/standard-webhooks.ts';

/** valid: the server must authenticate it; invalid: it must refuse it; maybe: either is fine. */
export type Validity = 'valid' | 'invalid' | 'maybe';

export interface BearerCredential {
  readonly kind: string;
  /** The Authorization header, or none. */
  readonly header: string | undefined;
  readonly validity: Validity;
  /** The tenant the token acts for when valid ('*' for the platform admin). */
  readonly tenantId: string | undefined;
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const enc = (s: string) => new TextEncoder().encode(s);
const now = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, opts: { secret?: string; alg?: string; header?: Record<string, unknown>; exp?: number | null } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256', ...opts.header }).setIssuedAt();
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now() + 3600);
  return jwt.sign(enc(opts.secret ?? JWT_SECRET));
}

/** A JWT with any header and payload and an HMAC over them with `secret` (or no signature). */
function handmade(header: unknown, payload: unknown, secret: string | null): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = secret === null ? '' : createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

/** Every bearer credential the suite throws, for a token holder of `tenantA`, with `tenantB` the other tenant. */
export async function bearerCredentials(tenantA: string, tenantB: string): Promise<BearerCredential[]> {
  const a = await sign({ tenant_id: tenantA, sub: 'hostile' });
  const claims = { tenant_id: tenantA, sub: 'hostile', iat: now(), exp: now() + 3600 };
  const list: [string, string | undefined, Validity, string | undefined][] = [
    ['tenant token', `Bearer ${a}`, 'valid', tenantA],
    ['lowercase scheme', `bearer ${a}`, 'valid', tenantA],
    ['extra spaces', `Bearer    ${a}   `, 'valid', tenantA],
    ['platform admin', `Bearer ${await sign({ tenant_id: '*', sub: 'admin' })}`, 'valid', '*'],
    ['kid path traversal (ignored)', `Bearer ${await sign({ tenant_id: tenantA }, { header: { kid: '../../../../etc/passwd' } })}`, 'valid', tenantA],
    ['jku elsewhere (ignored)', `Bearer ${await sign({ tenant_id: tenantA }, { header: { jku: 'https://attacker.example/jwks.json' } })}`, 'valid', tenantA],
    ['numeric sub', `Bearer ${await sign({ tenant_id: tenantA, sub: 42 as unknown as string })}`, 'maybe', tenantA],
    ['NUL in sub', `Bearer ${await sign({ tenant_id: tenantA, sub: 'a\u0000b' })}`, 'maybe', tenantA],
    ['huge claims', `Bearer ${await sign({ tenant_id: tenantA, junk: 'j'.repeat(6_000) })}`, 'maybe', tenantA],
    ['other tenant', `Bearer ${await sign({ tenant_id: tenantB })}`, 'invalid', tenantB],
    ['unknown tenant', `Bearer ${await sign({ tenant_id: 'org_nobody_here' })}`, 'invalid', 'org_nobody_here'],
    ['no header', undefined, 'invalid', undefined],
    ['empty', '', 'invalid', undefined],
    ['scheme only', 'Bearer', 'invalid', undefined],
    ['scheme and space', 'Bearer ', 'invalid', undefined],
    ['basic auth', `Basic ${Buffer.from('admin:admin').toString('base64')}`, 'invalid', undefined],
    ['token scheme', `Token ${a}`, 'invalid', undefined],
    ['raw token without scheme', a, 'invalid', undefined],
    ['two tokens', `Bearer ${a} ${a}`, 'invalid', undefined],
    ['garbage', 'Bearer not-a-jwt', 'invalid', undefined],
    ['dots', 'Bearer ...', 'invalid', undefined],
    ['three garbage parts', 'Bearer aaaa.bbbb.cccc', 'invalid', undefined],
    ['five parts (JWE-shaped)', 'Bearer eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc', 'invalid', undefined],
    ['trailing dot', `Bearer ${a}.`, 'invalid', undefined],
    ['signature stripped', `Bearer ${a.split('.').slice(0, 2).join('.')}.`, 'invalid', undefined],
    ['latin-1 garbage', 'Bearer \u00e9\u00e8\u00ff.\u00e9.\u00e9', 'invalid', undefined],
    ['long garbage', `Bearer ${'A'.repeat(12_000)}`, 'invalid', undefined],
    ['alg none', `Bearer ${handmade({ alg: 'none', typ: 'JWT' }, claims, null)}`, 'invalid', undefined],
    ['alg None', `Bearer ${handmade({ alg: 'None' }, claims, null)}`, 'invalid', undefined],
    ['alg NONE with signature', `Bearer ${handmade({ alg: 'NONE' }, claims, JWT_SECRET)}`, 'invalid', undefined],
    ['alg none for the admin', `Bearer ${handmade({ alg: 'none' }, { ...claims, tenant_id: '*' }, null)}`, 'invalid', undefined],
    ['HS512 with the right secret', `Bearer ${await sign({ tenant_id: tenantA }, { alg: 'HS512' })}`, 'invalid', undefined],
    ['HS384 with the right secret', `Bearer ${await sign({ tenant_id: tenantA }, { alg: 'HS384' })}`, 'invalid', undefined],
    ['RS256 header, HMAC signature', `Bearer ${handmade({ alg: 'RS256' }, claims, JWT_SECRET)}`, 'invalid', undefined],
    ['expired', `Bearer ${await sign({ tenant_id: tenantA }, { exp: now() - 3600 })}`, 'invalid', undefined],
    ['expired long ago', `Bearer ${await sign({ tenant_id: tenantA }, { exp: 1 })}`, 'invalid', undefined],
    ['not yet valid', `Bearer ${await sign({ tenant_id: tenantA, nbf: now() + 3600 })}`, 'invalid', undefined],
    ['exp not a number', `Bearer ${handmade({ alg: 'HS256' }, { tenant_id: tenantA, exp: 'tomorrow' }, JWT_SECRET)}`, 'invalid', undefined],
    ['wrong secret', `Bearer ${await sign({ tenant_id: tenantA }, { secret: 'not-the-secret-0123456789-0123456789-0123' })}`, 'invalid', undefined],
    ['secret with a suffix', `Bearer ${await sign({ tenant_id: tenantA }, { secret: `${JWT_SECRET}x` })}`, 'invalid', undefined],
    ['admin with wrong secret', `Bearer ${await sign({ tenant_id: '*' }, { secret: randomBytes(32).toString('hex') })}`, 'invalid', undefined],
    ['no tenant_id', `Bearer ${await sign({ sub: 'x' })}`, 'invalid', undefined],
    ['empty tenant_id', `Bearer ${await sign({ tenant_id: '' })}`, 'invalid', undefined],
    ['numeric tenant_id', `Bearer ${await sign({ tenant_id: 123 })}`, 'invalid', undefined],
    ['array tenant_id', `Bearer ${await sign({ tenant_id: [tenantA] })}`, 'invalid', undefined],
    ['null tenant_id', `Bearer ${await sign({ tenant_id: null })}`, 'invalid', undefined],
    ['object tenant_id', `Bearer ${await sign({ tenant_id: { $ne: null } })}`, 'invalid', undefined],
    ['payload not JSON', `Bearer ${b64url({ alg: 'HS256' })}.${b64url('garbage')}.${createHmac('sha256', JWT_SECRET).update(`${b64url({ alg: 'HS256' })}.${b64url('garbage')}`).digest('base64url')}`, 'invalid', undefined],
    ['payload an array', `Bearer ${handmade({ alg: 'HS256' }, [tenantA], JWT_SECRET)}`, 'invalid', undefined],
    ['unknown crit header', `Bearer ${handmade({ alg: 'HS256', crit: ['exp'] }, claims, JWT_SECRET)}`, 'invalid', undefined],
    ['b64 false', `Bearer ${handmade({ alg: 'HS256', b64: false, crit: ['b64'] }, claims, JWT_SECRET)}`, 'invalid', undefined],
  ];
  return list.map(([kind, header, validity, tenantId]) => ({ kind, header, validity, tenantId }));
}

// ---- /webhooks/ops: Standard Webhooks ----------------------------------------------------------

export const OTHER_OPS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/** A delivery that was accepted before: replaying it must change nothing. */
export interface CapturedDelivery {
  readonly id: string;
  readonly timestamp: number;
  readonly body: string;
  readonly signature: string;
}

export const OPS_AUTH_KINDS = [
  'valid', 'valid (rotated secret)', 'valid (clock skew 4 min)', 'valid among forged entries', 'valid, webhook-id over 255',
  'replayed exactly', 'replayed id, new body',
  'missing webhook-id', 'missing webhook-timestamp', 'missing webhook-signature', 'no headers', 'forged signature', 'other secret',
  'expired', 'far past', 'future', 'timestamp garbage', 'timestamp in ms', 'v2 prefix', 'no version prefix', 'hex digest',
  'truncated signature', 'signature of the unmutated body', 'signature for another id', 'signature for another timestamp', '1000 forged entries',
  'empty v1', 'replayed signature, tampered body', 'replayed, stale',
] as const;
export type OpsAuthKind = (typeof OPS_AUTH_KINDS)[number];

export interface OpsSigned {
  readonly headers: Record<string, string>;
  readonly validity: Validity;
  /** The body to send instead of the generated one (exact replays). */
  readonly body?: Uint8Array;
  /** A replay of an accepted delivery id: a 2xx must be a duplicate that stores nothing. */
  readonly replay: boolean;
}

const TIMESTAMP_GARBAGE = ['abc', '1e9', '-1', '12345678901234', ' 123', '0x10', '', '1.5', '٣'];

export function signOps(kind: OpsAuthKind, body: Uint8Array, original: Uint8Array, pick: number, captured: readonly CapturedDelivery[]): OpsSigned {
  const ts = now();
  const id = `msg_hostile_${randomBytes(8).toString('hex')}`;
  const headers = (i: string, t: string | number, s: string) => ({ 'webhook-id': i, 'webhook-timestamp': String(t), 'webhook-signature': s });
  const valid = (secret = OPS_SECRET, i = id, t = ts) => signWebhook(secret, i, t, body);
  const hmac = (secret: string) => valid(secret).slice(3);
  const replayOf = captured.length > 0 ? captured[pick % captured.length] : undefined;
  switch (kind) {
    case 'valid':
      return { headers: headers(id, ts, valid()), validity: 'valid', replay: false };
    case 'valid (rotated secret)':
      return { headers: headers(id, ts, valid(OPS_SECRET_NEXT)), validity: 'valid', replay: false };
    case 'valid (clock skew 4 min)': {
      const t = ts + (pick % 2 === 0 ? -240 : 240);
      return { headers: headers(id, t, valid(OPS_SECRET, id, t)), validity: 'valid', replay: false };
    }
    case 'valid among forged entries':
      return { headers: headers(id, ts, `v1,${randomBytes(32).toString('base64')} v1a,zzz ${valid()} v2,${randomBytes(32).toString('base64')}`), validity: 'valid', replay: false };
    case 'valid, webhook-id over 255': {
      const long = `msg_${'x'.repeat(252 + (pick % 2000))}`;
      return { headers: headers(long, ts, valid(OPS_SECRET, long)), validity: 'invalid', replay: false };
    }
    case 'replayed exactly':
      if (!replayOf) return { headers: headers(id, ts, valid()), validity: 'valid', replay: false };
      return { headers: headers(replayOf.id, replayOf.timestamp, replayOf.signature), validity: 'valid', body: new Uint8Array(Buffer.from(replayOf.body)), replay: true };
    case 'replayed id, new body': {
      if (!replayOf) return { headers: headers(id, ts, valid()), validity: 'valid', replay: false };
      return { headers: headers(replayOf.id, ts, valid(OPS_SECRET, replayOf.id)), validity: 'valid', replay: true };
    }
    case 'missing webhook-id': {
      const { 'webhook-id': _, ...rest } = headers(id, ts, valid());
      return { headers: rest, validity: 'invalid', replay: false };
    }
    case 'missing webhook-timestamp': {
      const { 'webhook-timestamp': _, ...rest } = headers(id, ts, valid());
      return { headers: rest, validity: 'invalid', replay: false };
    }
    case 'missing webhook-signature': {
      const { 'webhook-signature': _, ...rest } = headers(id, ts, valid());
      return { headers: rest, validity: 'invalid', replay: false };
    }
    case 'no headers':
      return { headers: {}, validity: 'invalid', replay: false };
    case 'forged signature':
      return { headers: headers(id, ts, `v1,${randomBytes(32).toString('base64')}`), validity: 'invalid', replay: false };
    case 'other secret':
      return { headers: headers(id, ts, valid(OTHER_OPS_SECRET)), validity: 'invalid', replay: false };
    case 'expired': {
      const t = ts - 301 - (pick % 3600);
      return { headers: headers(id, t, valid(OPS_SECRET, id, t)), validity: 'invalid', replay: false };
    }
    case 'far past':
      return { headers: headers(id, 0, valid(OPS_SECRET, id, 0)), validity: 'invalid', replay: false };
    case 'future': {
      const t = ts + 301 + (pick % 3600);
      return { headers: headers(id, t, valid(OPS_SECRET, id, t)), validity: 'invalid', replay: false };
    }
    case 'timestamp garbage': {
      const t = TIMESTAMP_GARBAGE[pick % TIMESTAMP_GARBAGE.length]!;
      const signature = `v1,${createHmac('sha256', Buffer.from(OPS_SECRET.slice(6), 'base64')).update(`${id}.${t}.`).update(body).digest('base64')}`;
      return { headers: headers(id, t, signature), validity: 'invalid', replay: false };
    }
    case 'timestamp in ms': {
      const t = Date.now();
      return { headers: headers(id, t, valid(OPS_SECRET, id, t)), validity: 'invalid', replay: false };
    }
    case 'v2 prefix':
      return { headers: headers(id, ts, `v2,${hmac(OPS_SECRET)}`), validity: 'invalid', replay: false };
    case 'no version prefix':
      return { headers: headers(id, ts, hmac(OPS_SECRET)), validity: 'invalid', replay: false };
    case 'hex digest':
      return { headers: headers(id, ts, `v1,${Buffer.from(hmac(OPS_SECRET), 'base64').toString('hex')}`), validity: 'invalid', replay: false };
    case 'truncated signature':
      return { headers: headers(id, ts, valid().slice(0, 20 + (pick % 20))), validity: 'invalid', replay: false };
    case 'signature of the unmutated body': {
      const same = Buffer.from(original).equals(Buffer.from(body));
      return { headers: headers(id, ts, signWebhook(OPS_SECRET, id, ts, same ? new Uint8Array([...body, 0x20]) : original)), validity: 'invalid', replay: false };
    }
    case 'signature for another id':
      return { headers: headers(id, ts, valid(OPS_SECRET, `${id}x`)), validity: 'invalid', replay: false };
    case 'signature for another timestamp':
      return { headers: headers(id, ts, valid(OPS_SECRET, id, ts - 1)), validity: 'invalid', replay: false };
    case '1000 forged entries':
      return { headers: headers(id, ts, Array.from({ length: 1000 }, () => `v1,${randomBytes(32).toString('base64')}`).join(' ')), validity: 'invalid', replay: false };
    case 'empty v1':
      return { headers: headers(id, ts, 'v1,'), validity: 'invalid', replay: false };
    case 'replayed signature, tampered body': {
      if (!replayOf) return { headers: headers(id, ts, `v1,${randomBytes(32).toString('base64')}`), validity: 'invalid', replay: false };
      const tampered = Buffer.from(replayOf.body).equals(Buffer.from(body)) ? new Uint8Array([...body, 0x20]) : body;
      return { headers: headers(replayOf.id, replayOf.timestamp, replayOf.signature), validity: 'invalid', body: tampered, replay: true };
    }
    case 'replayed, stale': {
      // A delivery captured ten minutes ago and sent again as it was.
      const t = ts - 600;
      return { headers: headers(id, t, valid(OPS_SECRET, id, t)), validity: 'invalid', replay: false };
    }
  }
}

// ---- /webhooks/xero and /webhooks/quickbooks: HMAC-SHA256 of the raw body ------------------------

export const PROVIDER_AUTH_KINDS = [
  'valid', 'valid (base64url)', 'valid with whitespace', 'missing', 'empty', 'forged', 'other key', 'signature of the unmutated body',
  'hex digest', 'truncated', 'sha1', 'doubled',
] as const;
export type ProviderAuthKind = (typeof PROVIDER_AUTH_KINDS)[number];

export function signProvider(kind: ProviderAuthKind, key: string, body: Uint8Array, original: Uint8Array): { signature: string | undefined; validity: Validity } {
  const digest = (k: string, b: Uint8Array) => createHmac('sha256', k).update(b).digest();
  const good = digest(key, body).toString('base64');
  switch (kind) {
    case 'valid':
      return { signature: good, validity: 'valid' };
    case 'valid (base64url)':
      return { signature: digest(key, body).toString('base64url'), validity: 'maybe' };
    case 'valid with whitespace':
      return { signature: ` ${good} `, validity: 'maybe' };
    case 'missing':
      return { signature: undefined, validity: 'invalid' };
    case 'empty':
      return { signature: '', validity: 'invalid' };
    case 'forged':
      return { signature: randomBytes(32).toString('base64'), validity: 'invalid' };
    case 'other key':
      return { signature: digest(`${key}-other`, body).toString('base64'), validity: 'invalid' };
    case 'signature of the unmutated body': {
      const same = Buffer.from(original).equals(Buffer.from(body));
      return { signature: digest(key, same ? new Uint8Array([...body, 0x20]) : original).toString('base64'), validity: 'invalid' };
    }
    case 'hex digest':
      return { signature: digest(key, body).toString('hex'), validity: 'invalid' };
    case 'truncated':
      return { signature: good.slice(0, 30), validity: 'invalid' };
    case 'sha1':
      return { signature: createHmac('sha1', key).update(body).digest('base64'), validity: 'invalid' };
    case 'doubled':
      // Node's base64 decoding stops at the first padding: the correct HMAC with junk after it.
      return { signature: `${good}${good}`, validity: 'maybe' };
  }
}
