// Loopback HTTP server for a sandbox: listens first (so URLs are known while the app is wired),
// answers 503 until a handler is attached, and closes all connections on close().
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';

export interface SandboxServer {
  /** Origin, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** Start answering requests with `fetch` (e.g. a Hono app's `fetch`). */
  serve(fetch: Parameters<typeof getRequestListener>[0]): void;
  close(): Promise<void>;
}

export async function startSandboxServer(opts: { port?: number; host?: string } = {}): Promise<SandboxServer> {
  let listener: ReturnType<typeof getRequestListener> | undefined;
  const server = createServer((req, res) => {
    if (listener) void listener(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    serve(fetch) { listener = getRequestListener(fetch); },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
