-- Per-connection API rate governor (DESIGN.md principle 4). Every web and worker process shares
-- these tables; rate_try_acquire decides under per-key advisory locks with the database clock, so
-- processes agree on what has been spent without trusting their own clocks.

-- One row per granted request; weight is how many provider calls it counts as.
create table rate_calls (
  key     text not null,
  at      timestamptz not null,
  weight  integer not null check (weight > 0)
) with (
  -- Rows are inserted and pruned constantly; vacuum early so index scans stay short.
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_vacuum_insert_scale_factor = 0.02
);
-- weight is included so window sums are index-only scans.
create index rate_calls_key_at on rate_calls (key, at) include (weight);

-- Requests in flight. A lease covers every key of one acquire; a crashed process's lease stops
-- counting at expires_at.
create table rate_leases (
  id          uuid not null,
  key         text not null,
  expires_at  timestamptz not null,
  primary key (id, key)
) with (autovacuum_vacuum_scale_factor = 0.02);
create index rate_leases_key_expires on rate_leases (key, expires_at);

-- The provider said 429: nobody calls the key before blocked_until.
create table rate_blocks (
  key            text primary key,
  blocked_until  timestamptz not null,
  problem        text not null,
  updated_at     timestamptz not null default now()
);

/*
  One decision over several keys, all or nothing, in one round trip. The caller runs it as its own
  statement (autocommit), so the advisory locks are held only for this call. Limits are parallel
  arrays (null = no such limit). Returns granted, or the longest wait among the refusing limits
  and its reason.
*/
-- Windows are a little longer than the provider's (61 s, 1 day 1 min): a call is counted when
-- it is granted, the provider counts it when it arrives a few milliseconds later, so an exact
-- 60 s window would let the 61st call reach the provider inside its own minute.
create function rate_try_acquire(
  p_keys        text[],
  p_concurrent  integer[],
  p_per_minute  integer[],
  p_per_day     integer[],
  p_weight      integer,
  p_lease_id    uuid,
  p_lease_ms    integer,
  p_poll_ms     integer,
  out granted   boolean,
  out wait_ms   bigint,
  out reason    text
) language plpgsql as $$
declare
  v_lock    bigint;
  v_now     timestamptz;
  v_key     text;
  v_used    bigint;
  v_at      timestamptz;
  v_ms      bigint;
  v_keep    interval;
begin
  granted := false;
  wait_ms := 0;
  reason := null;

  -- Lock in one global order (the hash) so decisions over overlapping keys cannot deadlock.
  for v_lock in select distinct hashtextextended(k, 0) from unnest(p_keys) k order by 1 loop
    perform pg_advisory_xact_lock(v_lock);
  end loop;
  -- Read the clock after the locks: each decision on a key sees a later time than the last one,
  -- and each statement below sees what the previous lock holder committed.
  v_now := clock_timestamp();

  for i in 1 .. coalesce(array_length(p_keys, 1), 0) loop
    v_key := p_keys[i];

    select b.blocked_until into v_at from rate_blocks b where b.key = v_key and b.blocked_until > v_now;
    if found then
      v_ms := ceil(extract(epoch from v_at - v_now) * 1000);
      if reason is null or v_ms > wait_ms then wait_ms := v_ms; reason := 'blocked'; end if;
    end if;

    if p_per_minute[i] is not null then
      select coalesce(sum(c.weight), 0) into v_used
        from rate_calls c where c.key = v_key and c.at > v_now - interval '61 seconds';
      if v_used + p_weight > p_per_minute[i] then
        -- The wait ends when enough of the oldest calls have left the window to fit this weight.
        select s.at into v_at from (
          select c.at, sum(c.weight) over (order by c.at rows between unbounded preceding and current row) as spent
            from rate_calls c where c.key = v_key and c.at > v_now - interval '61 seconds'
        ) s where s.spent >= v_used + p_weight - p_per_minute[i] order by s.at limit 1;
        v_ms := coalesce(ceil(extract(epoch from v_at + interval '61 seconds' - v_now) * 1000), 60000);
        if reason is null or v_ms > wait_ms then wait_ms := v_ms; reason := 'minute'; end if;
      end if;
    end if;

    if p_per_day[i] is not null then
      select coalesce(sum(c.weight), 0) into v_used
        from rate_calls c where c.key = v_key and c.at > v_now - interval '1 day 1 minute';
      if v_used + p_weight > p_per_day[i] then
        select s.at into v_at from (
          select c.at, sum(c.weight) over (order by c.at rows between unbounded preceding and current row) as spent
            from rate_calls c where c.key = v_key and c.at > v_now - interval '1 day 1 minute'
        ) s where s.spent >= v_used + p_weight - p_per_day[i] order by s.at limit 1;
        v_ms := coalesce(ceil(extract(epoch from v_at + interval '1 day 1 minute' - v_now) * 1000), 86400000);
        if reason is null or v_ms > wait_ms then wait_ms := v_ms; reason := 'day'; end if;
      end if;
    end if;

    if p_concurrent[i] is not null then
      select count(*), min(l.expires_at) into v_used, v_at
        from rate_leases l where l.key = v_key and l.expires_at > v_now;
      if v_used >= p_concurrent[i] then
        -- A release is not announced, so poll; an abandoned lease frees its slot at expiry.
        v_ms := greatest(1, least(p_poll_ms, ceil(extract(epoch from v_at - v_now) * 1000)));
        if reason is null or v_ms > wait_ms then wait_ms := v_ms; reason := 'concurrent'; end if;
      end if;
    end if;
  end loop;

  if reason is not null then
    return;
  end if;

  insert into rate_calls (key, at, weight) select k, v_now, p_weight from unnest(p_keys) k;
  insert into rate_leases (id, key, expires_at)
    select p_lease_id, k, v_now + p_lease_ms * interval '1 millisecond' from unnest(p_keys) k;

  -- Prune now and then, not on every call: only once the oldest row is a twelfth of the
  -- retention past it. A key without a day limit only needs its last minute.
  for i in 1 .. array_length(p_keys, 1) loop
    v_key := p_keys[i];
    v_keep := case when p_per_day[i] is null then interval '61 seconds' else interval '1 day 1 minute' end;
    select c.at into v_at from rate_calls c where c.key = v_key order by c.at limit 1;
    if v_at < v_now - v_keep * 13 / 12 then
      delete from rate_calls c where c.key = v_key and c.at <= v_now - v_keep;
      delete from rate_leases l where l.key = v_key and l.expires_at <= v_now;
      delete from rate_blocks b where b.key = v_key and b.blocked_until <= v_now;
    end if;
  end loop;

  granted := true;
end
$$;
