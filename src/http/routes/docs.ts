import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';

/** Where the openapi route serves openapi.yaml (src/http/routes/openapi.ts). */
export const DOCS_OPENAPI_URL = '/openapi.yaml';
/** The security scheme openapi.yaml declares for the tenant API (components.securitySchemes). */
export const DOCS_BEARER_SCHEME = 'bearerAuth';

/**
 * The page loads nothing but this origin: no inline script or style, no CDN. The one exception is
 * data: images, which Swagger UI's CSS draws its icons from. (Its inline styles are set through
 * the DOM, which style-src does not restrict; checked in Chromium with every operation expanded.)
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_VERSION = (JSON.parse(readFileSync(join(SWAGGER_UI_DIR, 'package.json'), 'utf8')) as { version: string }).version;

/** The only files of swagger-ui-dist that are served, by name; anything else is 404. */
const ASSETS = new Map<string, string>([
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['index.css', 'text/css; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
  ['favicon-16x16.png', 'image/png'],
]);

/** Asset URLs carry the package version, so a release of swagger-ui-dist busts the year-long cache. */
const asset = (name: string) => `/docs/assets/${name}?v=${SWAGGER_UI_VERSION}`;

const INIT_JS = `// Ledgerport API docs: Swagger UI over ${DOCS_OPENAPI_URL}.
// "Authorize" takes a bearer token for the ${JSON.stringify(DOCS_BEARER_SCHEME)} scheme; "Try it out" sends it.
// Requests go to this page's origin (the CSP allows no other), whatever openapi.yaml lists under servers.
const sameOriginServer = () => ({
  statePlugins: {
    spec: {
      wrapActions: {
        updateJsonSpec: (update) => (spec) =>
          update(spec && typeof spec === 'object' ? { ...spec, servers: [{ url: window.location.origin, description: 'This server' }] } : spec),
      },
    },
  },
});

window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(DOCS_OPENAPI_URL)},
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis],
  plugins: [sameOriginServer],
  layout: 'BaseLayout',
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  // No validator badge: it would load an image from validator.swagger.io.
  validatorUrl: null,
});
`;

const HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Ledgerport API</title>
    <link rel="stylesheet" href="${asset('swagger-ui.css')}">
    <link rel="stylesheet" href="${asset('index.css')}">
    <link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}" sizes="32x32">
    <link rel="icon" type="image/png" href="${asset('favicon-16x16.png')}" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${asset('swagger-ui-bundle.js')}"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

/** GET /docs: interactive documentation of openapi.yaml (Swagger UI, served from swagger-ui-dist). */
export function docsRoutes() {
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  const read = (name: string) => {
    let body = cache.get(name);
    if (!body) {
      body = new Uint8Array(readFileSync(join(SWAGGER_UI_DIR, name)));
      cache.set(name, body);
    }
    return body;
  };

  return new Hono<AppEnv>()
    // '/docs/*' matches '/docs' itself too.
    .use('/docs/*', async (c, next) => {
      await next();
      c.header('content-security-policy', DOCS_CSP);
      c.header('x-content-type-options', 'nosniff');
    })
    .get('/docs', (c) => c.html(HTML, 200, { 'cache-control': 'no-cache' }))
    .get('/docs/init.js', (c) =>
      c.body(INIT_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }),
    )
    .get('/docs/assets/:name', (c) => {
      const name = c.req.param('name');
      const contentType = ASSETS.get(name);
      if (!contentType) return c.notFound();
      return c.body(read(name), 200, { 'content-type': contentType, 'cache-control': 'public, max-age=31536000, immutable' });
    });
}
