-- Ledgerport foundation: tenants, connections, posting defaults, inbound events, documents and
-- their history. graphile-worker installs its own schema (graphile_worker) beside this one.

create table tenants (
  id          text primary key check (length(id) between 1 and 200),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

create table connections (
  tenant_id               text primary key references tenants (id),
  provider                text not null check (provider in ('xero', 'quickbooks')),
  status                  text not null check (status in ('pending', 'connected', 'needs_reauth', 'disconnected')),
  status_reason           text,
  provider_org_id         text,
  provider_org_name       text,
  -- JWE (compact) of the provider token set; never leaves the process in clear.
  token_set               text,
  access_token_expires_at timestamptz,
  connected_at            timestamptz,
  created_at              timestamptz not null default now(),
  updated_at              timestamptz not null default now()
);

create table posting_defaults (
  tenant_id   text not null references tenants (id),
  version     integer not null check (version > 0),
  settings    jsonb not null,
  created_at  timestamptz not null default now(),
  primary key (tenant_id, version)
);

create table inbound_events (
  id              bigint generated always as identity primary key,
  source          text not null check (source in ('ops', 'xero', 'quickbooks')),
  delivery_id     text not null,
  -- No foreign key: an ignored event may name a tenant we have never seen.
  tenant_id       text,
  event_type      text not null,
  outcome         text not null check (outcome in ('accepted', 'ignored')),
  outcome_reason  text,
  document_id     uuid,
  payload         jsonb not null,
  received_at     timestamptz not null default now(),
  unique (source, delivery_id)
);

create table documents (
  id                 uuid primary key default gen_random_uuid(),
  -- Stable, strictly increasing order for cursor pagination.
  seq                bigint generated always as identity unique,
  tenant_id          text not null references tenants (id),
  kind               text not null check (kind in ('sales_invoice', 'supplier_bill')),
  source_id          text not null,
  source_version     integer not null,
  source_event_type  text not null,
  source             jsonb not null,
  status             text not null check (status in ('received', 'held', 'queued', 'pushing', 'synced', 'uncertain', 'failed')),
  status_reason      text,
  defaults_version   integer,
  defaults_snapshot  jsonb,
  provider_id        text,
  provider_number    text,
  last_error         jsonb,
  bill_status        text check (bill_status in ('not_billed', 'partly_billed', 'billed')),
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  unique (tenant_id, kind, source_id)
);

create index documents_tenant_status_seq on documents (tenant_id, status, seq);
create index documents_tenant_kind_seq on documents (tenant_id, kind, seq);

-- Every change of a document: status transitions and new source versions.
create table document_events (
  id                bigint generated always as identity primary key,
  document_id       uuid not null references documents (id),
  at                timestamptz not null default now(),
  from_status       text,
  to_status         text not null,
  reason            text,
  source_version    integer,
  inbound_event_id  bigint references inbound_events (id)
);

create index document_events_document on document_events (document_id, id);

create table sync_attempts (
  id                   bigint generated always as identity primary key,
  document_id          uuid not null references documents (id),
  source_version       integer not null,
  started_at           timestamptz not null default now(),
  finished_at          timestamptz,
  outcome              text check (outcome in ('synced', 'failed', 'uncertain', 'deferred')),
  provider_request_id  text,
  provider_errors      jsonb
);

create index sync_attempts_document on sync_attempts (document_id, id);
