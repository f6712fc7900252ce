import type { ColumnType, Generated, Selectable, Updateable } from 'kysely';
import type { RecordTables } from './schema-records.ts';

/** Table types for Kysely. pg returns bigint as string, which keeps cursors exact. */

type Json<T = unknown> = ColumnType<T, string | T, string | T>;

export type DocumentKind = 'sales_invoice' | 'supplier_bill' | 'credit_note' | 'payment' | 'refund';
export type DocumentStatus = 'received' | 'held' | 'queued' | 'pushing' | 'synced' | 'uncertain' | 'failed' | 'voided';
export type BillStatus = 'not_billed' | 'partly_billed' | 'billed';
export type ProviderName = 'xero' | 'quickbooks';
export type ConnectionStatus = 'pending' | 'connected' | 'needs_reauth' | 'disconnected';

export interface TenantsTable {
  id: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ConnectionsTable {
  tenant_id: string;
  provider: ProviderName;
  status: ConnectionStatus;
  status_reason: string | null;
  provider_org_id: string | null;
  provider_org_name: string | null;
  token_set: string | null;
  access_token_expires_at: Date | null;
  connected_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  provider_connection_id: string | null;
  pending_organisations: Json<{ id: string; name: string; connectionId?: string }[]> | null;
  refresh_token_expires_at: Date | null;
  token_version: Generated<number>;
  disconnected_at: Date | null;
}

export interface ContactLinksTable {
  tenant_id: string;
  provider: ProviderName;
  platform_contact_id: string;
  provider_contact_id: string;
  matched_by: 'contact_number' | 'email' | 'name' | 'created';
  created_at: Generated<Date>;
}

export interface ProviderCatalogTable {
  tenant_id: string;
  kind: 'tax_rates' | 'accounts' | 'organisation';
  data: Json;
  fetched_at: Generated<Date>;
}

export interface PushBatchesTable {
  id: Generated<string>;
  tenant_id: string;
  provider: ProviderName;
  idempotency_key: string;
  document_ids: string[];
  request: Json | null;
  status: 'sending' | 'uncertain' | 'done';
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  run_id: string | null;
  /** What each document was claimed as (sql/0008). */
  documents: Json<ClaimedDocument[]> | null;
}

export interface ClaimedDocument {
  id: string;
  version: number;
  operation: 'create' | 'update' | 'void';
  source: Record<string, unknown>;
}

export interface PaymentAllocation {
  provider_invoice_id: string;
  /** The invoice document it is applied to, when Ledgerport pushed that invoice. */
  document_id: string | null;
  invoice_id: string | null;
  amount: string;
}

export interface ProviderPaymentsTable {
  seq: Generated<string>;
  tenant_id: string;
  provider: ProviderName;
  provider_payment_id: string;
  origin: 'ledgerport' | 'provider';
  document_id: string | null;
  date: string | null;
  amount: string;
  currency: string | null;
  reference: string | null;
  unapplied: Generated<string>;
  allocations: Json<PaymentAllocation[]>;
  status: 'active' | 'deleted';
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface InvoiceRefreshesTable {
  tenant_id: string;
  provider_invoice_id: string;
  requested_at: Generated<Date>;
}

export interface PostingDefaultsTable {
  tenant_id: string;
  version: number;
  settings: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface InboundEventsTable {
  id: Generated<string>;
  source: 'ops' | 'xero' | 'quickbooks';
  delivery_id: string;
  tenant_id: string | null;
  event_type: string;
  outcome: 'accepted' | 'ignored';
  outcome_reason: string | null;
  document_id: string | null;
  payload: Json;
  received_at: Generated<Date>;
}

export interface DocumentsTable {
  id: Generated<string>;
  seq: Generated<string>;
  tenant_id: string;
  kind: DocumentKind;
  source_id: string;
  source_version: number;
  source_event_type: string;
  source: Json<Record<string, unknown>>;
  status: DocumentStatus;
  status_reason: string | null;
  defaults_version: number | null;
  defaults_snapshot: Json<Record<string, unknown>> | null;
  provider_id: string | null;
  provider_number: string | null;
  last_error: Json | null;
  bill_status: BillStatus | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  push_batch_id: string | null;
  /** The source version the provider holds (null until first synced). */
  synced_version: number | null;
  synced_source: Json<Record<string, unknown>> | null;
  provider_refs: Json<Record<string, unknown>> | null;
  provider_status: string | null;
  amount_paid: string | null;
  amount_due: string | null;
  waits_for: string[] | null;
}

export interface DocumentEventsTable {
  id: Generated<string>;
  document_id: string;
  at: Generated<Date>;
  from_status: DocumentStatus | null;
  to_status: DocumentStatus;
  reason: string | null;
  source_version: number | null;
  inbound_event_id: string | null;
}

export interface SyncAttemptsTable {
  id: Generated<string>;
  document_id: string;
  source_version: number;
  started_at: Generated<Date>;
  finished_at: Date | null;
  outcome: 'synced' | 'failed' | 'uncertain' | 'deferred' | null;
  provider_request_id: string | null;
  provider_errors: Json | null;
  push_batch_id: string | null;
}

export interface ApiIdempotencyKeysTable {
  tenant_id: string;
  key: string;
  operation: string;
  status: number;
  body: Json;
  created_at: Generated<Date>;
}

// --- change feed (sql/0006_change_feed.sql)
export interface FeedCountersTable {
  tenant_id: string;
  last_seq: string;
}

export interface OutboundEventsTable {
  id: Generated<string>;
  tenant_id: string;
  seq: string;
  type: string;
  data: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  delivered_at: Date | null;
  delivery_attempts: Generated<number>;
  last_delivery_error: string | null;
  next_attempt_at: Date | null;
}
// --- end change feed

/** One console link and, once opened, the browser session it became (sql/0010). */
export interface ConsoleSessionsTable {
  id: Generated<string>;
  /** Null for a platform admin's session. */
  tenant_id: string | null;
  subject: string | null;
  link_hash: string;
  link_expires_at: Date;
  opened_at: Date | null;
  session_hash: string | null;
  csrf_token: string | null;
  expires_at: Date;
  revoked_at: Date | null;
  created_at: Generated<Date>;
}

export interface DB extends RecordTables {
  tenants: TenantsTable;
  connections: ConnectionsTable;
  posting_defaults: PostingDefaultsTable;
  inbound_events: InboundEventsTable;
  documents: DocumentsTable;
  document_events: DocumentEventsTable;
  sync_attempts: SyncAttemptsTable;
  contact_links: ContactLinksTable;
  provider_catalog: ProviderCatalogTable;
  push_batches: PushBatchesTable;
  api_idempotency_keys: ApiIdempotencyKeysTable;
  feed_counters: FeedCountersTable; // change feed
  outbound_events: OutboundEventsTable; // change feed
  provider_payments: ProviderPaymentsTable;
  invoice_refreshes: InvoiceRefreshesTable;
  console_sessions: ConsoleSessionsTable;
}

export type Document = Selectable<DocumentsTable>;
export type DocumentUpdate = Updateable<DocumentsTable>;
export type Connection = Selectable<ConnectionsTable>;
