import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';

/**
 * Console sessions: a platform asks for a one-time link for one of its organisations (or, as
 * platform admin, for all of them); the browser that opens it first, before it expires, gets a
 * session cookie. Only hashes of the link token and of the cookie are stored, so a database
 * read gives neither away.
 */

export const LINK_TTL_MS = 5 * 60_000;
export const SESSION_TTL_MS = 8 * 60 * 60_000;

export interface ConsoleSession {
  readonly id: string;
  /** Null: a platform admin, who may open any tenant. */
  readonly tenantId: string | null;
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

const secret = () => randomBytes(32).toString('base64url');
const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Why a link cannot be opened; one message for all, so a guess learns nothing. */
export const linkRefused = () => new AppError(410, 'console_link_invalid', 'this console link has expired or was already used; ask for a new one');

export async function createConsoleLink(
  db: Database,
  opts: { tenantId: string | null; subject: string | undefined; now: Date; linkTtlMs?: number },
): Promise<{ id: string; token: string; linkExpiresAt: Date }> {
  const token = secret();
  const linkExpiresAt = new Date(opts.now.getTime() + (opts.linkTtlMs ?? LINK_TTL_MS));
  return db.transaction().execute(async (tx) => {
    if (opts.tenantId !== null) {
      await tx.insertInto('tenants').values({ id: opts.tenantId }).onConflict((oc) => oc.column('id').doNothing()).execute();
    }
    const row = await tx
      .insertInto('console_sessions')
      .values({
        tenant_id: opts.tenantId,
        subject: opts.subject ?? null,
        link_hash: hash(token),
        link_expires_at: linkExpiresAt,
        expires_at: new Date(opts.now.getTime() + SESSION_TTL_MS),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, token, linkExpiresAt };
  });
}

/** Opens a link once: the single UPDATE that claims it is what makes a second use fail. */
export async function openConsoleLink(db: Database, token: string, now: Date): Promise<{ cookie: string; session: ConsoleSession }> {
  if (token.length === 0 || token.length > 100) throw linkRefused();
  const cookie = secret();
  const row = await db
    .updateTable('console_sessions')
    .set({ opened_at: now, session_hash: hash(cookie), csrf_token: secret(), expires_at: sql<Date>`least(expires_at, ${new Date(now.getTime() + SESSION_TTL_MS)}::timestamptz)` })
    .where('link_hash', '=', hash(token))
    .where('opened_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('link_expires_at', '>', now)
    .returning(['id', 'tenant_id', 'csrf_token', 'expires_at'])
    .executeTakeFirst();
  if (!row) throw linkRefused();
  return { cookie, session: { id: row.id, tenantId: row.tenant_id, csrfToken: row.csrf_token!, expiresAt: row.expires_at } };
}

/** The session a cookie names, if it is open, not expired and not revoked. */
export async function sessionFromCookie(db: Database, cookie: string | undefined, now: Date): Promise<ConsoleSession | null> {
  if (!cookie || cookie.length > 100) return null;
  const row = await db
    .selectFrom('console_sessions')
    .select(['id', 'tenant_id', 'csrf_token', 'expires_at'])
    .where('session_hash', '=', hash(cookie))
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ? { id: row.id, tenantId: row.tenant_id, csrfToken: row.csrf_token!, expiresAt: row.expires_at } : null;
}

/** Revokes a session (or a link not yet opened); false when the tenant has no such session. */
export async function revokeConsoleSession(db: Database, opts: { id: string; tenantId: string | null; now: Date }): Promise<boolean> {
  let query = db.updateTable('console_sessions').set({ revoked_at: opts.now }).where('id', '=', opts.id).where('revoked_at', 'is', null);
  query = opts.tenantId === null ? query.where('tenant_id', 'is', null) : query.where('tenant_id', '=', opts.tenantId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: ConsoleSession, submitted: string | undefined): boolean {
  if (!submitted) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
