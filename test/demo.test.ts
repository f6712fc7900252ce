import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { has, parseMetrics, total } from './helpers/prometheus.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** `npm run demo -- --provider <p> --print-metrics` as a user runs it, on the test server (the demo makes and drops its own database). */
function runDemo(provider: 'xero' | 'quickbooks'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/demo/main.ts', '--provider', provider, '--database-url', inject('adminDatabaseUrl'), '--print-metrics'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The last row printed whose first cells are `cells` (tables are printed before and after the follow-ups), split on runs of two or more spaces. */
function row(stdout: string, ...cells: string[]): string[] | undefined {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/))
    .findLast((parts) => cells.every((cell, i) => parts[i] === cell));
}

describe.each(['xero', 'quickbooks'] as const)('npm run demo -- --provider %s', (provider) => {
  it('creates, then edits, pays, credits and voids, and ends with what the sandbox holds', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runDemo(provider);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/OK: 4 documents synced once each, then edited, paid, credited and voided; 0 duplicates/);
    // Ledgerport's view at the end: the edit is version 2 and paid; INV-1002 has the payment and the credit against it.
    expect(row(stdout, 'inv_1001')).toEqual(['inv_1001', 'sales_invoice', 'synced', '2', 'INV-1001', '854.40', '0.00', expect.any(String)]);
    expect(row(stdout, 'inv_1002')?.slice(0, 7)).toEqual(['inv_1002', 'sales_invoice', 'synced', '1', 'INV-1002', expect.any(String), '124.40']);
    expect(row(stdout, 'inv_1003')?.slice(0, 3)).toEqual(['inv_1003', 'sales_invoice', 'voided']);
    expect(row(stdout, 'pay_9001')?.slice(0, 3)).toEqual(['pay_9001', 'payment', 'synced']);
    expect(row(stdout, 'cn_2001')?.slice(0, 3)).toEqual(['cn_2001', 'credit_note', 'synced']);
    // The sandbox's view: the new total, the void, and the payment on both invoices.
    if (provider === 'xero') {
      expect(row(stdout, 'ACCREC', 'INV-1001')).toEqual(['ACCREC', 'INV-1001', 'Harbour Coffee Roasters', '854.40 GBP', '0.00', 'PAID']);
      expect(row(stdout, 'ACCREC', 'INV-1003')?.at(-1)).toBe('VOIDED');
      expect(row(stdout, 'Payment', 'PAY-9001', '854.40')).toEqual(['Payment', 'PAY-9001', '854.40', 'INV-1001', 'AUTHORISED']);
      expect(row(stdout, 'Payment', 'PAY-9001', '100.00')).toEqual(['Payment', 'PAY-9001', '100.00', 'INV-1002', 'AUTHORISED']);
    } else {
      expect(row(stdout, 'Invoice', 'INV-1001')).toEqual(['Invoice', 'INV-1001', 'Harbour Coffee Roasters', '854.40 GBP', '0.00', 'Reference SO-7701']);
      expect(row(stdout, 'Invoice', 'INV-1003')?.at(-1)).toMatch(/^Voided/);
      expect(stdout).toMatch(/Payment\s+\d+\s+954\.40\s+Invoice INV-1001 854\.40, Invoice INV-1002 100\.00/);
    }

    // --print-metrics: GET /metrics at the end agrees with what the demo did and the sandbox saw.
    const block = /^--- metrics ---\n([\s\S]*?)\n--- end of metrics ---$/m.exec(stdout);
    expect(block, 'the metrics block').not.toBeNull();
    const metrics = parseMetrics(block![1]!);
    const [, sandboxCalls, sandbox429] = /the sandbox counted (\d+) API calls, (\d+) answered 429/.exec(stdout) ?? [];
    const accepted = stdout.split('\n').filter((line) => /→ 202 /.test(line)).length;
    expect(accepted).toBe(8);
    expect(total(metrics, 'ledgerport_webhooks_received_total', { source: 'ops', outcome: 'accepted' })).toBe(accepted);
    expect(total(metrics, 'ledgerport_webhooks_received_total', { source: 'ops', outcome: 'duplicate' })).toBe(1);
    expect(total(metrics, 'ledgerport_webhooks_refused_total')).toBe(0);
    expect(total(metrics, 'ledgerport_http_requests_total', { method: 'POST', route: '/webhooks/ops' })).toBe(accepted + 1);
    expect(total(metrics, 'ledgerport_ingest_batch_size_sum')).toBe(accepted + 1);
    // Every API call the sandbox received went through Ledgerport's provider client and was
    // counted; so were the OAuth calls (token endpoint, Xero's /connections), which the sandbox
    // counts apart from its API.
    const oauthCalls = ['oauth_token', 'oauth_refresh', 'oauth_revoke', 'connections'].map((operation) => total(metrics, 'ledgerport_provider_requests_total', { provider, operation }));
    expect(oauthCalls[0], 'one token exchange while connecting').toBe(1);
    expect(total(metrics, 'ledgerport_provider_requests_total', { provider }) - oauthCalls.reduce((a, b) => a + b, 0)).toBe(Number(sandboxCalls));
    expect(total(metrics, 'ledgerport_provider_rate_limited_total', { provider })).toBe(Number(sandbox429));
    expect(total(metrics, 'ledgerport_provider_requests_total', { provider, status: '429' })).toBe(Number(sandbox429));
    // Documents by status: what the last documents table shows.
    const finalTable = stdout.slice(stdout.lastIndexOf('Documents in Ledgerport now:'));
    for (const status of ['synced', 'voided']) {
      const rows = ['inv_1001', 'inv_1002', 'inv_1003', 'bill_501', 'pay_9001', 'cn_2001'].filter((id) => row(finalTable, id)?.[2] === status).length;
      expect(total(metrics, 'ledgerport_documents', { status }), status).toBe(rows);
    }
    expect(total(metrics, 'ledgerport_documents', { status: 'synced' })).toBe(5);
    for (const status of ['received', 'held', 'queued', 'pushing', 'uncertain', 'failed']) expect(total(metrics, 'ledgerport_documents', { status }), status).toBe(0);
    // Jobs: every push ran and none failed; the queue is empty of work due.
    expect(total(metrics, 'ledgerport_jobs_total', { task: 'push_documents', outcome: 'success' })).toBeGreaterThanOrEqual(2);
    expect(total(metrics, 'ledgerport_jobs_total', { outcome: 'failed' })).toBe(0);
    expect(total(metrics, 'ledgerport_job_queue_jobs', { state: 'ready' })).toBe(0);
    expect(has(metrics, 'process_resident_memory_bytes')).toBe(true);
    expect(block![1]).not.toContain('org_demo');
  });
});
