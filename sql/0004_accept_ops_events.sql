-- Accepts a batch of verified ops webhook deliveries in one statement (one round trip, one
-- commit): dedupe by webhook-id, upsert tenants and documents, record history, enqueue one
-- routing job per document that needs routing. Called by src/ingest/accept-ops-events.ts.
--
-- events: [{delivery_id, tenant_id, type, payload, kind?, source_id?, version?, source?}], in
-- arrival order; events without `kind` are recorded as ignored.
-- reroute_from: the statuses a newer source version sends back to `received` (from
-- src/sync/lifecycle.ts, so the lifecycle rules stay in one place).
--
-- Duplicates are checked before anything is written, so an accepted event is inserted once
-- with its document id. Events are processed in document-key order (arrival order within a document), so concurrent
-- batches lock documents in the same order; `idx` maps each result back to its event.
create function accept_ops_events(events jsonb, reroute_from text[])
returns table (idx integer, outcome text, document_id uuid, status text)
language plpgsql
as $$
declare
  e record;
  event_id bigint;
  doc record;
  doc_id uuid;
  doc_status text;
  change text;
  route_ids uuid[] := '{}';
begin
  for e in
    select (item.ord - 1)::integer as i, item.value as v
    from jsonb_array_elements(events) with ordinality as item(value, ord)
    order by item.value->>'tenant_id', item.value->>'kind', item.value->>'source_id', item.ord
  loop
    -- Seen before? (A concurrent batch recording the same delivery is caught below.)
    select ie.document_id into doc_id from inbound_events ie
      where ie.source = 'ops' and ie.delivery_id = e.v->>'delivery_id';
    if found then
      idx := e.i; outcome := 'duplicate'; document_id := doc_id; status := null;
      return next;
      continue;
    end if;
    doc_id := null;
    doc_status := null;
    change := null;

    if e.v ? 'kind' then
      insert into tenants (id) values (e.v->>'tenant_id') on conflict (id) do nothing;
      select d.id, d.status, d.source_version into doc from documents d
        where d.tenant_id = e.v->>'tenant_id' and d.kind = e.v->>'kind' and d.source_id = e.v->>'source_id'
        for update;
      if not found then
        insert into documents (tenant_id, kind, source_id, source_version, source_event_type, source, status)
        values (e.v->>'tenant_id', e.v->>'kind', e.v->>'source_id', (e.v->>'version')::integer, e.v->>'type', e.v->'source', 'received')
        returning id into doc_id;
        doc_status := 'received';
        change := 'created';
      elsif (e.v->>'version')::integer > doc.source_version then
        doc_id := doc.id;
        doc_status := case when doc.status = any(reroute_from) then 'received' else doc.status end;
        update documents d set
          source_version = (e.v->>'version')::integer, source_event_type = e.v->>'type', source = e.v->'source',
          status = doc_status,
          status_reason = case when d.status = doc_status then d.status_reason else null end,
          updated_at = now()
        where d.id = doc_id;
        change := 'updated';
      else
        -- An older or equal version never regresses the document.
        doc_id := doc.id;
        doc_status := doc.status;
        change := 'unchanged';
      end if;
    end if;

    insert into inbound_events (source, delivery_id, tenant_id, event_type, outcome, outcome_reason, document_id, payload)
    values ('ops', e.v->>'delivery_id', e.v->>'tenant_id', e.v->>'type',
            case when change is null then 'ignored' else 'accepted' end,
            case when change is null then 'unsupported_event_type' end,
            doc_id, e.v->'payload')
    on conflict (source, delivery_id) do nothing
    returning id into event_id;
    if event_id is null then
      -- Another batch recorded this delivery after our check: abort this batch; the caller
      -- retries its events one by one, and the check above then sees the delivery.
      raise exception 'delivery % was recorded concurrently', e.v->>'delivery_id' using errcode = '40001';
    end if;

    if change = 'created' then
      insert into document_events (document_id, from_status, to_status, reason, source_version, inbound_event_id)
      values (doc_id, null, 'received', format('version %s received (%s)', e.v->>'version', e.v->>'type'), (e.v->>'version')::integer, event_id);
      route_ids := route_ids || doc_id;
    elsif change = 'updated' then
      insert into document_events (document_id, from_status, to_status, reason, source_version, inbound_event_id)
      values (doc_id, doc.status, doc_status,
              case when doc_status = doc.status then format('version %s received', e.v->>'version')
                   else format('version %s received; routing again', e.v->>'version') end,
              (e.v->>'version')::integer, event_id);
      if doc_status = 'received' then route_ids := route_ids || doc_id; end if;
    end if;

    idx := e.i;
    outcome := case when change is null then 'ignored' else 'accepted' end;
    document_id := doc_id;
    status := doc_status;
    return next;
  end loop;

  if cardinality(route_ids) > 0 then
    perform graphile_worker.add_jobs(array(
      -- No job key: a second routing job for a document finds it routed and does nothing,
      -- and unkeyed jobs are the cheaper path through add_jobs.
      select row('route_document', json_build_object('document_id', r.id), null, null, null,
                 null, null, null)::graphile_worker.job_spec
      from (select distinct unnest(route_ids) as id) r));
  end if;
end;
$$;
