/**
 * One hostile request per generated case, for any operation of openapi.yaml: path parameters
 * (own, another tenant's, unknown, hostile), query and header parameters (valid per their
 * schema, or not), credentials for the operation's scheme, a body generated from its request
 * schema and mutated, and odd content types. Each request knows whether the server must refuse
 * it (and why) or may accept it: openapi.yaml (via Ajv) is the oracle for bodies and parameters.
 */
import fc from 'fast-check';
import { signOps, signProvider, OPS_AUTH_KINDS, PROVIDER_AUTH_KINDS, type BearerCredential, type CapturedDelivery, type OpsAuthKind, type ProviderAuthKind } from './auth.ts';
import { applyMutation, applyRawMutation, BODY_LIMIT, deepNest, DupObject, hostileFor, mutationArbitrary, Raw, RAW_MUTATION_SWEEP, rawMutationArbitrary, schemaAt, serialize, type Mutation, type RawMutation, type Tree } from './mutations.ts';
import { arbitraryFor, type Json } from './schema-arbitrary.ts';
import { conformsTo, deref, queryValueConforms, type Obj, type SpecOperation, type SpecParam } from './spec.ts';

export interface CaseContext {
  readonly tenantA: string;
  readonly tenantB: string;
  readonly bearer: readonly BearerCredential[];
  /** Resource ids by path parameter name (`document_id`, `run_id`, `session_id`) for tenants A and B. */
  readonly ids: (param: string, tenant: 'a' | 'b') => readonly string[];
  readonly captured: readonly CapturedDelivery[];
  readonly xeroKey: string;
  readonly quickbooksToken: string;
}

export interface Materialized {
  readonly op: SpecOperation;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
  /** Non-empty: the request is invalid per openapi.yaml or its credentials, so it must be refused. */
  readonly mustRefuse: readonly string[];
  /** A replayed ops delivery id: a 2xx must be a duplicate that stores nothing. */
  readonly replay: boolean;
  readonly authKind: string;
  readonly bodyKind: string;
}

// ---- Generated inputs ----------------------------------------------------------------------------

interface PathChoice { readonly mode: 'own' | 'other' | 'unknown' | 'hostile'; readonly pick: number }
/** valid: a value from the parameter's schema; schema: one its schema should refuse; generic: anything hostile. */
interface ParamChoice { readonly include: boolean; readonly mode: 'valid' | 'schema' | 'generic'; readonly pick: number; readonly valid: string }
interface BodyChoice { readonly mode: 'schema' | 'absent' | 'junk'; readonly tree: Tree; readonly junk: Json; readonly mutations: readonly Mutation[]; readonly raw: RawMutation; readonly steer: number }
export interface CaseInput {
  readonly auth: number;
  readonly authPick: number;
  readonly path: readonly PathChoice[];
  readonly query: readonly ParamChoice[];
  readonly junkQuery: readonly number[];
  readonly headerParams: readonly ParamChoice[];
  readonly contentType: number;
  readonly extraHeaders: readonly number[];
  readonly body: BodyChoice;
}

const HOSTILE_TENANT_SEGMENTS = [
  '*', '%2A', 'x'.repeat(201), '%00', 'org%00alpha', '%2F', '..', '%2e%2e', 'org%20alpha', '%20', '%ZZ', '%ED%A0%80', '%F0%9F%98%80',
  '%E2%80%AEorg', 'ORG_ALPHA', '%0A', "org_alpha'", 'org_alpha%3Bdrop', '%C0%AF', '%25', '__proto__', 'constructor',
];
const HOSTILE_ID_SEGMENTS = [
  'not-a-uuid', '1', '%00', "'%20or%201=1%20--", '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '%7B0b7c6f0e-2f57-4a4a-9d0f-3b8e5a2c1d44%7D',
  '0b7c6f0e2f574a4a9d0f3b8e5a2c1d44', '0b7c6f0e-2f57-4a4a-9d0f-3b8e5a2c1d44x', 'x'.repeat(5000), '%ED%A0%80', '..%2F..%2Fdocuments', '-1', 'null', 'undefined',
];
const HOSTILE_PROVIDERS = ['XERO', 'sage', '%00', 'xero%2F..', 'quickbooks%20', '__proto__', 'x'.repeat(300)];
const HOSTILE_QUERY = [
  '', ' ', '-1', '0', '201', '501', '1e309', 'NaN', '1.5', '99999999999999999999', '%00', 'true%20', 'TRUE', 'bogus', '%ED%A0%80',
  'x'.repeat(5000), '2026-02-31', '2026-11-21T10:00:00%2B01', '2026-11-21T10:00:00%2B0100', '2026-13-01', '2026-11-21%2010:00:00Z', 'AAAA', 'czoxMjM',
  'czotMQ', 'czo5OTk5OTk5OTk5OTk5OTk5OTk5OQ', '%F0%9F%98%80', '%E2%80%AE', '%5B%5D', '%7B%7D', 'null', 'undefined', '+5', '0x10', '١٢',
];
const JUNK_QUERY = ['foo=bar', 'limit[]=1', '__proto__=x', 'constructor=x', '%00=%00', 'a'.repeat(2000), 'status=held&status=bogus', 'cursor=&cursor=x', '=', '&&&', 'x=%ZZ'];
const HOSTILE_HEADER_VALUES = ['', 'x'.repeat(256), 'x'.repeat(10_000), '\u00e9\u00ff', ' padded ', 'k\tk', 'k'.repeat(255), '\u0001'];
const CONTENT_TYPES: readonly (string | undefined)[] = [
  'application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', undefined, 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16', '*/*', 'application/merge-patch+json', 'garbage', '',
];
const EXTRA_HEADERS: readonly [string, string][] = [
  ['x-request-id', 'x'.repeat(101)], ['x-request-id', 'abc def'], ['x-request-id', '../../etc'], ['x-request-id', '\u00e9'], ['x-request-id', 'req-hostile-1'],
  ['x-forwarded-for', '127.0.0.1, 10.0.0.1'], ['cookie', 'lp_console=garbage; other=1'], ['accept', 'text/html'], ['accept-encoding', 'gzip, br'],
  ['x-http-method-override', 'DELETE'], ['transfer-encoding', 'chunked'], ['authorization', 'Bearer garbage'], ['origin', 'https://attacker.example'],
  ['x-tenant-id', 'org_bravo'], ['content-encoding', 'gzip'],
];

const choice = (weights: readonly [number, string][]) => fc.oneof(...weights.map(([weight, value]) => ({ weight, arbitrary: fc.constant(value) })));

function paramChoice(param: SpecParam): fc.Arbitrary<ParamChoice> {
  const valid = arbitraryFor(param.schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const mode = choice([[2, 'valid'], [2, 'schema'], [1, 'generic']]) as fc.Arbitrary<ParamChoice['mode']>;
  return fc.record({ include: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }), mode, pick: fc.nat(), valid });
}

/** Values a parameter's schema should refuse, as text (a query string or header carries nothing else). */
export function hostileParamValues(param: SpecParam): string[] {
  const values = hostileFor(deref(param.schema), null).map((v) => (v instanceof Raw ? v.text : typeof v === 'string' ? v : JSON.stringify(v)));
  return [...new Set(values)].filter((v) => v.length <= 10_000);
}

/** The arbitrary of cases for one operation. */
export function caseArbitrary(op: SpecOperation): fc.Arbitrary<CaseInput> {
  const authCount = op.auth === 'bearer' ? 1000 : op.auth === 'ops' ? OPS_AUTH_KINDS.length : op.auth === 'xero' || op.auth === 'quickbooks' ? PROVIDER_AUTH_KINDS.length : 1;
  // Valid credentials often, so bodies and parameters are judged too, not only the credentials.
  const auth = fc.oneof(
    { weight: 5, arbitrary: fc.constant(0) },
    ...(op.auth === 'bearer' ? [{ weight: 2, arbitrary: fc.constant(ADMIN_CREDENTIAL) }] : []),
    { weight: 5, arbitrary: fc.nat({ max: authCount - 1 }) },
  );
  const pathChoice = fc.record({
    mode: choice([[7, 'own'], [1, 'other'], [1, 'unknown'], [3, 'hostile']]) as fc.Arbitrary<PathChoice['mode']>,
    pick: fc.nat(),
  });
  const junk = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
  const bodyTree: fc.Arbitrary<Tree> = op.body ? (arbitraryFor(op.body.schema) as fc.Arbitrary<Tree>) : junk;
  const bodyMode = (op.body
    ? choice([[10, 'schema'], [1, 'absent'], [1, 'junk']])
    : op.method === 'GET' ? fc.constant('absent') : choice([[6, 'absent'], [3, 'junk']])) as fc.Arbitrary<BodyChoice['mode']>;
  return fc.record({
    auth,
    authPick: fc.nat(),
    path: fc.tuple(...op.pathParams.map(() => pathChoice)) as unknown as fc.Arbitrary<PathChoice[]>,
    query: fc.tuple(...op.params.filter((p) => p.in === 'query').map(paramChoice)) as unknown as fc.Arbitrary<ParamChoice[]>,
    junkQuery: fc.array(fc.nat({ max: JUNK_QUERY.length - 1 }), { maxLength: 2 }),
    headerParams: fc.tuple(...op.params.filter((p) => p.in === 'header' && !isAuthHeader(op, p)).map(paramChoice)) as unknown as fc.Arbitrary<ParamChoice[]>,
    contentType: fc.nat({ max: CONTENT_TYPES.length - 1 }),
    extraHeaders: fc.array(fc.nat({ max: EXTRA_HEADERS.length - 1 }), { maxLength: 2 }),
    body: fc.record({
      mode: bodyMode,
      tree: bodyTree,
      junk,
      mutations: fc.array(mutationArbitrary, { maxLength: 3 }),
      raw: op.body || op.method !== 'GET' ? rawMutationArbitrary : fc.constant({ op: 'none' as const }),
      steer: fc.nat(),
    }),
  });
}

/** Index of the platform-admin token in bearerCredentials(). */
export const ADMIN_CREDENTIAL = 3;

const isAuthHeader = (op: SpecOperation, p: SpecParam) => op.auth !== 'bearer' && op.auth !== 'none' && /^(webhook-|x-xero-signature|intuit-signature)/i.test(p.name);

// ---- Materializing a case -------------------------------------------------------------------------

const pickOf = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
/** encodeURIComponent, except that a lone surrogate (which has no UTF-8) is sent as the bytes CESU-8 would use. */
const encodeParam = (value: string) =>
  [...value].map((ch) => (/^[\ud800-\udfff]$/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch))).join('');
const tryDecode = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};
/** A header value as fetch sends it: HTTP whitespace trimmed. */
const headerValue = (v: string) => v.replace(/^[\t ]+|[\t ]+$/g, '');

function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

/** Steers a generated ops event at tenant A's documents now and then, so versions and kinds collide with real ones. */
function steerOpsEvent(tree: Tree, steer: number, ctx: CaseContext): Tree {
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree) || !('tenant_id' in tree)) return tree;
  if (steer % 3 !== 0) return tree;
  const out: Record<string, Tree> = { ...(tree as Record<string, Tree>), tenant_id: ctx.tenantA };
  const data = out.data;
  if (steer % 2 === 0 && data && typeof data === 'object' && !Array.isArray(data)) {
    for (const [field, id] of [['invoice', 'inv_alpha_1'], ['bill', 'bill_alpha_1'], ['credit_note', 'cn_alpha_1'], ['payment', 'pay_alpha_1']] as const) {
      const object = (data as Record<string, Tree>)[field];
      if (object && typeof object === 'object' && !Array.isArray(object)) (object as Record<string, Tree>).id = id;
    }
  }
  return out;
}

export function materialize(op: SpecOperation, input: CaseInput, ctx: CaseContext): Materialized {
  const mustRefuse: string[] = [];
  let authKind = 'none';
  let credential: BearerCredential | undefined;

  // Path: every template parameter (tenant_id comes first: the ids after it are that tenant's or not).
  let path = op.template;
  let pathTenant: string | undefined;
  op.pathParams.forEach((name, i) => {
    const c = input.path[i]!;
    let segment: string;
    if (name === 'tenant_id') {
      segment = c.mode === 'own' ? ctx.tenantA : c.mode === 'other' ? ctx.tenantB : c.mode === 'unknown' ? 'org_nobody_here' : pickOf(HOSTILE_TENANT_SEGMENTS, c.pick);
      pathTenant = tryDecode(segment);
    } else if (name === 'provider') {
      segment = c.mode === 'hostile' ? pickOf(HOSTILE_PROVIDERS, c.pick) : pickOf(['xero', 'quickbooks'], c.pick);
    } else {
      // A's ids are the usual pick and B's the foreign ones; on B's path (a platform admin's call) B's are its own.
      const owner = pathTenant === ctx.tenantB ? 'b' : 'a';
      const a = ctx.ids(name, 'a');
      const b = ctx.ids(name, 'b');
      const own = pathTenant === undefined || pathTenant === ctx.tenantA || pathTenant === ctx.tenantB ? (owner === 'a' ? a : b) : [];
      const other = owner === 'a' ? b : a;
      const schema = deref(op.params.find((p) => p.in === 'path' && p.name === name)?.schema);
      if (c.mode === 'own' && a.length > 0) {
        const id = pickOf(a, c.pick);
        segment = c.pick % 7 === 0 ? id.toUpperCase() : id;
      } else if (c.mode === 'other' && other.length > 0) segment = pickOf(other, c.pick);
      else if (c.mode === 'hostile' || schema.format !== 'uuid') segment = pickOf(HOSTILE_ID_SEGMENTS, c.pick);
      else segment = `00000000-0000-4000-8000-${c.pick.toString(16).padStart(12, '0').slice(-12)}`;
      const decoded = tryDecode(segment).toLowerCase();
      if (!own.map((x) => x.toLowerCase()).includes(decoded)) mustRefuse.push(`${name} ${segment.slice(0, 60)} is not one of the tenant's`);
    }
    path = path.replace(`{${name}}`, segment);
  });

  // Query parameters.
  const query: string[] = [];
  op.params.filter((p) => p.in === 'query').forEach((param, i) => {
    const c = input.query[i]!;
    if (!c.include) return;
    const encoded = c.mode === 'generic' ? pickOf(HOSTILE_QUERY, c.pick) : encodeParam(c.mode === 'schema' ? pickOf(hostileParamValues(param), c.pick) : c.valid);
    query.push(`${encodeParam(param.name)}=${encoded}`);
    if (!queryValueConforms(param, tryDecode(encoded))) mustRefuse.push(`query ${param.name}=${encoded.slice(0, 60)} is invalid`);
  });
  for (const j of input.junkQuery) query.push(JUNK_QUERY[j]!);
  const url = query.length > 0 ? `${path}?${query.join('&')}` : path;

  // Headers: documented header parameters, the content type and some noise.
  const headers: Record<string, string> = {};
  for (const extra of input.extraHeaders) {
    const [name, value] = EXTRA_HEADERS[extra]!;
    if (name === 'transfer-encoding' || name === 'content-encoding') continue; // meaningless in-process; the socket test covers transfer encodings
    if (name === 'authorization' && op.auth === 'bearer') continue;
    headers[name] = value;
  }
  op.params.filter((p) => p.in === 'header' && !isAuthHeader(op, p)).forEach((param, i) => {
    const c = input.headerParams[i]!;
    if (!c.include) return;
    const raw = c.mode === 'generic' ? pickOf(HOSTILE_HEADER_VALUES, c.pick) : c.mode === 'schema' ? pickOf(hostileParamValues(param), c.pick) : c.valid;
    // Header values are byte strings without controls other than tab: what HTTP can carry.
    const value = [...raw].every((ch) => ch.charCodeAt(0) <= 0xff && (ch === '\t' || ch.charCodeAt(0) >= 0x20)) ? raw : 'not-latin1';
    headers[param.name] = value;
    if (!conformsTo(`header ${param.name}`, param.schema, headerValue(value))) mustRefuse.push(`header ${param.name} is invalid`);
  });

  // Body: generated from the request schema, mutated, serialised, mutated as bytes.
  let body: Uint8Array | undefined;
  let bodyKind: string = input.body.mode;
  let original: Uint8Array = new Uint8Array();
  if (op.method !== 'GET' && input.body.mode !== 'absent') {
    let tree: Tree = input.body.mode === 'junk' ? input.body.junk : input.body.tree;
    if (op.auth === 'ops') tree = steerOpsEvent(tree, input.body.steer, ctx);
    original = new Uint8Array(Buffer.from(serialize(tree)));
    for (const m of input.body.mutations) tree = applyMutation(tree, m, op.body?.schema);
    body = applyRawMutation(serialize(tree), input.body.raw);
    bodyKind = `${input.body.mode}${input.body.mutations.length > 0 ? ` [${input.body.mutations.map((m) => m.op).join(', ')}]` : ''}${input.body.raw.op !== 'none' ? ` raw:${input.body.raw.op}` : ''}`;
  } else if (op.body?.required) {
    body = undefined;
  }
  const contentType = CONTENT_TYPES[input.contentType];
  if (body !== undefined && contentType !== undefined) headers['content-type'] = contentType;

  // Credentials for the operation's scheme.
  let replay = false;
  if (op.auth === 'bearer') {
    credential = ctx.bearer[input.auth % ctx.bearer.length]!;
    authKind = credential.kind;
    if (credential.header !== undefined) headers.authorization = credential.header;
  } else if (op.auth === 'ops') {
    const kind: OpsAuthKind = OPS_AUTH_KINDS[input.auth % OPS_AUTH_KINDS.length]!;
    authKind = kind;
    const signed = signOps(kind, body ?? new Uint8Array(), original, input.authPick, ctx.captured);
    if (signed.body) {
      body = signed.body;
      bodyKind = kind === 'replayed exactly' ? 'captured delivery' : 'captured signature, other body';
      if (kind === 'replayed exactly') headers['content-type'] = 'application/json';
    }
    Object.assign(headers, signed.headers);
    replay = signed.replay;
    if (signed.validity === 'invalid') mustRefuse.push(`ops signature: ${kind}`);
  } else if (op.auth === 'xero' || op.auth === 'quickbooks') {
    const kind: ProviderAuthKind = PROVIDER_AUTH_KINDS[input.auth % PROVIDER_AUTH_KINDS.length]!;
    authKind = kind;
    const key = op.auth === 'xero' ? ctx.xeroKey : ctx.quickbooksToken;
    const signed = signProvider(kind, key, body ?? new Uint8Array(), original);
    if (signed.signature !== undefined) headers[op.auth === 'xero' ? 'x-xero-signature' : 'intuit-signature'] = signed.signature;
    if (signed.validity === 'invalid') mustRefuse.push(`${op.auth} signature: ${kind}`);
  }
  if (op.auth === 'bearer' && credential) {
    if (credential.validity === 'invalid') mustRefuse.push(`bearer: ${credential.kind}`);
    else if (credential.validity === 'valid' || credential.validity === 'maybe') {
      const admin = credential.tenantId === '*';
      if (op.tenantScoped && !admin && pathTenant !== credential.tenantId) mustRefuse.push(`token for ${credential.tenantId} on tenant ${pathTenant?.slice(0, 40)}`);
      if (!op.tenantScoped && op.template.startsWith('/v1/') && !admin) mustRefuse.push('a tenant token on a platform-admin route');
    }
  }

  // The body, as openapi.yaml judges it.
  if (body !== undefined && body.byteLength > BODY_LIMIT) mustRefuse.push(`body of ${body.byteLength} bytes is over the limit`);
  else if (op.body) {
    if (body === undefined || body.byteLength === 0) {
      if (op.body.required) mustRefuse.push('no body');
    } else {
      let parsed: unknown;
      let ok = true;
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch {
        ok = false;
        mustRefuse.push('not UTF-8 JSON');
      }
      if (ok) {
        if (containsNul(parsed)) mustRefuse.push('NUL in a string');
        else if (!conformsTo(`body ${op.key}`, op.body.schema, parsed)) mustRefuse.push('body does not match the request schema');
      }
    }
  }
  if (op.template === '/oauth/{provider}/callback') mustRefuse.push('no state this gateway issued');
  return { op, method: op.method, path: url, headers, body, mustRefuse, replay, authKind, bodyKind };
}

// ---- Systematic sweeps, run before the random cases -------------------------------------------

const leafPaths = (tree: Tree, prefix: (string | number)[] = []): (string | number)[][] => {
  if (tree instanceof Raw || tree === null || typeof tree !== 'object') return [prefix];
  if (Array.isArray(tree)) return tree.flatMap((child, i) => leafPaths(child as Tree, [...prefix, i]));
  return Object.entries(tree).flatMap(([k, child]) => leafPaths(child as Tree, [...prefix, k]));
};

function replaceAt(tree: Tree, path: readonly (string | number)[], value: Tree): Tree {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(tree)) return tree.map((child, i) => (i === head ? replaceAt(child as Tree, rest, value) : child)) as Tree;
  const out: Record<string, Tree> = {};
  for (const [k, child] of Object.entries(tree as Record<string, Tree>)) Object.defineProperty(out, k, { value: k === head ? replaceAt(child, rest, value) : child, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Bodies valid per openapi.yaml, one per branch of a top-level oneOf (each event type), from a fixed seed. */
export function validBodies(op: SpecOperation): Tree[] {
  if (!op.body) return [];
  const root = deref(op.body.schema);
  const branches = ((root.oneOf ?? root.anyOf) as Obj[] | undefined) ?? [op.body.schema];
  const out: Tree[] = [];
  for (const [i, branch] of branches.entries()) {
    const found = fc.sample(arbitraryFor(branch), { numRuns: 300, seed: 7 + i }).find((v) => conformsTo(`body ${op.key}`, op.body!.schema, v));
    if (found !== undefined) out.push(found as Tree);
  }
  return out;
}

/**
 * Cases that sweep every parameter and body field with the values its schema should refuse, one
 * at a time, with valid credentials: random cases rarely hit one field with one value, so the
 * boundaries are tried on every run. `base` is any generated case (for the fields kept as is).
 */
export function sweepInputs(op: SpecOperation, base: CaseInput, opts: { bearer: readonly BearerCredential[]; allBearerKinds: boolean }): CaseInput[] {
  const out: CaseInput[] = [];
  const quiet: CaseInput = {
    ...base,
    auth: 0,
    path: op.pathParams.map(() => ({ mode: 'own' as const, pick: 0 })),
    query: base.query.map((q) => ({ ...q, include: false })),
    junkQuery: [],
    headerParams: base.headerParams.map((q) => ({ ...q, include: false })),
    contentType: 0,
    extraHeaders: [],
    body: { ...base.body, mode: op.body ? 'schema' : 'absent', mutations: [], raw: { op: 'none' } },
  };
  const bodies = validBodies(op);
  const withBody = (c: CaseInput): CaseInput => (bodies[0] === undefined ? c : { ...c, body: { ...c.body, tree: bodies[0] } });
  // Query and header parameters: each refused value of each, alone.
  for (const [kind, params] of [['query', op.params.filter((p) => p.in === 'query')], ['header', op.params.filter((p) => p.in === 'header' && !isAuthHeader(op, p))]] as const) {
    params.forEach((param, i) => {
      hostileParamValues(param).forEach((_, pick) => {
        const choices = (kind === 'query' ? quiet.query : quiet.headerParams).map((c, j) => (j === i ? { ...c, include: true, mode: 'schema' as const, pick } : c));
        out.push(withBody(kind === 'query' ? { ...quiet, query: choices } : { ...quiet, headerParams: choices }));
      });
    });
  }
  // Path parameters: every hostile segment. A hostile tenant_id with a tenant's token never gets
  // past the shared tenant check (a few suffice); the platform admin's reaches the route itself.
  op.pathParams.forEach((name, i) => {
    const segments = name === 'tenant_id' ? HOSTILE_TENANT_SEGMENTS : name === 'provider' ? HOSTILE_PROVIDERS : HOSTILE_ID_SEGMENTS;
    segments.forEach((_, pick) => {
      const path = quiet.path.map((c, j) => (j === i ? { mode: 'hostile' as const, pick } : c));
      if (name !== 'tenant_id' || op.auth !== 'bearer') out.push(withBody({ ...quiet, path }));
      else {
        if (pick % 5 === 0) out.push(withBody({ ...quiet, path }));
        out.push(withBody({ ...quiet, path, auth: ADMIN_CREDENTIAL }));
      }
    });
  });
  // The body as a whole: other JSON types, a valid body wrapped, nested deep, holding what
  // PostgreSQL cannot store, and every whole-body mutation (malformed, not UTF-8, oversize).
  if (op.body) {
    const valid = bodies[0] ?? {};
    const extra = (value: Tree): Tree => (valid !== null && typeof valid === 'object' && !Array.isArray(valid) ? { ...(valid as Record<string, Tree>), zz_extra: value } : [valid, value]);
    const roots: Tree[] = [
      [], {}, null, 'x', 1, true, [valid], { event: valid },
      ...[65, 1_000, 10_000, 100_000].flatMap((depth) => [deepNest(depth, 'array', '1'), extra(deepNest(depth, 'array', '"\\u0000"')), extra(deepNest(depth, 'object', '"x"'))]),
      extra(deepNest(30_000, 'object', '"\\ud800"')),
      extra('\ud800'), extra('a\u0000b'), extra(new Raw('1e131072')), extra(new Raw('1e-16384')), extra(new Raw(`1${'0'.repeat(2000)}`)), extra(new Raw('0e-99999')),
      valid !== null && typeof valid === 'object' && !Array.isArray(valid) ? new DupObject([...Object.entries(valid as Record<string, Tree>), ['\ud800', 1]]) : valid,
    ];
    for (const tree of roots) out.push({ ...quiet, auth: op.auth === 'none' ? quiet.auth : 0, body: { ...quiet.body, mode: 'schema', tree } });
    for (const raw of RAW_MUTATION_SWEEP) out.push({ ...quiet, auth: op.auth === 'none' ? quiet.auth : 0, body: { ...quiet.body, mode: 'schema', tree: valid, raw } });
  }
  // Credentials: every kind the operation's scheme has, once, on an otherwise valid request. A
  // bearer token that is refused is refused by the one shared check, so those are swept on the
  // first bearer route only; the ones let in reach every route's handler.
  if (op.auth === 'bearer') {
    opts.bearer.forEach((credential, auth) => {
      if (auth > 0 && (credential.validity !== 'invalid' || opts.allBearerKinds)) out.push(withBody({ ...quiet, auth }));
    });
  } else {
    const kinds = op.auth === 'ops' ? OPS_AUTH_KINDS.length : op.auth === 'xero' || op.auth === 'quickbooks' ? PROVIDER_AUTH_KINDS.length : 0;
    for (let auth = 1; auth < kinds; auth++) out.push(withBody({ ...quiet, auth, authPick: auth }));
  }

  // Body fields: each leaf of a valid body (one per event type), with each value its schema should
  // refuse; a field several bodies share (the envelope, a party, a line) is swept once.
  const seen = new Set<string>();
  const auth = op.auth === 'none' ? quiet.auth : 0;
  for (const body of bodies) {
    for (const path of leafPaths(body)) {
      const leafSchema = schemaAt(op.body!.schema, body, path);
      const values = hostileFor(leafSchema, null);
      const field = `${String(path.at(-1))}:${JSON.stringify(leafSchema ?? null)}`;
      values.forEach((value, i) => {
        if (seen.has(`${field}#${i}`)) return;
        seen.add(`${field}#${i}`);
        out.push({ ...quiet, auth, body: { ...quiet.body, mode: 'schema', tree: replaceAt(body, path, value) } });
      });
    }
  }
  return out;
}

/** A short, printable description of a case (bodies and long values cut). */
export function describe(m: Materialized): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
  const headers = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, cut(v, 80)]));
  const body = m.body === undefined ? '(none)' : cut(Buffer.from(m.body.subarray(0, 400)).toString('utf8'), 300) + ` [${m.body.byteLength} bytes]`;
  return [
    `${m.method} ${cut(m.path, 200)}`,
    `auth: ${m.authKind}; body: ${m.bodyKind}`,
    `headers: ${JSON.stringify(headers)}`,
    `body: ${body}`,
    `must refuse: ${m.mustRefuse.length > 0 ? m.mustRefuse.join('; ') : 'no (valid per openapi.yaml)'}`,
  ].join('\n    ');
}
