-- After the first sync: updates, voids, credit notes, payments and refunds (issue 9).
--
-- A document's next push is derived from its state when it is claimed: no provider record yet
-- → create; a newer version than the provider holds → update; voided by the platform → void.
-- So nothing here stores a pending operation that could go stale.

alter table documents drop constraint documents_kind_check;
alter table documents add constraint documents_kind_check
  check (kind in ('sales_invoice', 'supplier_bill', 'credit_note', 'payment', 'refund'));
alter table documents drop constraint documents_status_check;
alter table documents add constraint documents_status_check
  check (status in ('received', 'held', 'queued', 'pushing', 'synced', 'uncertain', 'failed', 'voided'));

alter table documents
  -- The version the provider holds, and its snapshot: an update says what changed since.
  add column synced_version  integer,
  add column synced_source   jsonb,
  -- Provider ids a later update needs (one Xero payment per allocation, a credit application).
  add column provider_refs   jsonb,
  add column provider_status text,
  -- As the provider last reported them (decimal strings).
  add column amount_paid     text,
  add column amount_due      text,
  -- Held until these documents ("sales_invoice:inv_1") are at the provider; released when one syncs.
  add column waits_for       text[];

create index documents_waiting on documents (tenant_id) where waits_for is not null;

update documents set synced_version = source_version, synced_source = source where status = 'synced';

-- What each document of a batch was claimed as: the version and snapshot sent and the operation.
-- Outcomes are applied against these, never against the document's current (maybe newer) state.
alter table push_batches add column documents jsonb;

-- Payments as the provider holds them, Ledgerport's own and those made at the provider, with
-- every allocation; the change feed says what each refresh applied and un-applied.
create table provider_payments (
  seq                  bigint generated always as identity unique,
  tenant_id            text not null references tenants (id),
  provider             text not null,
  provider_payment_id  text not null,
  -- 'ledgerport': made by a pushed payment, credit note or refund document; 'provider': made there.
  origin               text not null check (origin in ('ledgerport', 'provider')),
  document_id          uuid references documents (id),
  date                 text,
  amount               text not null,
  currency             text,
  reference            text,
  unapplied            text not null default '0',
  allocations          jsonb not null,
  status               text not null check (status in ('active', 'deleted')),
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  primary key (tenant_id, provider_payment_id)
);

create index provider_payments_tenant_seq on provider_payments (tenant_id, seq);

-- Invoices to read again at the provider (its webhook said they changed, or a payment was
-- pushed): gathered here so one call reads many, however many webhooks arrive.
create table invoice_refreshes (
  tenant_id            text not null references tenants (id),
  provider_invoice_id  text not null,
  requested_at         timestamptz not null default now(),
  primary key (tenant_id, provider_invoice_id)
);

-- Reading invoices' payments back is a sync run of its own.
alter table sync_runs drop constraint sync_runs_kind_check;
alter table sync_runs add constraint sync_runs_kind_check
  check (kind in ('contact_import', 'purchase_order_import', 'push', 'contact_refresh', 'purchase_order_refresh', 'payment_refresh'));
