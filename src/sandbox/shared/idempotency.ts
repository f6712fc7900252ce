// Replay store for idempotent writes (QuickBooks `requestid`, Xero `Idempotency-Key`): the first
// response for a key within a scope (realm / organisation) is replayed verbatim, for as long as the
// provider keeps keys (`windowMs` from the key's first call, on the sandbox clock); after that the
// key is forgotten and the same request is processed again as a new one, as at the provider.
export interface StoredResponse { status: number; body: string; contentType: string }

export interface IdempotencyCache {
  /** Runs `fn` once per (scope, key) within the window; concurrent and later callers get the same stored response. */
  run(scope: string, key: string, fn: () => Promise<StoredResponse>): Promise<{ response: StoredResponse; replayed: boolean }>;
  /** How long a key is kept from its first call (sandbox ms). */
  readonly windowMs: number;
  size(): number;
  reset(): void;
}

export function createIdempotencyCache(opts: { now?: () => number; windowMs?: number } = {}): IdempotencyCache {
  const now = opts.now ?? Date.now;
  const windowMs = opts.windowMs ?? Number.POSITIVE_INFINITY;
  let entries = new Map<string, { at: number; response: Promise<StoredResponse> }>();
  /** Forgets the keys the window has passed (kept in first-call order, so the oldest are first). */
  const expire = (at: number) => {
    for (const [k, entry] of entries) {
      if (at - entry.at < windowMs) break;
      entries.delete(k);
    }
  };
  return {
    windowMs,
    size: () => { expire(now()); return entries.size; },
    reset: () => { entries = new Map(); },
    async run(scope, key, fn) {
      const at = now();
      expire(at);
      const k = `${scope}\u0000${key}`;
      const existing = entries.get(k);
      if (existing) return { response: await existing.response, replayed: true };
      const p = fn();
      entries.set(k, { at, response: p });
      try {
        const response = await p;
        // Server-side failures and throttling are not remembered: a retry is processed again.
        if (response.status >= 500 || response.status === 429) entries.delete(k);
        return { response, replayed: false };
      } catch (err) {
        entries.delete(k);
        throw err;
      }
    },
  };
}
