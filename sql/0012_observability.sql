-- Observability (README "Metrics and traces").
--
-- 1. Trace context into routing jobs. An ops event may carry `traceparent` (the W3C trace
--    context of the webhook request that delivered it, src/observability/ingest.ts); its
--    route_document job now gets it in the payload, so the job's span continues the webhook's
--    trace. Both accept_ops_events functions are replaced with that one change to their add_jobs
--    call (bodies otherwise as in 0004, renamed in 0007, and 0007); an event without one gives
--    the payload as before, {document_id}.
--
-- 2. Documents by status without a table scan: /metrics counts open documents (everything but
--    synced and voided) on this partial index, whose size is the backlog rather than the table
--    (an index-only scan; the predicate is the query's). Each document insert and status change
--    maintains one more small index entry.

create index documents_open_status on documents (status) where status not in ('synced', 'voided');

-- As 0004 (its loop, for the batches one statement cannot express), renamed in 0007 with these settings.
create or replace function accept_ops_events_one_by_one(events jsonb, reroute_from text[])
returns table (idx integer, outcome text, document_id uuid, status text)
language plpgsql
set enable_seqscan = off
set enable_hashjoin = off
set enable_mergejoin = off
as $$
declare
  e record;
  event_id bigint;
  doc record;
  doc_id uuid;
  doc_status text;
  change text;
  route_ids uuid[] := '{}';
  route_traces text[] := '{}';
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
      route_traces := route_traces || (e.v->>'traceparent');
    elsif change = 'updated' then
      insert into document_events (document_id, from_status, to_status, reason, source_version, inbound_event_id)
      values (doc_id, doc.status, doc_status,
              case when doc_status = doc.status then format('version %s received', e.v->>'version')
                   else format('version %s received; routing again', e.v->>'version') end,
              (e.v->>'version')::integer, event_id);
      if doc_status = 'received' then
        route_ids := route_ids || doc_id;
        route_traces := route_traces || (e.v->>'traceparent');
      end if;
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
      -- One job per document, with the trace context of its first event in the batch.
      select row('route_document', jsonb_strip_nulls(jsonb_build_object('document_id', r.id, 'traceparent', r.traceparent))::json,
                 null, null, null, null, null, null)::graphile_worker.job_spec
      from (select distinct on (u.id) u.id, u.traceparent
            from unnest(route_ids, route_traces) with ordinality as u(id, traceparent, ord)
            order by u.id, u.ord) r));
  end if;
end;
$$;

-- As 0007.
create or replace function accept_ops_events(events jsonb, reroute_from text[])
returns table (idx integer, outcome text, document_id uuid, status text)
language plpgsql
set enable_seqscan = off
set plan_cache_mode = force_generic_plan
set enable_hashjoin = off
set enable_mergejoin = off
as $$
declare
  results accept_ops_result[];
begin
  if exists (select 1 from jsonb_array_elements(events) v group by v->>'delivery_id' having count(*) > 1)
     or exists (select 1 from jsonb_array_elements(events) v where v ? 'kind'
                group by v->>'tenant_id', v->>'kind', v->>'source_id' having count(*) > 1) then
    return query select * from accept_ops_events_one_by_one(events, reroute_from);
    return;
  end if;

  -- The CTEs carry keys only; the payload and the document snapshot (about 1 KB each) are read
  -- from `events` by position where they are written.
  with input as (
    select (t.ord - 1)::integer as i, t.v->>'delivery_id' as delivery_id, t.v->>'tenant_id' as tenant_id,
           t.v->>'type' as event_type, t.v->>'kind' as kind, t.v->>'source_id' as source_id,
           (t.v->>'version')::integer as version
    from jsonb_array_elements(events) with ordinality as t(v, ord)
  ),
  seen as (
    select i.i, ie.document_id
    from input i
    cross join lateral (
      select x.document_id from inbound_events x where x.source = 'ops' and x.delivery_id = i.delivery_id limit 1
    ) ie
  ),
  fresh as (
    select i.* from input i where not exists (select 1 from seen s where s.i = i.i)
  ),
  new_tenants as (
    insert into tenants (id)
    select distinct f.tenant_id from fresh f where f.kind is not null order by 1
    on conflict (id) do nothing
  ),
  -- New documents go in first, in key order as every batch does: their conflict check always
  -- uses the unique key's index, whatever the statistics, so a document seen for the first time
  -- (most of a month-end burst) needs no lookup.
  inserted as (
    insert into documents (tenant_id, kind, source_id, source_version, source_event_type, source, status)
    select f.tenant_id, f.kind, f.source_id, f.version, f.event_type, events->f.i->'source', 'received'
    from fresh f
    where f.kind is not null
    order by f.tenant_id, f.kind, f.source_id
    on conflict (tenant_id, kind, source_id) do nothing
    returning id, tenant_id, kind, source_id
  ),
  -- The others exist: locked in key order and read as of the lock. One inserted by a batch that
  -- committed after this statement began is not visible here; the check after the statement
  -- turns that into a retry.
  locked as (
    select d.id, d.status, d.source_version, f.i
    from (
      select * from fresh f
      where f.kind is not null
        and not exists (select 1 from inserted ins where ins.tenant_id = f.tenant_id and ins.kind = f.kind and ins.source_id = f.source_id)
      order by f.tenant_id, f.kind, f.source_id
    ) f
    cross join lateral (
      select x.id, x.status, x.source_version from documents x
      where x.tenant_id = f.tenant_id and x.kind = f.kind and x.source_id = f.source_id
      limit 1
      for update
    ) d
  ),
  docs as (
    select f.i, ins.id as document_id, 'created' as change, null::text as from_status, 'received' as to_status, f.version, f.event_type
    from inserted ins join fresh f on f.tenant_id = ins.tenant_id and f.kind = ins.kind and f.source_id = ins.source_id
    union all
    -- A newer version sends a document back to routing from the statuses in reroute_from; an
    -- older or equal one never regresses it.
    select l.i, l.id,
           case when f.version > l.source_version then 'updated' else 'unchanged' end,
           l.status,
           case when f.version > l.source_version and l.status = any(reroute_from) then 'received' else l.status end,
           f.version, f.event_type
    from locked l join fresh f on f.i = l.i
  ),
  updated as (
    update documents d set
      source_version = x.version, source_event_type = x.event_type, source = events->x.i->'source',
      status = x.to_status,
      status_reason = case when x.to_status = x.from_status then d.status_reason end,
      updated_at = now()
    from docs x
    where d.id = x.document_id and x.change = 'updated'
  ),
  recorded as (
    insert into inbound_events (source, delivery_id, tenant_id, event_type, outcome, outcome_reason, document_id, payload)
    select 'ops', f.delivery_id, f.tenant_id, f.event_type,
           case when f.kind is null then 'ignored' else 'accepted' end,
           case when f.kind is null then 'unsupported_event_type' end,
           x.document_id, events->f.i->'payload'
    from fresh f left join docs x on x.i = f.i
    order by f.i
    on conflict (source, delivery_id) do nothing
    returning id, delivery_id
  ),
  history as (
    insert into document_events (document_id, from_status, to_status, reason, source_version, inbound_event_id)
    select x.document_id, x.from_status, x.to_status,
           case when x.change = 'created' then format('version %s received (%s)', x.version, x.event_type)
                when x.to_status = x.from_status then format('version %s received', x.version)
                else format('version %s received; routing again', x.version) end,
           x.version, r.id
    from docs x join fresh f on f.i = x.i join recorded r on r.delivery_id = f.delivery_id
    where x.change <> 'unchanged'
    order by x.i
  )
  select array_agg(row(res.i, res.outcome, res.document_id, res.status, res.route)::accept_ops_result)
  into results
  from (
    select s.i, 'duplicate' as outcome, s.document_id, null::text as status, false as route
    from seen s
    union all
    -- Only events this statement recorded, each with its document: a delivery a concurrent batch
    -- recorded first, or a document it created after this statement began, is missing here.
    select f.i,
           case when f.kind is null then 'ignored' else 'accepted' end,
           x.document_id, x.to_status,
           coalesce(x.change = 'created' or (x.change = 'updated' and x.to_status = 'received'), false)
    from fresh f join recorded r on r.delivery_id = f.delivery_id left join docs x on x.i = f.i
    where f.kind is null or x.i is not null
  ) res;

  if coalesce(cardinality(results), 0) < jsonb_array_length(events) then
    raise exception 'a delivery or document in this batch was written concurrently' using errcode = '40001';
  end if;

  if exists (select 1 from unnest(results) r where r.route) then
    perform graphile_worker.add_jobs(array(
      -- No job key: a second routing job for a document finds it routed and does nothing.
      -- The payload carries the event's trace context when it has one (traceparent, W3C).
      select row('route_document', jsonb_strip_nulls(jsonb_build_object('document_id', r.document_id, 'traceparent', events->r.idx->>'traceparent'))::json,
                 null, null, null, null, null, null)::graphile_worker.job_spec
      from unnest(results) r where r.route));
  end if;

  return query select r.idx, r.outcome, r.document_id, r.status from unnest(results) r;
end;
$$;
