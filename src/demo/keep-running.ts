import type { GatewayClient } from './client.ts';

type Say = (line?: string) => void;

/** Ready-to-paste commands for the running demo gateway, with a long-lived bearer token. */
export async function printTryIt(say: Say, opts: { client: GatewayClient; tenantId: string; documentId: string; opsSecret: string }): Promise<void> {
  const url = opts.client.baseUrl;
  const token = await opts.client.token(opts.tenantId, '12h');
  const base = `${url}/v1/tenants/${opts.tenantId}`;
  const body = JSON.stringify({
    type: 'sales_order.shipped',
    tenant_id: opts.tenantId,
    occurred_at: new Date().toISOString(),
    data: {
      invoice: {
        id: 'inv_try_1',
        version: 1,
        number: 'INV-TRY-1',
        issue_date: new Date().toISOString().slice(0, 10),
        due_date: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
        currency: 'GBP',
        amounts_are: 'exclusive',
        customer: { id: 'cus_try', name: 'Try It Ltd' },
        lines: [{ description: 'Consulting', quantity: '1', unit_price: '100.00', tax_rate: '20' }],
      },
    },
  });
  // Standard Webhooks signing in a node one-liner: HMAC-SHA256 over "id.timestamp.body".
  const signer =
    "import {createHmac} from 'node:crypto'; const [url, secret, body] = process.argv.slice(1); " +
    "const id = 'msg_' + Date.now(), ts = Math.floor(Date.now() / 1000); " +
    "const sig = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(id + '.' + ts + '.' + body).digest('base64'); " +
    "const r = await fetch(url + '/webhooks/ops', {method: 'POST', headers: {'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': 'v1,' + sig}, body}); " +
    'console.log(r.status, await r.text());';
  say('The gateway keeps running (Ctrl-C stops it). Try it from another terminal:');
  say();
  say(`  TOKEN='${token}'   # valid 12 h, tenant ${opts.tenantId}`);
  say(`  curl -s -H "Authorization: Bearer $TOKEN" ${base}/documents`);
  say(`  curl -s -H "Authorization: Bearer $TOKEN" ${base}/documents/${opts.documentId}`);
  say(`  curl -s -H "Authorization: Bearer $TOKEN" ${base}/defaults`);
  say(`  curl -s -H "Authorization: Bearer $TOKEN" ${base}/connection`);
  say(`  curl -s ${url}/openapi.yaml | head`);
  say();
  say('  # send another signed webhook (a new invoice), then list the documents again:');
  say(`  node --input-type=module -e "${signer}" ${url} '${opts.opsSecret}' '${body}'`);
  say();
}

/** Resolves on the first Ctrl-C (or SIGTERM). */
export function untilInterrupted(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}
