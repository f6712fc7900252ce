-- Records flowing in (contacts, open purchase orders) and the history of every sync run.

create table sync_runs (
  id           uuid primary key default gen_random_uuid(),
  seq          bigint generated always as identity unique,
  tenant_id    text not null references tenants (id),
  kind         text not null check (kind in ('contact_import', 'purchase_order_import', 'push', 'contact_refresh', 'purchase_order_refresh')),
  trigger      text not null check (trigger in ('manual', 'schedule', 'webhook', 'automation')),
  status       text not null check (status in ('queued', 'running', 'succeeded', 'failed')),
  dry_run      boolean not null default false,
  started_at   timestamptz,
  finished_at  timestamptz,
  total        integer not null default 0,
  succeeded    integer not null default 0,
  failed       integer not null default 0,
  skipped      integer not null default 0,
  -- Where an import stopped (page, modified-since) so a re-run continues from there.
  progress     jsonb not null default '{}',
  error        text,
  summary      jsonb not null default '{}',
  created_at   timestamptz not null default now()
);
create index sync_runs_tenant on sync_runs (tenant_id, seq);

create table sync_run_items (
  id          bigint generated always as identity primary key,
  run_id      uuid not null references sync_runs (id),
  item_type   text not null,
  item_id     text not null,
  outcome     text not null check (outcome in ('succeeded', 'failed', 'skipped')),
  message     text,
  errors      jsonb,
  at          timestamptz not null default now()
);
create index sync_run_items_run on sync_run_items (run_id, id);

-- Every insert or change takes the next value, so `change_seq` orders rows by last change.
create sequence record_change_seq;

create table contacts (
  tenant_id            text not null references tenants (id),
  provider             text not null,
  provider_contact_id  text not null,
  name                 text not null,
  email                text,
  phones               jsonb not null default '[]',
  addresses            jsonb not null default '[]',
  tax_number           text,
  is_customer          boolean not null default false,
  is_supplier          boolean not null default false,
  archived             boolean not null default false,
  provider_updated_at  timestamptz,
  change_seq           bigint not null default nextval('record_change_seq'),
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  primary key (tenant_id, provider_contact_id)
);
create index contacts_tenant_change on contacts (tenant_id, change_seq);

create table purchase_orders (
  tenant_id            text not null references tenants (id),
  provider             text not null,
  provider_po_id       text not null,
  number               text,
  reference            text,
  status               text not null check (status in ('open', 'closed')),
  provider_status      text not null,
  supplier             jsonb not null,
  lines                jsonb not null,
  currency             text,
  issue_date           date,
  delivery_date        date,
  total                text,
  provider_updated_at  timestamptz,
  closed_at            timestamptz,
  change_seq           bigint not null default nextval('record_change_seq'),
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  primary key (tenant_id, provider_po_id)
);
create index purchase_orders_tenant_change on purchase_orders (tenant_id, status, change_seq);

-- Incremental imports: the provider's modification time to ask from next time.
create table import_state (
  tenant_id       text not null references tenants (id),
  kind            text not null check (kind in ('contacts', 'purchase_orders')),
  modified_since  timestamptz,
  last_run_at     timestamptz,
  primary key (tenant_id, kind)
);

-- A failed import keeps where it stopped; the next run continues from there.
alter table import_state add column resume jsonb;

-- Each push batch is a sync run of its own.
alter table push_batches add column run_id uuid references sync_runs (id);
