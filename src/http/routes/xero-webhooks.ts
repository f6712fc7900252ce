import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import { badRequest } from '../../errors.ts';
import { acceptXeroEvents, verifyXeroSignature, XeroWebhookBody } from '../../ingest/xero-events.ts';
import type { AppEnv } from '../env.ts';
import { issueDetails } from '../validate.ts';

/**
 * POST /webhooks/xero. Xero's intent-to-receive check sends correctly and wrongly signed bodies
 * and expects exactly 200 and 401, within 5 s: the signature is checked over the raw bytes
 * before anything else, and the events are only recorded here (the work happens in jobs).
 */
export function xeroWebhookRoutes(ctx: AppContext) {
  const log = ctx.logger.child({ subsystem: 'xero-webhooks' });
  const key = ctx.config.xero.webhookKey;
  return new Hono<AppEnv>().post('/webhooks/xero', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    // Xero's intent-to-receive check wants a bare 401: no body (and no cookies).
    if (!key) {
      log.error('a Xero webhook arrived but XERO_WEBHOOK_KEY is not configured');
      return c.body(null, 401);
    }
    if (!verifyXeroSignature(key, body, c.req.header('x-xero-signature'))) {
      log.warn('Xero webhook with a bad signature rejected');
      return c.body(null, 401);
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      throw badRequest('malformed_json', 'the body is not valid UTF-8 JSON');
    }
    const parsed = v.safeParse(XeroWebhookBody, decoded);
    if (!parsed.success) throw badRequest('validation_failed', 'the body is not a Xero webhook payload', issueDetails(parsed.issues));
    const outcome = await acceptXeroEvents(ctx.db, parsed.output.events);
    if (outcome.unknownOrganisation > 0) log.info({ ...outcome }, 'Xero events for an organisation no tenant is connected to were acknowledged and ignored');
    else if (parsed.output.events.length > 0) log.info({ ...outcome }, 'Xero events recorded');
    return c.body(null, 200);
  });
}
