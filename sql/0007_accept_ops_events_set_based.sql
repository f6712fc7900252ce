-- accept_ops_events, set-based: one statement writes a whole batch (tenants, documents, inbound
-- events, history), then one add_jobs call enqueues the routing jobs. Measured alone on batches of
-- 60 with the planner settings below, it costs 104 µs of PostgreSQL CPU per event against 116 µs
-- for the per-event loop of 0004; most of what the ingress gained came from those settings (see
-- below). The loop stays as accept_ops_events_one_by_one for the batches one statement cannot
-- express: two events for one document (versions apply in arrival order) or one webhook-id twice,
-- and it runs with the same settings.
--
-- Same contract as 0004: one result row per event, `idx` mapping it back; a delivery recorded by
-- a concurrent batch aborts this batch with 40001 so the caller retries its events one by one.

alter function accept_ops_events(jsonb, text[]) rename to accept_ops_events_one_by_one;
alter function accept_ops_events_one_by_one(jsonb, text[]) set enable_seqscan = off;
alter function accept_ops_events_one_by_one(jsonb, text[]) set enable_hashjoin = off;
alter function accept_ops_events_one_by_one(jsonb, text[]) set enable_mergejoin = off;

create type accept_ops_result as (idx integer, outcome text, document_id uuid, status text, route boolean);

-- Plans: a batch is at most a few hundred events, and every table it reads is looked up by a
-- unique key, so every join here must be a nested loop over index probes whatever the statistics
-- say. Plans are cached per session, and one made while a table was small (a seq scan and a hash
-- join) was kept while the table grew, so every batch read the whole table: seen in the ingress
-- benchmark for documents, inbound_events and graphile_worker._private_jobs (add_jobs runs in
-- here too). Hence seq scans, hash and merge joins are off in here, the lookups are LATERAL with
-- LIMIT 1 (run once per event), and one generic plan is kept rather than re-planned per call
-- (planning was a third of the cost of a one-event batch).
create function accept_ops_events(events jsonb, reroute_from text[])
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
      select row('route_document', json_build_object('document_id', r.document_id), null, null, null,
                 null, null, null)::graphile_worker.job_spec
      from unnest(results) r where r.route));
  end if;

  return query select r.idx, r.outcome, r.document_id, r.status from unnest(results) r;
end;
$$;
