// Plain-HTTP helpers for tests that drive the QuickBooks sandbox (no Ledgerport code).
import type { QuickBooksSandbox } from './index.ts';

export const REDIRECT = 'http://127.0.0.1:9/callback';

export async function authorize(sb: QuickBooksSandbox, params: Record<string, string> = {}): Promise<URL> {
  const u = new URL(sb.authorizeUrl);
  u.search = new URLSearchParams({
    client_id: sb.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'com.intuit.quickbooks.accounting', state: 'st-1', ...params,
  }).toString();
  const res = await fetch(u, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`authorize: ${res.status} ${await res.text()}`);
  return new URL(res.headers.get('location') ?? '');
}

export async function token(sb: QuickBooksSandbox, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sb.oauthUrl}/oauth2/v1/tokens/bearer`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded', accept: 'application/json',
      authorization: `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface ApiResult { status: number; headers: Headers; body: any }

/** `api('POST', '/invoice', body, { requestid: 'x' })` → `${apiUrl}/v3/company/${realmId}/invoice?minorversion=75&requestid=x`. */
export function client(sb: QuickBooksSandbox, accessToken: string, realmId: string) {
  return async (method: string, path: string, body?: unknown, query: Record<string, string> = {}): Promise<ApiResult> => {
    const u = new URL(`${sb.apiUrl}/v3/company/${realmId}${path}`);
    u.searchParams.set('minorversion', '75');
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    const res = await fetch(u, {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`, accept: 'application/json',
        ...(body !== undefined ? { 'content-type': typeof body === 'string' ? 'application/text' : 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

/** `GET /query?query=...` returning the parsed body. */
export function query(api: ReturnType<typeof client>, q: string): Promise<ApiResult> {
  return api('GET', '/query', undefined, { query: q });
}

export function invoice(customerId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    CustomerRef: { value: customerId },
    TxnDate: '2026-03-01',
    Line: [{ Amount: 200, DetailType: 'SalesItemLineDetail', Description: 'Consulting',
      SalesItemLineDetail: { ItemRef: { value: '1' }, UnitPrice: 100, Qty: 2 } }],
    ...overrides,
  };
}

export function bill(vendorId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    VendorRef: { value: vendorId },
    TxnDate: '2026-03-01',
    Line: [{ Amount: 50, DetailType: 'AccountBasedExpenseLineDetail', Description: 'Paper',
      AccountBasedExpenseLineDetail: { AccountRef: { value: '78' } } }],
    ...overrides,
  };
}
