import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../src/security/standard-webhooks.ts';
import { OPS_SECRET, testEnv } from './harness.ts';

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

/** Runs `node src/main.ts <role>` as a real process on the given database. */
export async function startGatewayProcess(role: 'all' | 'web' | 'worker', databaseUrl: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['src/main.ts', role], {
    env: { PATH: process.env.PATH ?? '', ...testEnv(databaseUrl, { PORT: '0', HOST: '127.0.0.1', ...env }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('"ledgerport listening"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line).url);
        }
        if (role === 'worker' && line.includes('Worker connected')) {
          clearTimeout(timer);
          resolve('');
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then((code) => reject(new Error(`gateway exited with ${code}:\n${output.join('')}`)));
  });
  return { child, url, output, exited };
}

export async function postSigned(url: string, event: unknown, id = `msg_${randomUUID()}`): Promise<Response> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(`${url}/webhooks/ops`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(OPS_SECRET, id, timestamp, body),
    },
    body,
  });
}
