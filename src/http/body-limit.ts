import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors.ts';

/**
 * 413 over `maxBytes`. A body with a Content-Length is judged by the header alone (Node's parser
 * never delivers more than it declares), so the request keeps @hono/node-server's direct body
 * read; Hono's bodyLimit touches `req.raw.body`, which builds a web Request and stream for every
 * request. Only chunked bodies, whose size is known once read, go through Hono's counting stream.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = (): never => {
    throw new AppError(413, 'payload_too_large', `the body exceeds ${maxBytes} bytes`);
  };
  const counting = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > maxBytes) tooLarge();
      return next();
    }
    return counting(c, next);
  };
}
