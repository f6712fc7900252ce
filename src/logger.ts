import pino, { type DestinationStream, type Logger } from 'pino';
import { traceLogFields } from './observability/trace-context.ts';

/** Fields that must never reach a log line, wherever they appear. */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers["webhook-signature"]',
  '*.headers["x-xero-signature"]',
  '*.headers["intuit-signature"]',
  'access_token',
  'refresh_token',
  '*.access_token',
  '*.refresh_token',
  'token_set',
  '*.token_set',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
];

export function createLogger(opts: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'ledgerport' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // trace_id / span_id of the active span, when tracing is on (observability/tracing.ts).
      mixin: traceLogFields,
    },
    opts.destination,
  );
}
