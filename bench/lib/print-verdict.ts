import { formatTable } from './table.ts';

export interface VerdictCheck {
  readonly target: string;
  readonly measured: string;
  readonly ok: boolean;
}

/**
 * A bench's closing lines, after its own table of targets: the integrity table and one verdict
 * line. Integrity failing is worse than a missed target, so it is named first.
 */
export function printVerdict(out: (line?: string) => void, checks: readonly VerdictCheck[], integrity: readonly VerdictCheck[]): { integrityOk: boolean; targetsMet: boolean } {
  out();
  out(formatTable(['integrity', 'measured', 'verdict'], integrity.map((c) => [c.target, c.measured, c.ok ? 'OK' : 'FAILED'])));
  const targetsMet = checks.every((c) => c.ok);
  const integrityOk = integrity.every((c) => c.ok);
  out();
  out(`verdict: ${integrityOk ? (targetsMet ? 'all targets met' : `targets missed: ${checks.filter((c) => !c.ok).map((c) => c.target).join('; ')}`) : 'INTEGRITY FAILED'}`);
  return { integrityOk, targetsMet };
}
