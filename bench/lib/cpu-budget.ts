import { availableParallelism } from 'node:os';
import type { CpuSplit } from './proc.ts';
import { formatTable, int, ratio } from './table.ts';

export interface CpuCost {
  readonly label: string;
  /** Committed rows or accepted deliveries per second. */
  readonly rate: number;
  readonly cpu: CpuSplit;
}

/** Microseconds of CPU per item: cores used ÷ items per second. */
const perItem = (coresUsed: number, rate: number) => (rate > 0 ? (coresUsed * 1e6) / rate : Number.NaN);
const total = (c: CpuCost) => perItem(c.cpu.bench + c.cpu.gateway + c.cpu.postgres, c.rate);

/**
 * What each committed row or accepted delivery cost in CPU, by process. The load generator, the
 * gateway and PostgreSQL share this machine's cores, so once they are busy the rate one can reach
 * is the cores over that cost, and the best ratio of two rates is the inverse ratio of their costs.
 */
export function cpuBudget(raw: CpuCost, rows: readonly CpuCost[], floor: CpuCost): string[] {
  const cores = availableParallelism();
  const us = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');
  const table = formatTable(
    ['item', 'per second', 'µs bench', 'µs gateway', 'µs postgres', 'µs total', `ceiling on ${cores} cores`],
    [raw, floor, ...rows].map((c) => [
      c.label,
      int(c.rate),
      us(perItem(c.cpu.bench, c.rate)),
      us(perItem(c.cpu.gateway, c.rate)),
      us(perItem(c.cpu.postgres, c.rate)),
      us(total(c)),
      `${int((cores * 1e6) / total(c))}/s`,
    ]),
  );
  const cheapest = rows.reduce<CpuCost | undefined>((a, b) => (a === undefined || total(b) < total(a) ? b : a), undefined);
  const cheapestTotal = cheapest ? total(cheapest) : Number.NaN;
  // A gateway doing no work at all: the HTTP floor's cost plus PostgreSQL's share at best.
  const floorHttp = perItem(floor.cpu.bench + floor.cpu.gateway, floor.rate);
  const cheapestDatabase = cheapest ? perItem(cheapest.cpu.postgres, cheapest.rate) : Number.NaN;
  return [
    'CPU per item (µs of CPU time = cores used ÷ items per second; "ceiling": every core busy at that cost)',
    table,
    `  accepted/s ÷ raw INSERT/s cannot exceed ${ratio(total(raw) / cheapestTotal)} on this machine while both are CPU-bound: raw ${us(total(raw))} µs per commit vs ${us(cheapestTotal)} µs per accepted delivery at best`,
    `  even a gateway with no work of its own (HTTP floor ${us(floorHttp)} µs + PostgreSQL ${us(cheapestDatabase)} µs) would stop at ${ratio(total(raw) / (floorHttp + cheapestDatabase))}`,
  ];
}
