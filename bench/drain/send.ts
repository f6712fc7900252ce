import type { GatewayClient } from '../../src/demo/client.ts';
import { bump } from '../lib/stats.ts';

export interface SendResult {
  readonly accepted: number;
  readonly statuses: Map<string, number>;
  readonly seconds: number;
}

/** Sends `count` webhooks from `eventOf`, `concurrency` at a time, each signed as it goes out. */
export async function sendAll(client: GatewayClient, count: number, concurrency: number, eventOf: (n: number) => unknown, idOf: (n: number) => string = (n) => `msg_drain_${n}`): Promise<SendResult> {
  const statuses = new Map<string, number>();
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const n = next++;
      try {
        const res = await client.sendWebhook(eventOf(n), idOf(n));
        bump(statuses, String(res.status));
        if (res.status === 202) accepted++;
      } catch (error) {
        bump(statuses, (error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { accepted, statuses, seconds: (performance.now() - started) / 1000 };
}
