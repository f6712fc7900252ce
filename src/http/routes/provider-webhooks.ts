import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import type { ProviderName } from '../../db/schema.ts';
import { badRequest } from '../../errors.ts';
import { recordProviderEvents, type ProviderEvent } from '../../ingest/provider-events.ts';
import { fromQuickBooksEvents, QuickBooksWebhookBody } from '../../ingest/quickbooks-events.ts';
import { fromXeroEvents, verifyHmacSignature, XeroWebhookBody } from '../../ingest/xero-events.ts';
import type { AppEnv } from '../env.ts';
import { decodeJson, issueDetails } from '../validate.ts';

/**
 * POST /webhooks/xero and /webhooks/quickbooks. The signature is checked over the raw bytes
 * before anything else; a bad one gets a bare 401 (Xero's intent-to-receive check wants no body
 * and no cookies). The events are only recorded here; the work happens in jobs, so the answer is
 * fast (Xero allows 5 s, Intuit 3 s).
 */
export function providerWebhookRoutes(ctx: AppContext) {
  const receiver = (provider: ProviderName, opts: { key: string | undefined; header: string; parse: (body: unknown) => { events: ProviderEvent[] } | { issues: v.BaseIssue<unknown>[] } }) => {
    const log = ctx.logger.child({ subsystem: `${provider}-webhooks` });
    return async (c: Context<AppEnv>) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      if (!opts.key) {
        log.error(`a ${provider} webhook arrived but its signing key is not configured`);
        return c.body(null, 401);
      }
      if (!verifyHmacSignature(opts.key, body, c.req.header(opts.header))) {
        log.warn(`${provider} webhook with a bad signature rejected`);
        return c.body(null, 401);
      }
      const decoded = decodeJson(body);
      const parsed = opts.parse(decoded);
      if ('issues' in parsed) throw badRequest('validation_failed', `the body is not a ${provider} webhook payload`, issueDetails(parsed.issues));
      const { events } = parsed;
      const outcome = await recordProviderEvents(ctx.db, provider, events);
      if (outcome.unknownOrganisation > 0) log.info({ ...outcome }, 'events for an organisation no tenant is connected to were acknowledged and ignored');
      else if (events.length > 0) log.info({ ...outcome }, 'provider events recorded');
      return c.body(null, 200);
    };
  };
  const parseWith = <S extends v.GenericSchema>(schema: S, map: (parsed: v.InferOutput<S>) => ProviderEvent[]) => (body: unknown) => {
    const parsed = v.safeParse(schema, body);
    return parsed.success ? { events: map(parsed.output) } : { issues: [...parsed.issues] };
  };
  return new Hono<AppEnv>()
    .post('/webhooks/xero', receiver('xero', { key: ctx.config.xero.webhookKey, header: 'x-xero-signature', parse: parseWith(XeroWebhookBody, (b) => fromXeroEvents(b.events)) }))
    .post('/webhooks/quickbooks', receiver('quickbooks', { key: ctx.config.quickbooks.webhookVerifierToken, header: 'intuit-signature', parse: parseWith(QuickBooksWebhookBody, fromQuickBooksEvents) }));
}
