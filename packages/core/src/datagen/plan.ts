/**
 * The fixed part of a generated data set, drawn once from the seed: which parameters are counters,
 * which gauges drift, which gauges drive which product and how strongly (the truth), scales,
 * offsets, schedules and reset times.
 */
import { ConfigError } from '../errors.js';
import type { MachineDataId } from '../analytics/types.js';
import type { ResolvedMachineDataOptions } from './options.js';
import type { SeededRandom } from './random.js';

/** A planted relation, with ids as they appear in the data. */
export interface PlantedDriver {
  parameter: MachineDataId;
  strength: number;
  /** Process delay in seconds as generated (whole generator ticks): output follows the level this much later. */
  delaySeconds: number;
}

/** What the generator planted: the answer a sound analysis should find. */
export interface MachineDataTruth {
  /** Per product, its drivers strongest (by |strength|) first. */
  products: { product: MachineDataId; drivers: PlantedDriver[] }[];
  /** Parameters that are cumulative counters (they correlate with cumulative production, not with output). */
  counters: MachineDataId[];
  /** Gauges with a strong linear drift and no relation to output. */
  driftingGauges: MachineDataId[];
}

/** How one parameter is generated. */
export interface ParameterPlan {
  id: MachineDataId;
  kind: 'gauge' | 'counter';
  /** Gauges: reading = offset + scale × (fluctuation + drift + noise). */
  offset: number;
  scale: number;
  /** Gauges: drift over the whole run, in units of the fluctuation (0 for steady gauges). */
  drift: number;
  /** Counters: mean increase per ms (its fluctuation modulates it by ±30 %). */
  ratePerMs: number;
  /** Counters: initial value. */
  initial: number;
  /** Counters: times at which the counter goes back to 0, ascending. */
  resets: number[];
}

/** How one product is generated. */
export interface ProductPlan {
  id: MachineDataId;
  /** Mean output per ms while running. */
  ratePerMs: number;
  /** Drivers by parameter index, with their delay in whole generator ticks. */
  drivers: { parameter: number; strength: number; delayTicks: number }[];
  /** Weight of the unexplained fluctuation: √(1 − Σ strength²). */
  noiseWeight: number;
  /** Stoppages [start, end), ascending (concurrent schedule). */
  stops: [number, number][];
  /** Times at which the production counter goes back to 0, ascending. */
  resets: number[];
}

/** The whole plan. */
export interface MachineDataPlan {
  options: ResolvedMachineDataOptions;
  parameters: ParameterPlan[];
  products: ProductPlan[];
  truth: MachineDataTruth;
}

const parameterId = (i: number, o: ResolvedMachineDataOptions): MachineDataId => (o.ids === 'string' ? `param-${i}` : i);
const productId = (i: number, o: ResolvedMachineDataOptions): MachineDataId => (o.ids === 'string' ? `product-${i}` : i);

/** Sorted random times within the run, one per equal slot (so they never bunch up). */
function spreadTimes(random: SeededRandom, count: number, start: number, duration: number): number[] {
  const slot = duration / count;
  return Array.from({ length: count }, (_, i) => start + slot * (i + 0.1 + 0.8 * random.next()));
}

/**
 * The generator's time step: every state changes once per tick, so it is finer than the sampling,
 * the reading interval and the gauges' correlation time.
 */
export const tickMs = (o: ResolvedMachineDataOptions): number => Math.min(o.workorderIntervalMs, o.metricIntervalMs, o.correlationMs / 4);

/** Draws the plan from the options (all randomness comes from `random`, in a fixed order). */
export function planMachineData(o: ResolvedMachineDataOptions, random: SeededRandom): MachineDataPlan {
  const indices = Array.from({ length: o.parameters }, (_, i) => i);
  const pinned = new Set((o.relations ?? []).flatMap((list) => list.map((r) => r.parameter)));
  const free = random.shuffle(indices.filter((i) => !pinned.has(i)));
  if (free.length < o.counters + o.driftingGauges) {
    throw new ConfigError(
      `machine-data generator: ${o.counters} counters and ${o.driftingGauges} drifting gauges do not fit beside the ${pinned.size} parameters named in relations; lower them or add parameters`,
      'relations',
    );
  }
  const counterSet = new Set(free.slice(0, o.counters));
  const driftSet = new Set(free.slice(o.counters, o.counters + o.driftingGauges));
  const steady = indices.filter((i) => !counterSet.has(i) && !driftSet.has(i));
  const parameters = indices.map((i): ParameterPlan => {
    const counter = counterSet.has(i);
    const target = 1e4 * (1 + 9 * random.next()); // a counter reaches 10^4 … 10^5 over the run
    return {
      id: parameterId(i, o),
      kind: counter ? 'counter' : 'gauge',
      offset: 50 + 950 * random.next(),
      scale: 5 + 95 * random.next(),
      drift: driftSet.has(i) ? (random.next() < 0.5 ? -4 : 4) : 0,
      ratePerMs: target / o.durationMs,
      initial: counter ? target * 0.1 * random.next() : 0,
      resets: counter ? spreadTimes(random, o.counterResets, o.start, o.durationMs) : [],
    };
  });
  const products = Array.from({ length: o.products }, (_, j): ProductPlan => {
    const tick = tickMs(o);
    const drivers =
      o.relations?.[j]?.map((r) => ({ parameter: r.parameter, strength: r.strength, delayTicks: Math.round((r.delayMs ?? o.delayMs) / tick) })) ??
      random
        .shuffle(steady)
        .slice(0, o.drivers)
        .map((parameter, k) => ({ parameter, strength: o.strengths[k]!, delayTicks: Math.round(o.delayMs / tick) }));
    drivers.sort((a, b) => Math.abs(b.strength) - Math.abs(a.strength) || a.parameter - b.parameter);
    const explained = drivers.reduce((sum, d) => sum + d.strength * d.strength, 0);
    const stops = o.schedule === 'concurrent' && o.stoppages > 0 ? spreadStops(random, o) : [];
    return {
      id: productId(j, o),
      ratePerMs: (20 + 80 * random.next()) / 3_600_000, // 20 … 100 units per hour
      drivers,
      noiseWeight: Math.sqrt(Math.max(0, 1 - explained)),
      stops,
      resets: spreadTimes(random, o.productionResets, o.start, o.durationMs),
    };
  });
  const truth: MachineDataTruth = {
    products: products.map((p) => ({ product: p.id, drivers: p.drivers.map((d) => ({ parameter: parameterId(d.parameter, o), strength: d.strength, delaySeconds: Math.round((d.delayTicks * tickMs(o)) / 1000) })),
    })),
    counters: parameters.filter((p) => p.kind === 'counter').map((p) => p.id),
    driftingGauges: parameters.filter((p) => p.drift !== 0).map((p) => p.id),
  };
  return { options: o, parameters, products, truth };
}

/** Non-overlapping stoppages, one per equal slot of the run. */
function spreadStops(random: SeededRandom, o: ResolvedMachineDataOptions): [number, number][] {
  const slot = o.durationMs / o.stoppages;
  return Array.from({ length: o.stoppages }, (_, i): [number, number] => {
    const begin = o.start + slot * i + (slot - o.stoppageMs) * random.next();
    return [begin, begin + o.stoppageMs];
  });
}

/** Whether product `index` runs at time `t` (turns: fixed rotation; concurrent: outside its stoppages). */
export function isRunning(plan: MachineDataPlan, index: number, t: number): boolean {
  const o = plan.options;
  if (o.schedule === 'turns') {
    const turn = o.runMs + o.changeoverMs;
    const phase = (t - o.start) % (turn * o.products);
    return phase >= index * turn && phase < index * turn + o.runMs;
  }
  return !plan.products[index]!.stops.some(([begin, end]) => t >= begin && t < end);
}
