/** Options of the machine-data generator, their defaults and their checks. */
import { ConfigError } from '../errors.js';

/** A planted relation: the parameter (by index) whose level drives a product's output rate. */
export interface PlantedRelation {
  /** Index of the parameter, 0-based; it must be a gauge (not a counter, not drifting). */
  parameter: number;
  /**
   * Correlation between the parameter's true level and the product's output rate, in [−1, 1]
   * (negative: more of it, less output). The squares of one product's strengths add up to at most 1;
   * the rest of the output's variation is noise.
   */
  strength: number;
  /** Process delay in ms: the parameter's level acts on output this much later. Default: the `delayMs` option. */
  delayMs?: number;
}

/** How to generate machine data. Every option has a default; the same options give the same data. */
export interface MachineDataOptions {
  /** Seed of the random generator. Default 1. */
  seed?: number;
  /** Number of machine parameters. Default 20. */
  parameters?: number;
  /** Number of products. Default 2. */
  products?: number;
  /** How many parameters are cumulative counters (rising steadily; decoys). Default 4. */
  counters?: number;
  /** How many gauges (not drivers) drift strongly over the run (a linear trend). Default 0. */
  driftingGauges?: number;
  /** Drivers per product when `relations` is not given, picked at random among the steady gauges. Default 3. */
  drivers?: number;
  /** Strengths of the picked drivers, strongest first (one per driver). Default [0.7, 0.5, 0.4]. */
  strengths?: readonly number[];
  /**
   * Process delay of every planted driver in ms (a relation's own `delayMs` wins): output at time t
   * follows the driver's level at t − delay. Realised in whole generator ticks (see the truth's
   * `delaySeconds`). Default 0.
   */
  delayMs?: number;
  /** Explicit planted relations per product index; overrides `drivers` and `strengths`. */
  relations?: readonly (readonly PlantedRelation[])[];
  /** Start of the data: epoch ms or ISO text. Default 2021-06-22T00:00:00Z. */
  start?: number | string;
  /** Length of the run in ms. Default 28 days. */
  durationMs?: number;
  /** Mean time between two readings of a product's production counter while it runs. Default 1 h. */
  workorderIntervalMs?: number;
  /** Mean time between two samples of one parameter. Default 10 min. */
  metricIntervalMs?: number;
  /** Relative jitter of every step: each is the mean × a uniform draw in [1 − jitter, 1 + jitter]. Default 0.4. */
  jitter?: number;
  /** `concurrent`: all products run at once (default); `turns`: one after the other, with changeovers. */
  schedule?: 'concurrent' | 'turns';
  /** With `turns`: how long one product runs per turn. Default 12 h. */
  runMs?: number;
  /** With `turns`: idle time between two turns. Default 2 h. */
  changeoverMs?: number;
  /** With `concurrent`: stoppages per product over the run (no production, no readings). Default 0. */
  stoppages?: number;
  /** Length of one stoppage. Default 8 h. */
  stoppageMs?: number;
  /** Resets (back to 0) of each counter parameter over the run. Default 0. */
  counterResets?: number;
  /** Resets (back to 0) of each product's production counter over the run. Default 0. */
  productionResets?: number;
  /** Relative change of every product's mean output rate from start to end (e.g. 0.5: +50 %). Default 0. */
  outputTrend?: number;
  /** Reading noise of gauges, in units of their own variation. Default 0.3. */
  measurementNoise?: number;
  /** Correlation time of the gauges' fluctuations in ms. Default `workorderIntervalMs`. */
  correlationMs?: number;
  /** `number` ids (0, 1, …, like the sample files) or `string` ids (`param-0`, `product-0`). Default `number`. */
  ids?: 'number' | 'string';
}

/** The options with defaults filled in and `start` as epoch ms. */
export type ResolvedMachineDataOptions = Required<Omit<MachineDataOptions, 'relations' | 'start'>> & {
  start: number;
  relations: readonly (readonly PlantedRelation[])[] | undefined;
};

const HOUR = 3_600_000;

function check(ok: boolean, option: string, value: unknown, expected: string): void {
  if (!ok) throw new ConfigError(`machine-data generator: option ${option} is ${JSON.stringify(value)}; it must be ${expected}`, option);
}

const positiveInteger = (v: number): boolean => Number.isInteger(v) && v > 0;
const count = (v: number): boolean => Number.isInteger(v) && v >= 0;
const positive = (v: number): boolean => Number.isFinite(v) && v > 0;

/** Fills in defaults and rejects impossible combinations with a `ConfigError` naming the option. */
export function resolveMachineDataOptions(options: MachineDataOptions = {}): ResolvedMachineDataOptions {
  const workorderIntervalMs = options.workorderIntervalMs ?? HOUR;
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as MachineDataOptions;
  const o = {
    seed: 1,
    parameters: 20,
    products: 2,
    counters: 4,
    driftingGauges: 0,
    drivers: 3,
    strengths: [0.7, 0.5, 0.4],
    delayMs: 0,
    durationMs: 28 * 24 * HOUR,
    workorderIntervalMs,
    metricIntervalMs: HOUR / 6,
    jitter: 0.4,
    schedule: 'concurrent' as const,
    runMs: 12 * HOUR,
    changeoverMs: 2 * HOUR,
    stoppages: 0,
    stoppageMs: 8 * HOUR,
    counterResets: 0,
    productionResets: 0,
    outputTrend: 0,
    measurementNoise: 0.3,
    correlationMs: workorderIntervalMs,
    ids: 'number' as const,
    ...defined,
    start: typeof options.start === 'string' ? Date.parse(options.start) : (options.start ?? Date.UTC(2021, 5, 22)),
    relations: options.relations,
  };
  check(Number.isFinite(o.seed), 'seed', o.seed, 'a finite number');
  check(positiveInteger(o.parameters), 'parameters', o.parameters, 'a positive integer');
  check(positiveInteger(o.products), 'products', o.products, 'a positive integer');
  check(count(o.counters) && o.counters <= o.parameters, 'counters', o.counters, `an integer from 0 to parameters (${o.parameters})`);
  check(count(o.driftingGauges), 'driftingGauges', o.driftingGauges, 'a non-negative integer');
  check(Number.isFinite(o.start), 'start', options.start, 'epoch milliseconds or an ISO-8601 time');
  check(Number.isFinite(o.delayMs) && o.delayMs >= 0, 'delayMs', o.delayMs, 'a non-negative number of milliseconds');
  check(positive(o.durationMs), 'durationMs', o.durationMs, 'a positive number of milliseconds');
  check(o.workorderIntervalMs >= 2000, 'workorderIntervalMs', o.workorderIntervalMs, 'at least 2000 ms (times are whole seconds)');
  check(o.metricIntervalMs >= 2000, 'metricIntervalMs', o.metricIntervalMs, 'at least 2000 ms (times are whole seconds)');
  check(o.jitter >= 0 && o.jitter <= 0.9, 'jitter', o.jitter, 'between 0 and 0.9');
  check(o.schedule === 'concurrent' || o.schedule === 'turns', 'schedule', o.schedule, '"concurrent" or "turns"');
  check(positive(o.runMs) && o.changeoverMs >= 0, 'runMs', o.runMs, 'positive (and changeoverMs non-negative)');
  check(count(o.stoppages) && o.stoppages * o.stoppageMs < o.durationMs, 'stoppages', o.stoppages, 'a non-negative integer whose stoppages fit into durationMs');
  check(positive(o.stoppageMs), 'stoppageMs', o.stoppageMs, 'a positive number of milliseconds');
  check(count(o.counterResets), 'counterResets', o.counterResets, 'a non-negative integer');
  check(count(o.productionResets), 'productionResets', o.productionResets, 'a non-negative integer');
  check(Number.isFinite(o.outputTrend) && o.outputTrend > -0.9, 'outputTrend', o.outputTrend, 'a number above −0.9');
  check(o.measurementNoise >= 0 && Number.isFinite(o.measurementNoise), 'measurementNoise', o.measurementNoise, 'a non-negative number');
  check(positive(o.correlationMs), 'correlationMs', o.correlationMs, 'a positive number of milliseconds');
  check(o.ids === 'number' || o.ids === 'string', 'ids', o.ids, '"number" or "string"');
  const steadyGauges = o.parameters - o.counters - o.driftingGauges;
  check(steadyGauges >= 0, 'driftingGauges', o.driftingGauges, `at most parameters − counters (${o.parameters - o.counters})`);
  if (o.relations === undefined) {
    check(count(o.drivers) && o.drivers <= steadyGauges, 'drivers', o.drivers, `an integer from 0 to the number of steady gauges (${steadyGauges})`);
    check(o.strengths.length >= o.drivers, 'strengths', o.strengths, `a list of at least drivers (${o.drivers}) strengths`);
    checkStrengths(o.strengths.slice(0, o.drivers), 'strengths');
  } else {
    check(o.relations.length === o.products, 'relations', o.relations.length, `one list per product (${o.products})`);
    for (const list of o.relations) {
      checkStrengths(list.map((r) => r.strength), 'relations');
      const indices = list.map((r) => r.parameter);
      check(new Set(indices).size === indices.length, 'relations', indices, 'distinct parameters per product');
      for (const p of indices) check(Number.isInteger(p) && p >= 0 && p < o.parameters, 'relations', p, `a parameter index from 0 to ${o.parameters - 1}`);
      for (const r of list) check(r.delayMs === undefined || (Number.isFinite(r.delayMs) && r.delayMs >= 0), 'relations', r.delayMs, 'a non-negative delayMs (or none)');
    }
  }
  return o;
}

function checkStrengths(strengths: readonly number[], option: string): void {
  for (const s of strengths) check(Number.isFinite(s) && Math.abs(s) <= 1, option, s, 'a strength between −1 and 1');
  const total = strengths.reduce((sum, s) => sum + s * s, 0);
  check(total <= 1 + 1e-12, option, strengths, 'strengths whose squares add up to at most 1');
}
