import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { listEvents } from '../feed/repo.ts';
import type { ConsoleEnv } from './app.ts';
import { RUN_KIND_WORDS } from './vocabulary.ts';

const POLL_MS = 1_000;
const KEEPALIVE_MS = 15_000;
/** A stream ends after this long; the browser's EventSource reconnects with Last-Event-ID. */
const STREAM_MS = 10 * 60_000;

/** What the bell says when a run ends. */
function runNotice(data: Record<string, unknown>): string {
  const what = RUN_KIND_WORDS[String(data.kind) as keyof typeof RUN_KIND_WORDS] ?? 'A sync run';
  const outcome = data.status === 'succeeded' ? 'finished' : `ended: ${String(data.status)}${data.error ? ` (${String(data.error)})` : ''}`;
  return `${what}${data.dry_run ? ' (dry run)' : ''} ${outcome}.`;
}

/**
 * GET …/live: server-sent events that follow the tenant's change feed. Each feed event is sent
 * as `change` (the page fetches itself again); a finished sync run also as `run-finished`, with
 * the sentence the console's notice shows. The feed's seq is the event id, so a reconnect
 * continues where the last stream stopped.
 */
export function livePages(ctx: AppContext) {
  return new Hono<ConsoleEnv>().get('/live', async (c) => {
    const tenantId = c.get('tenantId');
    const lastId = c.req.header('last-event-id');
    let after = lastId && /^\d{1,19}$/.test(lastId)
      ? lastId
      : String((await ctx.db.selectFrom('outbound_events').select(sql<string>`coalesce(max(seq), 0)::text`.as('seq')).where('tenant_id', '=', tenantId).executeTakeFirst())?.seq ?? '0');
    return streamSSE(c, async (stream) => {
      const started = Date.now();
      let lastWrite = Date.now();
      await stream.writeSSE({ event: 'ready', data: after, id: after });
      while (!stream.aborted && !stream.closed && Date.now() - started < STREAM_MS) {
        const events = await listEvents(ctx.db, { tenantId, afterSeq: after, limit: 100 });
        for (const e of events) {
          after = e.seq;
          await stream.writeSSE({ event: 'change', id: e.seq, data: JSON.stringify({ type: e.type }) });
          if (e.type === 'sync_run.finished') await stream.writeSSE({ event: 'run-finished', id: e.seq, data: runNotice(e.data as Record<string, unknown>) });
          lastWrite = Date.now();
        }
        if (Date.now() - lastWrite > KEEPALIVE_MS) {
          await stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await stream.sleep(POLL_MS);
      }
    });
  });
}
