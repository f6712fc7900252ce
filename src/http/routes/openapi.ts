import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';

export const OPENAPI_PATH = fileURLToPath(new URL('../../../openapi.yaml', import.meta.url));

export function openapiRoutes() {
  const document = readFileSync(OPENAPI_PATH, 'utf8');
  return new Hono<AppEnv>().get('/openapi.yaml', (c) =>
    c.body(document, 200, { 'content-type': 'application/yaml; charset=utf-8' }),
  );
}
