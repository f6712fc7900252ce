import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/** `npm run demo -- --provider <p>` as a user runs it, on the test server (the demo makes and drops its own database). */
function runDemo(provider: 'xero' | 'quickbooks'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/demo/main.ts', '--provider', provider, '--database-url', inject('adminDatabaseUrl')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
  });
});
