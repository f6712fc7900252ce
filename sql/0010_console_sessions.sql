-- Console sessions: a one-time link (its token stored only as a SHA-256 hash) that, opened once
-- before it expires, becomes a browser session (the cookie's secret also stored as a hash) with
-- its own CSRF token. tenant_id is null for a platform admin's session (any tenant, tenant list).
create table console_sessions (
  id               uuid primary key default gen_random_uuid(),
  tenant_id        text references tenants (id),
  subject          text,
  link_hash        text not null unique,
  link_expires_at  timestamptz not null,
  opened_at        timestamptz,
  session_hash     text unique,
  csrf_token       text,
  expires_at       timestamptz not null,
  revoked_at       timestamptz,
  created_at       timestamptz not null default now()
);
create index console_sessions_tenant on console_sessions (tenant_id, created_at desc);
