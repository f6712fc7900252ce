// Replay store for idempotent writes (QuickBooks `requestid`, Xero `Idempotency-Key`): the first
// response for a key within a scope (realm / organisation) is replayed verbatim.
export interface StoredResponse { status: number; body: string; contentType: string }

export interface IdempotencyCache {
  /** Runs `fn` once per (scope, key); concurrent and later callers get the same stored response. */
  run(scope: string, key: string, fn: () => Promise<StoredResponse>): Promise<{ response: StoredResponse; replayed: boolean }>;
  size(): number;
  reset(): void;
}

export function createIdempotencyCache(): IdempotencyCache {
  let entries = new Map<string, Promise<StoredResponse>>();
  return {
    size: () => entries.size,
    reset: () => { entries = new Map(); },
    async run(scope, key, fn) {
      const k = `${scope}\u0000${key}`;
      const existing = entries.get(k);
      if (existing) return { response: await existing, replayed: true };
      const p = fn();
      entries.set(k, p);
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
