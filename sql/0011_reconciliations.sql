-- Reconciliations: a sync run of kind 'reconciliation' compares what the provider holds for the
-- documents Ledgerport pushed with Ledgerport's own records, and keeps what it found. Nothing is
-- changed at the provider.
alter table sync_runs drop constraint sync_runs_kind_check;
alter table sync_runs add constraint sync_runs_kind_check
  check (kind in ('contact_import', 'purchase_order_import', 'push', 'contact_refresh', 'purchase_order_refresh', 'payment_refresh', 'reconciliation'));

-- What was asked for: document kind (null: every kind with a number) and issue dates (inclusive).
create table reconciliations (
  run_id     uuid primary key references sync_runs (id),
  tenant_id  text not null references tenants (id),
  kind       text check (kind in ('sales_invoice', 'supplier_bill', 'credit_note')),
  date_from  date,
  date_to    date,
  created_at timestamptz not null default now(),
  check (date_from is null or date_to is null or date_from <= date_to)
);

create table reconciliation_findings (
  id            bigint generated always as identity primary key,
  run_id        uuid not null references sync_runs (id),
  tenant_id     text not null references tenants (id),
  type          text not null check (type in ('duplicate_at_provider', 'missing_at_provider', 'total_differs', 'status_differs', 'changed_at_provider')),
  document_id   uuid references documents (id),
  kind          text not null,
  number        text,
  reference     text,
  -- The provider's records the finding is about (several for a duplicate).
  provider_ids  text[] not null default '{}',
  expected      jsonb,
  actual        jsonb,
  message       text not null,
  created_at    timestamptz not null default now()
);
create index reconciliation_findings_run on reconciliation_findings (run_id, id);
