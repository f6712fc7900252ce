-- Provider connections, contact links, cached provider reference data and push batches.

alter table connections
  add column provider_connection_id   text,
  -- Several organisations reached by one consent: the connection waits for the tenant to pick one.
  add column pending_organisations    jsonb,
  add column refresh_token_expires_at timestamptz,
  -- Bumped on every stored refresh, so a process can tell that another one refreshed first.
  add column token_version            integer not null default 0,
  add column disconnected_at          timestamptz;

-- How a platform contact (customer or supplier) maps to a provider contact, and how it was found.
create table contact_links (
  tenant_id            text not null references tenants (id),
  provider             text not null,
  platform_contact_id  text not null,
  provider_contact_id  text not null,
  matched_by           text not null check (matched_by in ('contact_number', 'email', 'name', 'created')),
  created_at           timestamptz not null default now(),
  primary key (tenant_id, provider, platform_contact_id)
);

-- The organisation's tax rates and accounts as last read from the provider.
create table provider_catalog (
  tenant_id   text not null references tenants (id),
  kind        text not null check (kind in ('tax_rates', 'accounts', 'organisation')),
  data        jsonb not null,
  fetched_at  timestamptz not null default now(),
  primary key (tenant_id, kind)
);

-- One provider create request: replayed with the same idempotency key when its outcome is unknown.
create table push_batches (
  id               uuid primary key default gen_random_uuid(),
  tenant_id        text not null references tenants (id),
  provider         text not null,
  idempotency_key  text not null unique,
  document_ids     uuid[] not null,
  request          jsonb,
  status           text not null check (status in ('sending', 'uncertain', 'done')),
  attempts         integer not null default 0,
  last_error       text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);

create index push_batches_open on push_batches (tenant_id) where status <> 'done';

alter table documents add column push_batch_id uuid references push_batches (id);
alter table sync_attempts add column push_batch_id uuid references push_batches (id);
create index documents_tenant_queued on documents (tenant_id, seq) where status = 'queued';

-- Idempotency-Key for the REST actions (retry): the same key replays the first answer.
create table api_idempotency_keys (
  tenant_id     text not null,
  key           text not null,
  operation     text not null,
  status        integer not null,
  body          jsonb not null,
  created_at    timestamptz not null default now(),
  primary key (tenant_id, key)
);
