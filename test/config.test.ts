import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { ENCRYPTION_KEY, JWT_SECRET, OPS_SECRET } from './helpers/harness.ts';

const valid = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://localhost/ledgerport',
  OPS_WEBHOOK_SECRETS: OPS_SECRET,
  AUTH_JWT_SECRET: JWT_SECRET,
  TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY,
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('parses a valid production environment with the documented defaults', () => {
    const config = loadConfig(valid);
    expect(config.http.port).toBe(8080);
    expect(config.xero.apiUrl).toBe('https://api.xero.com');
    expect(config.quickbooks.authorizeUrl).toBe('https://appcenter.intuit.com/connect/oauth2');
    expect(config.opsWebhookSecrets).toEqual([OPS_SECRET]);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('lists every problem at once', () => {
    const found = problems({ NODE_ENV: 'production', PORT: 'eighty', OPS_WEBHOOK_SECRETS: 'not-a-secret', XERO_API_URL: 'nope', TOKEN_ENCRYPTION_KEYS: 'short' });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^OPS_WEBHOOK_SECRETS: .*whsec_/),
        expect.stringMatching(/^XERO_API_URL: must be a URL/),
        expect.stringMatching(/^TOKEN_ENCRYPTION_KEYS: /),
      ]),
    );
    expect(problems({ NODE_ENV: 'production' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^OPS_WEBHOOK_SECRETS: required/),
        expect.stringMatching(/^AUTH_JWT_SECRET or AUTH_JWKS_URL/),
        expect.stringMatching(/^TOKEN_ENCRYPTION_KEYS: required/),
        'DATABASE_URL: required in production (the embedded PostgreSQL is for development)',
      ]),
    );
    expect(problems({ ...valid, AUTH_JWKS_URL: 'https://auth.example/jwks.json' })).toEqual(['AUTH_JWT_SECRET and AUTH_JWKS_URL: set only one']);
  });

  it('outside production generates missing secrets once and keeps them in the data folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lp-config-'));
    const first = loadConfig({ LEDGERPORT_DATA_DIR: dir });
    const second = loadConfig({ LEDGERPORT_DATA_DIR: dir });
    expect(first.generatedSecretsFile).toBe(path.join(dir, 'dev-secrets.env'));
    expect(second.opsWebhookSecrets).toEqual(first.opsWebhookSecrets);
    expect(readFileSync(path.join(dir, 'dev-secrets.env'), 'utf8')).toContain(first.opsWebhookSecrets[0]);
  });

  it('stops the process with exit 1 and one message listing every problem, without a stack trace', () => {
    const result = spawnSync(process.execPath, ['src/main.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: '99999' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration:');
    expect(result.stderr).toContain('PORT: must be at most 65535');
    expect(result.stderr).toContain('OPS_WEBHOOK_SECRETS: required');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
