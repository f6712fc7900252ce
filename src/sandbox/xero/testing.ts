// Plain-HTTP helpers for tests that drive the Xero sandbox (no Ledgerport code).
import { createHash, randomBytes } from 'node:crypto';
import type { XeroSandbox } from './index.ts';

export const REDIRECT = 'http://127.0.0.1:9/callback';

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function authorize(sb: XeroSandbox, params: Record<string, string>): Promise<URL> {
  const u = new URL(`${sb.loginUrl}/identity/connect/authorize`);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: sb.clientId, redirect_uri: REDIRECT,
    scope: 'openid profile email offline_access accounting.transactions accounting.contacts', state: 'st-1', ...params,
  }).toString();
  const res = await fetch(u, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`authorize: ${res.status} ${await res.text()}`);
  return new URL(res.headers.get('location') ?? '');
}

export async function token(sb: XeroSandbox, form: Record<string, string>, basic = true): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}`;
  const res = await fetch(`${sb.identityUrl}/connect/token`, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface ApiResult { status: number; headers: Headers; body: any }

export function client(sb: XeroSandbox, accessToken: string, tenantId: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> => {
    const res = await fetch(`${sb.apiUrl}/api.xro/2.0${path}`, {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        'xero-tenant-id': tenantId,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

export function invoice(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'ACCREC',
    Contact: { Name: 'Acme Ltd' },
    Date: '2024-03-01',
    DueDate: '2024-03-31',
    Status: 'AUTHORISED',
    LineAmountTypes: 'Exclusive',
    LineItems: [{ Description: 'Consulting', Quantity: 2, UnitAmount: 100, AccountCode: '200', TaxType: 'OUTPUT2' }],
    ...overrides,
  };
}
