import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { Harness } from './helpers/harness.ts';
import { shippedInvoice } from './helpers/harness.ts';
import { startGatewayProcess } from './helpers/process.ts';
import { CALLBACK, connectXero, startXeroHarness } from './helpers/xero.ts';
import { waitFor } from './helpers/wait.ts';

let h: Harness;
let sb: XeroSandbox;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ h, sb, close } = await startXeroHarness());
});
afterAll(async () => {
  await close();
});


describe('a worker killed mid-push', () => {
  it('restarted, it settles the interrupted request and leaves exactly one invoice', async () => {
    const { org, token } = await connectXero(h, sb, 'org_sigkill', 'Killed Ltd');
    await h.request('PUT', '/v1/tenants/org_sigkill/defaults', { token, body: { sales_invoice_account: '200' } });
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_sigkill', id: 'inv_sigkill' }));
    const documentId = res.body.document_id as string;

    const workerEnv = {
      XERO_CLIENT_ID: sb.clientId,
      XERO_CLIENT_SECRET: sb.clientSecret,
      XERO_REDIRECT_URI: CALLBACK,
      XERO_API_URL: sb.apiUrl,
      XERO_IDENTITY_URL: sb.identityUrl,
      XERO_LOGIN_URL: sb.loginUrl,
      PROVIDER_REQUEST_TIMEOUT_MS: '2000',
    };
    const client = new pg.Client({ connectionString: h.dbUrl });
    await client.connect();
    try {
      // Xero takes a while to answer the create; the worker is killed while it waits.
      sb.delayNext(1, 1_000, { path: /Invoices/ });
      const first = await startGatewayProcess('worker', h.dbUrl, workerEnv);
      await waitFor(async () => ((await client.query(`select 1 from push_batches where request is not null`)).rowCount ? true : undefined));
      first.child.kill('SIGKILL');
      await first.exited;
      expect((await client.query(`select status from documents where id = $1`, [documentId])).rows[0].status).toBe('pushing');

      const second = await startGatewayProcess('worker', h.dbUrl, workerEnv);
      const status = await waitFor(async () => {
        const row = await client.query(`select status from documents where id = $1`, [documentId]);
        return row.rows[0]?.status === 'synced' ? 'synced' : undefined;
      });
      expect(status).toBe('synced');
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);

      const invoices = sb.invoices(org.OrganisationID).filter((i) => (i as { InvoiceNumber: string }).InvoiceNumber === 'INV-1001');
      expect(invoices).toHaveLength(1);
      const keys = sb.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/Invoices')).map((r) => r.headers['idempotency-key']);
      expect(new Set(keys).size).toBe(1);
    } finally {
      await client.end();
    }
  }, 60_000);
});
