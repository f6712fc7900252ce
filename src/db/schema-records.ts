import type { ColumnType, Generated } from 'kysely';

/** Tables for records flowing in and sync history (sql/0005). */

type Json<T = unknown> = ColumnType<T, string | T, string | T>;

export type SyncRunKind = 'contact_import' | 'purchase_order_import' | 'push' | 'contact_refresh' | 'purchase_order_refresh' | 'payment_refresh' | 'reconciliation';
export type SyncTrigger = 'manual' | 'schedule' | 'webhook' | 'automation';
export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface SyncRunsTable {
  id: Generated<string>;
  seq: Generated<string>;
  tenant_id: string;
  kind: SyncRunKind;
  trigger: SyncTrigger;
  status: SyncRunStatus;
  dry_run: Generated<boolean>;
  started_at: Date | null;
  finished_at: Date | null;
  total: Generated<number>;
  succeeded: Generated<number>;
  failed: Generated<number>;
  skipped: Generated<number>;
  progress: ColumnType<Record<string, unknown>, string | undefined, string>;
  error: string | null;
  summary: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
}

export interface SyncRunItemsTable {
  id: Generated<string>;
  run_id: string;
  item_type: string;
  item_id: string;
  outcome: 'succeeded' | 'failed' | 'skipped';
  message: string | null;
  errors: Json | null;
  at: Generated<Date>;
}

export interface ContactsTable {
  tenant_id: string;
  provider: string;
  provider_contact_id: string;
  name: string;
  email: string | null;
  phones: Json<unknown[]>;
  addresses: Json<unknown[]>;
  tax_number: string | null;
  is_customer: boolean;
  is_supplier: boolean;
  archived: boolean;
  provider_updated_at: Date | null;
  change_seq: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PurchaseOrdersTable {
  tenant_id: string;
  provider: string;
  provider_po_id: string;
  number: string | null;
  reference: string | null;
  status: 'open' | 'closed';
  provider_status: string;
  supplier: Json<{ id: string; name: string }>;
  lines: Json<unknown[]>;
  currency: string | null;
  issue_date: string | null;
  delivery_date: string | null;
  total: string | null;
  provider_updated_at: Date | null;
  closed_at: Date | null;
  change_seq: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ImportStateTable {
  tenant_id: string;
  kind: 'contacts' | 'purchase_orders' | 'payment_changes';
  modified_since: Date | null;
  last_run_at: Date | null;
  resume: Json<{ page: number; since: string | null }> | null;
}

export interface RecordTables {
  sync_runs: SyncRunsTable;
  sync_run_items: SyncRunItemsTable;
  contacts: ContactsTable;
  purchase_orders: PurchaseOrdersTable;
  import_state: ImportStateTable;
  reconciliations: ReconciliationsTable;
  reconciliation_findings: ReconciliationFindingsTable;
}

// --- reconciliations (sql/0011)
/**
 * A reconciliation is a sync run of kind 'reconciliation'. The kind is not in SyncRunKind yet:
 * places that name every SyncRunKind (the console's labels) would have to name it first; until
 * then runs carry it as RECONCILIATION_RUN_KIND (src/sync/reconcile/repo.ts).
 */
export type ReconciledKind = 'sales_invoice' | 'supplier_bill' | 'credit_note';
export type FindingType = 'duplicate_at_provider' | 'missing_at_provider' | 'total_differs' | 'status_differs' | 'changed_at_provider';

export interface ReconciliationsTable {
  run_id: string;
  tenant_id: string;
  kind: ReconciledKind | null;
  date_from: ColumnType<string | null, string | null, string | null>;
  date_to: ColumnType<string | null, string | null, string | null>;
  created_at: Generated<Date>;
}

export interface ReconciliationFindingsTable {
  id: Generated<string>;
  run_id: string;
  tenant_id: string;
  type: FindingType;
  document_id: string | null;
  kind: string;
  number: string | null;
  reference: string | null;
  provider_ids: ColumnType<string[], string[] | undefined, string[]>;
  expected: Json | null;
  actual: Json | null;
  message: string;
  created_at: Generated<Date>;
}
// --- end reconciliations
