/**
 * One phase's load: `rate` webhooks a second in total, round-robin over `orgs` Xero
 * organisations, each organisation a tenant of its own (so each has its own minute budget).
 */
export interface LoadSpec {
  readonly rate: number;
  readonly orgs: number;
  /** As written in --rates: "10" (one organisation) or "10x50". */
  readonly text: string;
}

/** Enough organisations for a platform's spread; each costs an OAuth flow and a warm-up. */
const MAX_ORGS = 500;

/** "RATE" (one organisation) or "RATExORGS". */
export function parseLoadSpec(text: string): LoadSpec {
  const parts = text.trim().split('x');
  const rate = Number(parts[0]);
  if (parts.length > 2 || !(rate > 0 && rate <= 200)) throw new Error(`--rates entries are RATE or RATExORGS with RATE between 0 and 200 (got "${text}")`);
  if (parts.length === 1) return { rate, orgs: 1, text: text.trim() };
  const orgs = parts[1] ?? '';
  if (!/^\d+$/.test(orgs) || Number(orgs) < 1 || Number(orgs) > MAX_ORGS) throw new Error(`--rates: ORGS in RATExORGS must be a whole number from 1 to ${MAX_ORGS} (got "${text}")`);
  return { rate, orgs: Number(orgs), text: `${parts[0]}x${orgs}` };
}

/** The phase's tenants: "org_latency_10" for one organisation (as before), "org_latency_10x50_<k>" for a spread. */
export function loadTenants(load: LoadSpec): string[] {
  const rate = String(load.rate).replace('.', '_');
  if (!load.text.includes('x')) return [`org_latency_${rate}`];
  return Array.from({ length: load.orgs }, (_, k) => `org_latency_${rate}x${load.orgs}_${k}`);
}

/** Each organisation's share of the rate, e.g. 0.2 for 10x50. */
export const ratePerOrg = (load: LoadSpec) => load.rate / load.orgs;

/** The share as printed: three significant digits at most (10x3: 3.33). */
export const ratePerOrgText = (load: LoadSpec) => String(load.orgs === 1 ? load.rate : Number(ratePerOrg(load).toPrecision(3)));

/** "10/s" or "10/s over 50 organisations". */
export const loadLabel = (load: LoadSpec) => (load.orgs === 1 ? `${load.rate}/s` : `${load.rate}/s over ${load.orgs} organisations`);
