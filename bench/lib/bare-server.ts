/**
 * The HTTP floor, run as its own process by bench/ingress.ts: Hono on @hono/node-server reading
 * the body of POST /webhooks/ops and answering 202 with a small JSON body, touching nothing else.
 * Its CPU per request is what any gateway on this stack pays before doing any work. Prints its
 * port on stdout once listening; exits on SIGTERM.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono().post('/webhooks/ops', async (c) => {
  const body = await c.req.arrayBuffer();
  return c.json({ document_id: '00000000-0000-4000-8000-000000000000', status: 'received', bytes: body.byteLength }, 202);
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => process.stdout.write(`${info.port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
