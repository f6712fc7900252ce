/**
 * Small typed errors thrown by services and routes; `http/errors.ts` maps them to the JSON
 * envelope in one place. `code` is stable and documented in openapi.yaml.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, details?: unknown, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new AppError(400, code, message, details);
/** A bearer-token failure: says how to authenticate, per RFC 6750. */
export const unauthorized = (code: string, message: string) =>
  new AppError(401, code, message, undefined, { 'www-authenticate': 'Bearer' });
/** A webhook signature failure: no bearer challenge, the sender signs instead. */
export const badSignature = (code: string, message: string) => new AppError(401, code, message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const tenantNotFound = () => new AppError(404, 'tenant_not_found', 'tenant not found');
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(422, code, message, details);
