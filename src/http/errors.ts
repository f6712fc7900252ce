import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import { plainPage } from '../console/layout.ts';

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; request_id: string };
}

export function errorBody(c: Context, code: string, message: string, details?: unknown): ErrorEnvelope {
  const request_id = (c.get('requestId') as string | undefined) ?? 'unknown';
  return { error: details === undefined ? { code, message, request_id } : { code, message, details, request_id } };
}

/** The one place errors become HTTP responses: typed errors keep their status, the rest are 500s. */
export function handleError(logger: Logger) {
  return (error: Error, c: Context) => {
    // The console is read by people in a browser: the same errors, as a page.
    if (c.req.path === '/console' || c.req.path.startsWith('/console/')) {
      if (error instanceof AppError) return c.html(plainPage(error.status === 404 ? 'Not found' : 'Something is not right', error.message), error.status as ContentfulStatusCode);
      logger.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
      return c.html(plainPage('Something went wrong', `An internal error occurred; it has been logged (request ${String(c.get('requestId') ?? 'unknown')}).`), 500);
    }
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(errorBody(c, error.code, error.message, error.details), error.status as ContentfulStatusCode);
    }
    if (error instanceof HTTPException && error.status < 500) {
      return c.json(errorBody(c, 'bad_request', error.message || 'bad request'), error.status);
    }
    logger.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return c.json(errorBody(c, 'internal_error', 'an internal error occurred; it has been logged'), 500);
  };
}
