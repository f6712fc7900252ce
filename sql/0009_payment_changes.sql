-- Payments in without webhooks: where each tenant's poll of the provider's changes (QuickBooks
-- change data capture) starts next.
alter table import_state drop constraint import_state_kind_check;
alter table import_state add constraint import_state_kind_check check (kind in ('contacts', 'purchase_orders', 'payment_changes'));
