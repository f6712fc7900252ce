import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';

/**
 * One log line per request with its id, status and duration. Headers are never logged, so
 * Authorization and webhook signatures cannot leak; the logger's redact list is a second guard.
 */
export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const entry = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (status >= 500) logger.error(entry, 'request failed');
    else if (c.req.path === '/healthz' || c.req.path === '/readyz') logger.debug(entry, 'request');
    else logger.info(entry, 'request');
  };
}
