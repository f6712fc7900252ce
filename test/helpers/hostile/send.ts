/**
 * Sends one request to the app in-process and reads the answer, checked against openapi.yaml
 * without throwing (the suites report a mismatch with the case that caused it).
 */
import type { createApp } from '../../../src/http/app.ts';
import type { SpecValidator } from '../openapi.ts';
import type { Answer } from './checks.ts';

export interface Outgoing {
  readonly method: string;
  /** As sent: may hold dot segments and percent-encodings. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array | string | undefined;
}

export async function sendRequest(app: ReturnType<typeof createApp>, validator: SpecValidator, req: Outgoing): Promise<Answer & { routedPath: string }> {
  const res = await app.request(req.path, { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  let body: unknown = text;
  if (/json/.test(res.headers.get('content-type') ?? '') && text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  // The path as the server routes it: dot segments resolved.
  const url = new URL(req.path, 'http://localhost');
  const routedPath = `${url.pathname}${url.search}`;
  let specError: string | undefined;
  try {
    validator.check(req.method, routedPath, res.status, res.headers.get('content-type'), body, res.headers);
  } catch (error) {
    specError = (error as Error).message;
  }
  return { status: res.status, headers: res.headers, text, body, specError, routedPath };
}
