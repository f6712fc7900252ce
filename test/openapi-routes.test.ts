import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.ts';
import { MAX_JSON_DEPTH } from '../src/http/validate.ts';
import { startHarness, type Harness } from './helpers/harness.ts';
import { checkedResponse, createSpecValidator, loadSpec, type SpecValidator } from './helpers/openapi.ts';

/**
 * openapi.yaml against the app itself: every route the app serves is a documented operation or
 * lies under an `x-unmatched-routes` rule that documents what it serves (the console, /docs),
 * every documented operation is served, and what every request meets before its handler (the
 * body limit) and every JSON body meets (the nesting, number and character limits) is answered
 * as documented.
 */

let h: Harness;
let app: ReturnType<typeof createApp>;
let validator: SpecValidator;
beforeAll(async () => {
  h = await startHarness();
  app = createApp(h.ctx);
  validator = createSpecValidator();
});
afterAll(async () => {
  await h.close();
});

type Obj = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** A path pattern with every parameter (Hono's `:name`, OpenAPI's `{name}`) as `{}`. */
const shape = (path: string) =>
  path
    .split('/')
    .map((segment) => (/^:[^{]+(\{.*\})?$/.test(segment) || /^\{[^}]+\}$/.test(segment) ? '{}' : segment))
    .join('/');

/** The documented operations, as `METHOD shape` → `METHOD /template`. */
function documentedOperations(): Map<string, string> {
  const ops = new Map<string, string>();
  for (const [template, item] of Object.entries((loadSpec().paths ?? {}) as Obj)) {
    for (const method of METHODS) if ((item as Obj)[method]) ops.set(`${method.toUpperCase()} ${shape(template)}`, `${method.toUpperCase()} ${template}`);
  }
  return ops;
}

/** Whether `prefix` (an x-unmatched-routes prefix) covers `path`, segment by segment. */
const covers = (prefix: string, path: string) => {
  const want = shape(prefix).split('/').filter(Boolean);
  const have = shape(path).split('/').filter(Boolean);
  return want.length <= have.length && want.every((segment, i) => segment === '{}' || segment === have[i]);
};

/** The app's routes (Hono's list), leaving out middleware (`ALL`). */
const servedRoutes = () => app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, path: r.path }));

describe('openapi.yaml and the routes the app serves agree', () => {
  it('every route is an operation under paths, or lies under an x-unmatched-routes rule that documents a success', () => {
    const ops = documentedOperations();
    const rules = (loadSpec()['x-unmatched-routes']?.rules ?? []) as Obj[];
    const undocumented: string[] = [];
    const routes = servedRoutes();
    expect(routes.length).toBeGreaterThan(40);
    for (const { method, path } of routes) {
      if (ops.has(`${method} ${shape(path)}`)) continue;
      // `/` documents only what every path may answer (404, 413, 500): it documents no route.
      const rule = rules.find((r) => r.prefix !== '/' && covers(String(r.prefix), path) && Object.keys((r.responses ?? {}) as Obj).some((s) => /^2/.test(s)));
      if (!rule) undocumented.push(`${method} ${path}`);
    }
    expect(undocumented).toEqual([]);
  });

  it('every operation under paths is served', () => {
    const served = new Set(servedRoutes().map((r) => `${r.method} ${shape(r.path)}`));
    const missing = [...documentedOperations()].filter(([key]) => !served.has(key)).map(([, op]) => op);
    expect(missing).toEqual([]);
  });
});

/** A concrete path for a template: a tenant id, a UUID for every other parameter. */
const concrete = (template: string) =>
  template.replace(/\{([^}]+)\}/g, (_, name: string) => (name === 'tenant_id' ? 'org_limits' : name === 'provider' ? 'xero' : '00000000-0000-4000-8000-000000000000'));

const LIMIT = 1024 * 1024;
const OVERSIZE = new Uint8Array(LIMIT + 1).fill(0x20);

/** Requests with a body that no route lists: unknown methods and paths, the console, /docs. */
const UNLISTED = [
  ['POST', '/nowhere'],
  ['PATCH', '/healthz'],
  ['DELETE', '/docs'],
  ['PATCH', '/v1/tenants/org_limits/documents'],
  ['PATCH', '/v1/console-sessions'],
  ['POST', '/console/t/org_limits/documents/retry-failed'],
  ['POST', '/console/nowhere'],
] as const;

describe('413 payload_too_large, before routing and authentication, as documented', () => {
  it('the limit is the 1 MiB openapi.yaml names', () => {
    expect(h.config.http.bodyLimitBytes).toBe(LIMIT);
  });

  const bodied = () =>
    Object.entries((loadSpec().paths ?? {}) as Obj).flatMap(([template, item]) =>
      METHODS.filter((m) => m !== 'get' && m !== 'head' && (item as Obj)[m]).map((m) => [m.toUpperCase(), concrete(template)] as const),
    );

  for (const sent of ['with a Content-Length', 'chunked'] as const) {
    it(`on every operation but GET, with or without a request body, and on unlisted paths: ${sent}, no credentials`, async () => {
      const requests = [...bodied(), ...UNLISTED];
      expect(requests.length).toBeGreaterThan(20);
      for (const [method, path] of requests) {
        const init: RequestInit & { duplex?: 'half' } =
          sent === 'chunked'
            ? { method, body: new Blob([OVERSIZE]).stream(), duplex: 'half' }
            : { method, body: OVERSIZE, headers: { 'content-length': String(OVERSIZE.byteLength) } };
        const res = await checkedResponse(validator, method, path, await app.request(path, init));
        expect(res.status, `${method} ${path}`).toBe(413);
        if (path.startsWith('/console')) expect(res.headers.get('content-type'), `${method} ${path}`).toMatch(/^text\/html/);
        else expect(res.body.error.code, `${method} ${path}`).toBe('payload_too_large');
      }
    });
  }

  it('a body of exactly the limit passes it', async () => {
    const res = await h.request('POST', '/nowhere', { rawBody: new Uint8Array(LIMIT).fill(0x20) });
    expect(res.status).toBe(404);
  });
});

describe('the JSON body limits openapi.yaml documents', () => {
  let token: string;
  beforeAll(async () => {
    token = await h.token('org_limits');
  });
  /** PUT /defaults with `{"x": <raw>}`: an unknown field, so what answers first is the question. */
  const put = (raw: string) => h.request('PUT', '/v1/tenants/org_limits/defaults', { token, rawBody: `{"x":${raw}}`, headers: { 'content-type': 'application/json' } });
  const limitIssue = (res: { body: any }) => (res.body.error.details ?? []).find((d: { path: string }) => d.path === '')?.message as string | undefined;
  const nest = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it(`nesting: ${MAX_JSON_DEPTH} levels (the outer object is one) pass, ${MAX_JSON_DEPTH + 1} are validation_failed with one issue at ""`, async () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    const deepest = await put(nest(63));
    expect(deepest.status).toBe(400);
    expect(limitIssue(deepest)).toBeUndefined();
    const deeper = await put(nest(64));
    expect(deeper.status).toBe(400);
    expect(deeper.body.error.code).toBe('validation_failed');
    expect(deeper.body.error.details).toEqual([{ path: '', message: 'arrays and objects must not nest more than 64 levels deep' }]);
  });

  it('numbers: 1,000 characters and exponents of ±1,000 pass; one more is validation_failed with one issue at ""', async () => {
    const message = 'numbers must have at most 1000 characters and an exponent within ±1000';
    for (const ok of ['1'.repeat(1000), `-${'1'.repeat(999)}`, '1e1000', '1e-1000', `"${'1'.repeat(5000)}"`]) {
      const res = await put(ok);
      expect(res.status, ok.slice(0, 20)).toBe(400);
      expect(limitIssue(res), ok.slice(0, 20)).toBeUndefined();
    }
    for (const bad of ['1'.repeat(1001), `-${'1'.repeat(1000)}`, '1e1001', '1e-1001', '1E+1001']) {
      const res = await put(bad);
      expect(res.status, bad.slice(0, 20)).toBe(400);
      expect(res.body.error.details, bad.slice(0, 20)).toEqual([{ path: '', message }]);
    }
  });

  it('invalid_characters: NUL or a lone surrogate in a string or key; a surrogate pair passes; raw surrogate bytes are malformed_json', async () => {
    for (const bad of ['"\\u0000"', '"\\ud800"', '"\\udfff"', '"\\udc00\\ud800"', '{"\\ud800":1}', '{"a\\u0000":1}']) {
      const res = await put(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code, bad).toBe('invalid_characters');
    }
    const pair = await put('"\\ud83d\\ude00"');
    expect(pair.body.error.code).toBe('validation_failed');
    const rawSurrogate = new Uint8Array([...Buffer.from('{"x":"'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]);
    const raw = await h.request('PUT', '/v1/tenants/org_limits/defaults', { token, rawBody: rawSurrogate, headers: { 'content-type': 'application/json' } });
    expect(raw.body.error.code).toBe('malformed_json');
  });
});
