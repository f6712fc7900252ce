-- A tenant's latest batch: whether its documents are arriving in a stream (gather them into
-- fuller batches) or one now and then (send at once). See src/sync/push/gather.ts.
create index push_batches_tenant_created on push_batches (tenant_id, created_at desc);
