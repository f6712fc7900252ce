import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { badRequest, badSignature } from '../../errors.ts';
import { parseOpsEnvelope } from '../../ingest/ops-envelope.ts';
import { signingKey, verifyWebhook } from '../../security/standard-webhooks.ts';
import type { AppEnv } from '../env.ts';
import { decodeJsonText } from '../validate.ts';

/**
 * POST /webhooks/ops: the platform's Standard Webhooks deliveries. Verified over the raw bytes,
 * validated, then answered only after the event, its document and its job are committed.
 */
export function opsWebhookRoutes(ctx: AppContext) {
  const log = ctx.logger.child({ subsystem: 'ops-webhooks' });
  const keys = ctx.config.opsWebhookSecrets.map(signingKey);
  return new Hono<AppEnv>().post('/webhooks/ops', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const headers = {
      id: c.req.header('webhook-id'),
      timestamp: c.req.header('webhook-timestamp'),
      signature: c.req.header('webhook-signature'),
    };
    const verification = verifyWebhook({
      secrets: keys,
      headers,
      body,
      nowSeconds: Math.floor(ctx.now().getTime() / 1000),
    });
    if (!verification.ok) {
      log.warn({ code: verification.code, webhookId: headers.id }, 'ops webhook rejected');
      throw badSignature(verification.code, verification.message);
    }
    const deliveryId = headers.id!;
    if (deliveryId.length > 255) throw badRequest('invalid_webhook_id', 'webhook-id must be at most 255 characters');

    const decoded = decodeJsonText(body);
    const parsed = parseOpsEnvelope(decoded.value);
    if (!parsed.ok) throw badRequest('validation_failed', 'the event does not match the ops webhook schema', parsed.details);

    const outcome = await ctx.opsIngest.submit({
      deliveryId,
      tenantId: parsed.tenantId,
      type: parsed.type,
      payloadJson: decoded.text,
      document: parsed.document,
    });
    switch (outcome.kind) {
      case 'duplicate':
        log.info({ webhookId: deliveryId }, 'duplicate delivery acknowledged');
        return c.json({ duplicate: true, document_id: outcome.documentId }, 200);
      case 'ignored':
        log.info({ webhookId: deliveryId, type: parsed.type, tenantId: parsed.tenantId }, 'event type not handled; recorded as ignored');
        return c.json({ ignored: true, reason: outcome.reason }, 200);
      case 'accepted':
        return c.json({ document_id: outcome.documentId, status: outcome.status }, 202);
    }
  });
}
