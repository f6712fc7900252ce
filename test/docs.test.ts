import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createApp } from '../src/http/app.ts';
import { DOCS_BEARER_SCHEME, DOCS_CSP, DOCS_OPENAPI_URL } from '../src/http/routes/docs.ts';
import { OPENAPI_PATH } from '../src/http/routes/openapi.ts';
import { startHarness, type Harness } from './helpers/harness.ts';
import { checkedResponse, createSpecValidator } from './helpers/openapi.ts';

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

let h: Harness;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  h = await startHarness();
  // /docs is not an operation of the API (openapi.yaml documents it under x-unmatched-routes), and
  // its assets are compared byte for byte, so its 200s are requested from the app directly (and
  // checked against that rule below); its 404s go through h.request, checked as `404 route_not_found`.
  app = createApp(h.ctx);
});
afterAll(async () => {
  await h.close();
});

/** Every src= and href= of the page, in order. */
const references = (html: string) => [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? '');

const TYPES: Record<string, string> = { js: 'text/javascript', css: 'text/css', png: 'image/png' };

describe('GET /docs', () => {
  it('answers 200 text/html with a strict Content-Security-Policy and no inline script or style', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy');
    expect(csp).toBe(DOCS_CSP);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');

    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\ssrc="/);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('references only same-origin assets: Swagger UI from /docs/assets and the initializer', async () => {
    const html = await (await app.request('/docs')).text();
    const refs = references(html);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^\/[^/\\]/); // a path on this origin: not absolute, not protocol-relative
      expect(new URL(ref, 'http://ledgerport.test').origin).toBe('http://ledgerport.test');
    }
    const paths = refs.map((ref) => ref.split('?')[0]);
    expect(paths).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css', '/docs/init.js']));
  });

  it('serves every referenced asset with its content-type; the package files, cached for a year', async () => {
    const html = await (await app.request('/docs')).text();
    for (const ref of references(html)) {
      const res = await app.request(ref);
      expect(res.status, ref).toBe(200);
      const path = ref.split('?')[0] ?? ref;
      const type = TYPES[path.split('.').pop() ?? ''];
      expect(type, ref).toBeDefined();
      expect(res.headers.get('content-type'), ref).toContain(type);
      expect(res.headers.get('x-content-type-options'), ref).toBe('nosniff');
      const body = Buffer.from(await res.arrayBuffer());
      if (path.startsWith('/docs/assets/')) {
        expect(res.headers.get('cache-control'), ref).toBe('public, max-age=31536000, immutable');
        expect(body.equals(readFileSync(join(SWAGGER_UI_DIR, path.slice('/docs/assets/'.length)))), ref).toBe(true);
      } else {
        expect(res.headers.get('cache-control'), ref).toBe('no-cache');
      }
    }
  });

  it('answers the page, its initializer and every asset as openapi.yaml documents them (x-unmatched-routes /docs)', async () => {
    const validator = createSpecValidator();
    const html = await (await app.request('/docs')).text();
    for (const path of ['/docs', ...references(html)]) {
      // Throws unless status, media type and the required headers (CSP, nosniff) are as documented.
      const res = await checkedResponse(validator, 'GET', path, await app.request(path));
      expect(res.status, path).toBe(200);
    }
  });

  it('versions the asset URLs with the swagger-ui-dist release, so the long cache is safe', async () => {
    const { version } = JSON.parse(readFileSync(join(SWAGGER_UI_DIR, 'package.json'), 'utf8')) as { version: string };
    const html = await (await app.request('/docs')).text();
    for (const ref of references(html).filter((r) => r.startsWith('/docs/assets/'))) expect(ref).toMatch(new RegExp(`\\?v=${version.replaceAll('.', '\\.')}$`));
  });
});

const TRAVERSALS = [
  '/docs/assets/../package.json',
  '/docs/assets/%2e%2e/package.json',
  '/docs/assets/%2E%2E/package.json',
  '/docs/assets/..%2fpackage.json',
  '/docs/assets/..%2Fpackage.json',
  '/docs/assets/%2e%2e%2fpackage.json',
  '/docs/assets/..%2f..%2f..%2fpackage.json',
  '/docs/assets/%252e%252e%252fpackage.json',
  '/docs/assets/..%5cpackage.json',
  '/docs/assets/..\\package.json',
  '/docs/assets/%2fetc%2fpasswd',
  // Files of the package that are not whitelisted, and names a plain object would answer.
  '/docs/assets/package.json',
  '/docs/assets/index.html',
  '/docs/assets/swagger-ui-bundle.js.map',
  '/docs/assets/constructor',
  '/docs/assets/__proto__',
  '/docs/assets/',
  '/docs/assets/swagger-ui.css/',
];

describe('/docs/assets/* serves only whitelisted files', () => {
  for (const path of TRAVERSALS) {
    it(`404 route_not_found for ${path}`, async () => {
      const res = await h.request('GET', path);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('route_not_found');
      expect(res.text).not.toContain('swagger-ui-dist');
    });
  }

  describe('over a real socket, the path sent as is', () => {
    let server: { url: string; close: () => Promise<void> };
    beforeAll(async () => {
      server = await h.listen();
    });
    afterAll(async () => {
      await server.close();
    });

    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { hostname, port } = new URL(server.url);
        const req = http.request({ hostname, port, path, method: 'GET' }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        });
        req.on('error', reject);
        req.end();
      });

    it('404 for every traversal attempt; the whitelisted asset still answers', async () => {
      for (const path of TRAVERSALS) {
        const res = await get(path);
        // Node's HTTP parser itself refuses a raw backslash in the request target (400 Bad Request).
        expect(res.status, path).toBe(path.includes('\\') ? 400 : 404);
        expect(res.body, path).not.toContain('swagger-ui-dist');
      }
      expect((await get('/docs/assets/swagger-ui.css')).status).toBe(200);
    });
  });
});

describe('GET /docs/init.js', () => {
  /** Runs init.js against a stand-in SwaggerUIBundle and returns the configuration it passed. */
  const runInit = (script: string) => {
    let config: Record<string, any> | undefined;
    const SwaggerUIBundle = Object.assign((c: Record<string, any>) => ((config = c), { ui: true }), { presets: { apis: 'apis-preset' } });
    const window = { location: { origin: 'https://ledgerport.example' } } as Record<string, any>;
    vm.runInNewContext(script, { window, SwaggerUIBundle });
    if (!config) throw new Error('init.js did not call SwaggerUIBundle');
    expect(window.ui).toEqual({ ui: true });
    return config;
  };

  it('is JavaScript that points Swagger UI at the served openapi.yaml, with try-it and a persisted bearer token', async () => {
    const res = await app.request('/docs/init.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/javascript');
    const config = runInit(await res.text());

    expect(config.url).toBe(DOCS_OPENAPI_URL);
    const spec = await h.request('GET', config.url);
    expect(spec.status).toBe(200);
    expect(spec.text).toBe(readFileSync(OPENAPI_PATH, 'utf8'));

    expect(config.dom_id).toBe('#swagger-ui');
    expect(config.presets).toEqual(['apis-preset']);
    expect(config.tryItOutEnabled).toBe(true);
    expect(config.persistAuthorization).toBe(true);
    expect(config.validatorUrl).toBeNull(); // else the page would load a badge from validator.swagger.io
  });

  it('sends try-it requests to the page origin, whatever openapi.yaml lists under servers', async () => {
    const config = runInit(await (await app.request('/docs/init.js')).text());
    const seen: unknown[] = [];
    const plugins = (config.plugins as (() => any)[]).map((p) => p());
    const wrap = plugins.map((p) => p.statePlugins?.spec?.wrapActions?.updateJsonSpec).find(Boolean);
    expect(wrap).toBeTypeOf('function');
    wrap((spec: unknown) => seen.push(spec))({ openapi: '3.1.0', servers: [{ url: 'http://localhost:8080' }], paths: {} });
    expect(seen).toEqual([{ openapi: '3.1.0', servers: [{ url: 'https://ledgerport.example', description: 'This server' }], paths: {} }]);
  });

  it('the bearer scheme it names is the one openapi.yaml declares and the tenant API requires', () => {
    const spec = parse(readFileSync(OPENAPI_PATH, 'utf8')) as { components: { securitySchemes: Record<string, unknown> }; paths: Record<string, Record<string, { security?: unknown }>> };
    expect(spec.components.securitySchemes[DOCS_BEARER_SCHEME]).toMatchObject({ type: 'http', scheme: 'bearer' });
    const tenantOps = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/v1/tenants/'))
      .flatMap(([, item]) => Object.values(item).filter((op) => typeof op === 'object' && op !== null && 'responses' in op));
    expect(tenantOps.length).toBeGreaterThan(0);
    for (const op of tenantOps) expect(op.security).toEqual([{ [DOCS_BEARER_SCHEME]: [] }]);
  });
});
