// xero-node (the official SDK) must work against the sandbox unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import { custom, Issuer } from 'openid-client';
import { Invoice, LineAmountTypes, XeroClient } from 'xero-node';
import type { Contact, Invoices } from 'xero-node';
import { startXeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { REDIRECT } from '../../src/sandbox/xero/testing.ts';

const open: XeroSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

describe('xero sandbox: xero-node compatibility', () => {
  it('creates and reads invoices through AccountingApi with zero contract violations', async () => {
    const sb = await startXeroSandbox();
    open.push(sb);
    const org = sb.addOrganisation({ name: 'SDK Org', region: 'AU' });
    const tokens = await sb.grantTokens();

    const xero = new XeroClient();
    xero.accountingApi.basePath = `${sb.apiUrl}/api.xro/2.0`;
    xero.setTokenSet({ ...tokens });
    const tenant = org.OrganisationID;

    const contacts = await xero.accountingApi.createContacts(tenant, { contacts: [{ name: 'SDK Customer', emailAddress: 'sdk@example.com' } as Contact] });
    const contactID = contacts.body.contacts?.[0]?.contactID;
    expect(contactID).toMatch(/^[0-9a-f-]{36}$/);

    const invoices: Invoices = {
      invoices: [
        {
          type: Invoice.TypeEnum.ACCREC,
          contact: { contactID },
          date: '2024-05-01',
          dueDate: '2024-05-31',
          reference: 'sdk-ref-1',
          lineAmountTypes: LineAmountTypes.Exclusive,
          status: Invoice.StatusEnum.AUTHORISED,
          lineItems: [{ description: 'Widget', quantity: 4, unitAmount: 12.345, accountCode: '200', taxType: 'OUTPUT' }],
        },
        {
          type: Invoice.TypeEnum.ACCPAY,
          contact: { name: 'SDK Supplier' },
          invoiceNumber: 'SUPP-77',
          date: '2024-05-02',
          dueDate: '2024-06-01',
          lineAmountTypes: LineAmountTypes.Inclusive,
          status: Invoice.StatusEnum.DRAFT,
          lineItems: [{ description: 'Paper', quantity: 1, unitAmount: 110, accountCode: '429', taxType: 'INPUT' }],
        },
      ],
    };
    const created = await xero.accountingApi.createInvoices(tenant, invoices, true, 4, 'sdk-idem-1');
    expect(created.response.status).toBe(200);
    const [sale, bill] = created.body.invoices ?? [];
    // 4 × 12.345 = 49.38, GST 10% = 4.94
    expect(sale).toMatchObject({ subTotal: 49.38, totalTax: 4.94, total: 54.32, invoiceNumber: 'INV-0001', reference: 'sdk-ref-1' });
    expect(sale?.updatedDateUTC).toBeInstanceOf(Date);
    expect(bill).toMatchObject({ subTotal: 100, totalTax: 10, total: 110 });

    const replay = await xero.accountingApi.createInvoices(tenant, invoices, true, 4, 'sdk-idem-1');
    expect(replay.body.invoices?.[0]?.invoiceID).toBe(sale?.invoiceID);
    expect(sb.invoices(tenant)).toHaveLength(2);

    const fetched = await xero.accountingApi.getInvoices(tenant, undefined, 'Reference=="sdk-ref-1"');
    expect(fetched.body.invoices?.map((i) => i.invoiceID)).toEqual([sale?.invoiceID]);
    const accounts = await xero.accountingApi.getAccounts(tenant, undefined, 'Status=="ACTIVE"');
    expect(accounts.body.accounts?.length).toBeGreaterThan(5);
    const rates = await xero.accountingApi.getTaxRates(tenant);
    expect(rates.body.taxRates?.find((t) => t.taxType === 'OUTPUT')?.effectiveRate).toBe(10);

    const failed = await xero.accountingApi.createInvoices(tenant, {
      invoices: [{ type: Invoice.TypeEnum.ACCREC, contact: { contactID }, lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: 'nope' }] }],
    }).catch((e: unknown) => e);
    const parsed = JSON.parse(String(failed)) as { response: { statusCode: number; body: { Elements: { ValidationErrors: { Message: string }[] }[] } } };
    expect(parsed.response.statusCode).toBe(400);
    expect(parsed.response.body.Elements[0]?.ValidationErrors[0]?.Message).toBe("Account code 'nope' is not a valid code for this document.");

    expect(sb.contractViolations).toEqual([]);
  });

  it('completes consent, callback and refresh with openid-client pointed at the sandbox', async () => {
    // openid-client gives up after 3.5 s by default; a loaded CI machine can be slower than that.
    custom.setHttpOptionsDefaults({ timeout: 15_000 });
    const sb = await startXeroSandbox();
    open.push(sb);
    sb.addOrganisation({ name: 'OIDC Org', region: 'NZ' });
    const xero = new XeroClient({
      clientId: sb.clientId, clientSecret: sb.clientSecret, redirectUris: [REDIRECT], state: 'abc',
      scopes: ['openid', 'profile', 'email', 'offline_access', 'accounting.transactions'],
    });
    const issuer = await Issuer.discover(sb.identityUrl);
    xero.openIdClient = new issuer.Client({ client_id: sb.clientId, client_secret: sb.clientSecret, redirect_uris: [REDIRECT] });

    const consentUrl = await xero.buildConsentUrl();
    expect(consentUrl.startsWith(`${sb.loginUrl}/identity/connect/authorize?`)).toBe(true);
    const location = (await fetch(consentUrl, { redirect: 'manual' })).headers.get('location') ?? '';
    const tokenSet = await xero.apiCallback(location);
    expect(tokenSet.claims().email).toBe('sandbox.user@example.com');
    expect(tokenSet.expires_in).toBe(1800);

    const refreshed = await xero.refreshToken();
    expect(refreshed.refresh_token).not.toBe(tokenSet.refresh_token);
    xero.accountingApi.basePath = `${sb.apiUrl}/api.xro/2.0`;
    const tenantId = sb.organisations()[0]?.OrganisationID ?? '';
    const orgs = await xero.accountingApi.getOrganisations(tenantId);
    expect(orgs.body.organisations?.[0]?.name).toBe('OIDC Org');
    expect(sb.tokenRequests.map((t) => t.grant_type)).toEqual(['authorization_code', 'refresh_token']);
  });
});
