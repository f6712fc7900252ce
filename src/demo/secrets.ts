import { randomBytes } from 'node:crypto';

/** Secrets made up for one run, in the environment's own formats (see src/config.ts). */
export interface RunSecrets {
  readonly OPS_WEBHOOK_SECRETS: string;
  readonly AUTH_JWT_SECRET: string;
  readonly TOKEN_ENCRYPTION_KEYS: string;
}

export function generateSecrets(): RunSecrets {
  return {
    OPS_WEBHOOK_SECRETS: `whsec_${randomBytes(32).toString('base64')}`,
    AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
    TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('base64url'),
  };
}
