-- The change feed: every state change the platform cares about, in one ordered feed per tenant,
-- readable over the API (GET /v1/tenants/{tenant_id}/events) and delivered as outbound webhooks.

-- One row per tenant: the last sequence number handed out. appendEvent increments it inside the
-- caller's transaction, so the row stays locked until that transaction ends: a tenant's events
-- get their numbers in commit order, without gaps (a rollback gives its numbers back).
create table feed_counters (
  tenant_id  text primary key references tenants (id),
  last_seq   bigint not null check (last_seq > 0)
);

create table outbound_events (
  id                   uuid primary key default gen_random_uuid(),
  tenant_id            text not null references tenants (id),
  seq                  bigint not null check (seq > 0),
  type                 text not null,
  data                 jsonb not null,
  created_at           timestamptz not null default now(),
  -- Outbound webhook delivery, strictly in seq order per tenant.
  delivered_at         timestamptz,
  delivery_attempts    integer not null default 0,
  last_delivery_error  text,
  -- After a failed attempt: not before this time (exponential backoff with jitter).
  next_attempt_at      timestamptz,
  unique (tenant_id, seq)
);

-- The deliverer's "next undelivered event of this tenant".
create index outbound_events_undelivered on outbound_events (tenant_id, seq) where delivered_at is null;
