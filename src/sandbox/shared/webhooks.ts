// Webhook delivery plumbing shared by the sandboxes: HMAC-SHA256 signing and one timed POST.
// Payload shapes, signature header names and tamper rules are the provider's.
import { createHmac } from 'node:crypto';

export interface WebhookDelivery {
  /** HTTP status of the receiver's answer; 0 when it did not answer in time or the connection failed. */
  status: number;
  /** Response body text ('' when none). */
  body: string;
  /** Real milliseconds until the response had been read. */
  ms: number;
  /** The exact bytes sent (as UTF-8 text) and the signature header sent with them. */
  payload: string;
  signature: string;
  timedOut: boolean;
  /** Set-Cookie header of the answer, if any (only reported when asked for). */
  setCookie?: string;
  error?: string;
}

/** base64(HMAC-SHA256(raw body, key)), as both Intuit and Xero sign deliveries. */
export function hmacSign(body: Buffer | string, key: string): string {
  return createHmac('sha256', key).update(body).digest('base64');
}

export interface DeliverOptions {
  /** Headers besides content-type (the signature header among them). */
  headers: Record<string, string>;
  timeoutMs: number;
  /** Report the answer's Set-Cookie header. */
  reportCookie?: boolean;
}

export async function deliverWebhook(targetUrl: string, body: Buffer, signature: string, o: DeliverOptions): Promise<WebhookDelivery> {
  const started = performance.now();
  const base = { payload: body.toString('utf8'), signature };
  try {
    const res = await fetch(targetUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...o.headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const text = await res.text();
    const cookie = o.reportCookie ? res.headers.get('set-cookie') : null;
    return { ...base, status: res.status, body: text, ms: performance.now() - started, timedOut: false, ...(cookie ? { setCookie: cookie } : {}) };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { ...base, status: 0, body: '', ms: performance.now() - started, timedOut, error: String(err instanceof Error ? err.message : err) };
  }
}
