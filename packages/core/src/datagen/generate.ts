/**
 * The machine-data generator (pure and deterministic: same options, same records). Time advances in
 * ticks; on each tick every gauge's hidden fluctuation takes one step of an Ornstein–Uhlenbeck
 * process (unit variance, correlation time `correlationMs`), counters grow at their modulated rate,
 * and each running product's output rate is
 *
 *   base × (1 + trend) × (1 + 0.25 × (Σ strength_i × fluctuation_i + noiseWeight × own noise)),
 *
 * so a driver's level correlates with the output rate by about its strength. A driver with a process
 * delay enters with its fluctuation of `delayTicks` ticks earlier (the process runs that many ticks
 * before the data start, so the first hours have a history too). Samples and readings
 * fall at jittered times between ticks (whole seconds) and read the interpolated state; gauge
 * samples add reading noise. Records come out in time order, chunk by chunk, in bounded memory.
 */
import { ConfigError } from '../errors.js';
import type { Workorder } from '../schemas/machine-data.js';
import type { MachineDataId, MetricColumns } from '../analytics/types.js';
import { resolveMachineDataOptions, type MachineDataOptions, type ResolvedMachineDataOptions } from './options.js';
import { isRunning, planMachineData, tickMs, type MachineDataPlan, type MachineDataTruth } from './plan.js';
import { createSeededRandom, type SeededRandom } from './random.js';

/** A slice of the generated data, in time order: metric samples as columns and work-order readings. */
export interface MachineDataChunk {
  metrics: { id: MachineDataId[]; val: number[]; time: number[] };
  workorders: Workorder[];
}

/** A generated data set, ready for `rankCorrelations`. Times are epoch ms (whole seconds). */
export interface MachineData {
  /** Samples as columns, in time order (see `toMetricRecords` for `{id, val, time}` objects). */
  metrics: MetricColumns & { id: MachineDataId[]; val: Float64Array; time: Float64Array };
  workorders: Workorder[];
  truth: MachineDataTruth;
  options: ResolvedMachineDataOptions;
}

/** The truth of a data set and a way to produce its records lazily. */
export interface MachineDataStream {
  truth: MachineDataTruth;
  options: ResolvedMachineDataOptions;
  /** Yields the records chunk by chunk (each about `chunkSize` samples); every call starts afresh. */
  chunks(chunkSize?: number): Generator<MachineDataChunk, void, undefined>;
}

const OUTPUT_VARIATION = 0.25;
const COUNTER_VARIATION = 0.3;
const READING_NOISE = 0.02;

/** Plans a data set; its records are produced on demand by `chunks()`. */
export function machineDataStream(options: MachineDataOptions = {}): MachineDataStream {
  const resolved = resolveMachineDataOptions(options);
  const plan = planMachineData(resolved, createSeededRandom(resolved.seed));
  return {
    truth: plan.truth,
    options: resolved,
    chunks: (chunkSize = 65_536) => {
      if (!Number.isInteger(chunkSize) || chunkSize < 1) {
        throw new ConfigError(`machine-data generator: chunkSize is ${JSON.stringify(chunkSize)}; it must be a positive integer`, 'chunkSize');
      }
      return generateChunks(plan, createSeededRandom(resolved.seed + 0.5), chunkSize);
    },
  };
}

/** Generates a whole data set in memory (use `machineDataStream` + `writeMachineDataFiles` for huge ones). */
export function generateMachineData(options: MachineDataOptions = {}): MachineData {
  const stream = machineDataStream(options);
  const id: MachineDataId[] = [];
  let val = new Float64Array(1 << 16);
  let time = new Float64Array(1 << 16);
  const workorders: Workorder[] = [];
  for (const chunk of stream.chunks()) {
    const at = id.length;
    const needed = at + chunk.metrics.id.length;
    if (needed > val.length) {
      const capacity = Math.max(needed, val.length * 2);
      val = grow(val, capacity);
      time = grow(time, capacity);
    }
    for (let i = 0; i < chunk.metrics.id.length; i++) {
      id.push(chunk.metrics.id[i]!);
      val[at + i] = chunk.metrics.val[i]!;
      time[at + i] = chunk.metrics.time[i]!;
    }
    for (const w of chunk.workorders) workorders.push(w);
  }
  return { metrics: { id, val: val.slice(0, id.length), time: time.slice(0, id.length) }, workorders, truth: stream.truth, options: stream.options };
}

function grow(array: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(capacity);
  out.set(array);
  return out;
}

/** Metric columns as `{id, val, time}` records. */
export function toMetricRecords(columns: MetricColumns): { id: MachineDataId; val: number; time: number }[] {
  return Array.from({ length: columns.id.length }, (_, i) => ({ id: columns.id[i]!, val: columns.val[i]!, time: columns.time[i]! }));
}

const wholeSecondAfter = (t: number): number => Math.ceil(t / 1000) * 1000;

/** Next event time after `t`: a jittered step, in whole seconds, at least one second later. */
function nextTime(random: SeededRandom, t: number, mean: number, jitter: number): number {
  return Math.max(t + 1000, Math.round((t + mean * (1 + jitter * (2 * random.next() - 1))) / 1000) * 1000);
}

/** Samples and readings of one tick, gathered to be put in time order: `order` < P is a parameter, else a product. */
class TickEvents {
  readonly time: number[] = [];
  readonly order: number[] = [];
  readonly value: number[] = [];
  private readonly index: number[] = [];

  add(time: number, order: number, value: number): void {
    this.time.push(time);
    this.order.push(order);
    this.value.push(value);
  }

  private before(a: number, b: number): boolean {
    const dt = this.time[a]! - this.time[b]!;
    return dt < 0 || (dt === 0 && this.order[a]! < this.order[b]!);
  }

  /** Appends the events to the chunk in (time, order) order and clears them. */
  flush(chunk: MachineDataChunk, plan: MachineDataPlan): void {
    const n = this.time.length;
    const P = plan.parameters.length;
    const index = this.index;
    index.length = n;
    // Insertion sort: a tick holds a few dozen events, most already in order.
    for (let i = 0; i < n; i++) {
      let at = i;
      while (at > 0 && this.before(i, index[at - 1]!)) {
        index[at] = index[at - 1]!;
        at--;
      }
      index[at] = i;
    }
    for (const i of index) {
      const order = this.order[i]!;
      if (order < P) {
        chunk.metrics.id.push(plan.parameters[order]!.id);
        chunk.metrics.val.push(this.value[i]!);
        chunk.metrics.time.push(this.time[i]!);
      } else chunk.workorders.push({ time: this.time[i]!, product: plan.products[order - P]!.id, production: this.value[i]! });
    }
    this.time.length = 0;
    this.order.length = 0;
    this.value.length = 0;
  }
}

function* generateChunks(plan: MachineDataPlan, random: SeededRandom, chunkSize: number): Generator<MachineDataChunk, void, undefined> {
  const o = plan.options;
  const P = plan.parameters.length;
  const Q = plan.products.length;
  const end = o.start + o.durationMs;
  const tick = tickMs(o);
  const phi = Math.exp(-tick / o.correlationMs);
  const innovation = Math.sqrt(1 - phi * phi);
  // Fluctuations: P parameters, then Q product noises; `cur` at the tick start, `nxt` at its end.
  const cur = new Float64Array(P + Q);
  const nxt = new Float64Array(P + Q);
  for (let i = 0; i < P + Q; i++) cur[i] = random.normal();
  for (let i = 0; i < P + Q; i++) nxt[i] = phi * cur[i]! + innovation * random.normal();
  // Delayed drivers read their past: a ring of each parameter's tick-mean fluctuation, filled by
  // running the process `maxDelay` ticks before the start.
  const maxDelay = plan.products.reduce((max, p) => p.drivers.reduce((m, d) => Math.max(m, d.delayTicks), max), 0);
  const ringSize = maxDelay + 1;
  const past = new Float64Array(maxDelay > 0 ? ringSize * P : 0);
  let tickIndex = 0;
  const remember = (): void => {
    const row = (tickIndex % ringSize) * P;
    for (let p = 0; p < P; p++) past[row + p] = 0.5 * (cur[p]! + nxt[p]!);
  };
  const stepFluctuations = (): void => {
    for (let i = 0; i < P + Q; i++) {
      cur[i] = nxt[i]!;
      nxt[i] = phi * cur[i]! + innovation * random.normal();
    }
  };
  if (maxDelay > 0) {
    for (; tickIndex < maxDelay; tickIndex++) {
      remember();
      stepFluctuations();
    }
  }
  const counter = Float64Array.from(plan.parameters, (p) => p.initial);
  const counterNext = new Float64Array(P);
  const counterReset = new Int32Array(P);
  const production = new Float64Array(Q);
  const productionNext = new Float64Array(Q);
  const productionReset = new Int32Array(Q);
  const running = new Uint8Array(Q);
  const nextSample = Float64Array.from(plan.parameters, () => wholeSecondAfter(o.start + o.metricIntervalMs * random.next()));
  const nextReading = new Float64Array(Q).fill(Infinity);
  const readingNoise = plan.products.map((p) => READING_NOISE * p.ratePerMs * o.workorderIntervalMs);
  let chunk: MachineDataChunk = { metrics: { id: [], val: [], time: [] }, workorders: [] };
  const events = new TickEvents();

  for (let t0 = o.start; t0 < end; t0 += tick, tickIndex++) {
    if (maxDelay > 0) remember();
    const t1 = Math.min(t0 + tick, end);
    const span = t1 - t0;
    const progress = (t0 - o.start) / o.durationMs;
    for (let p = 0; p < P; p++) {
      const plannedP = plan.parameters[p]!;
      if (plannedP.kind !== 'counter') continue;
      while (counterReset[p]! < plannedP.resets.length && plannedP.resets[counterReset[p]!]! < t1) {
        counter[p] = 0;
        counterReset[p]!++;
      }
      const rate = plannedP.ratePerMs * Math.max(0, 1 + COUNTER_VARIATION * 0.5 * (cur[p]! + nxt[p]!));
      counterNext[p] = counter[p]! + rate * span;
    }
    for (let j = 0; j < Q; j++) {
      const product = plan.products[j]!;
      while (productionReset[j]! < product.resets.length && product.resets[productionReset[j]!]! < t1) {
        production[j] = 0;
        productionReset[j]!++;
      }
      const isOn = isRunning(plan, j, t0);
      if (isOn && !running[j]) nextReading[j] = wholeSecondAfter(t0); // a run starts with a reading
      running[j] = isOn ? 1 : 0;
      let z = product.noiseWeight * 0.5 * (cur[P + j]! + nxt[P + j]!);
      for (const d of product.drivers) {
        z +=
          d.delayTicks === 0
            ? d.strength * 0.5 * (cur[d.parameter]! + nxt[d.parameter]!)
            : d.strength * past[((tickIndex - d.delayTicks) % ringSize) * P + d.parameter]!;
      }
      const rate = isOn ? product.ratePerMs * (1 + o.outputTrend * progress) * Math.max(0, 1 + OUTPUT_VARIATION * z) : 0;
      productionNext[j] = production[j]! + rate * span;
    }
    // Samples and readings that fall within this tick.
    for (let p = 0; p < P; p++) {
      const plannedP = plan.parameters[p]!;
      while (nextSample[p]! < t1) {
        const t = nextSample[p]!;
        const f = (t - t0) / span;
        const val =
          plannedP.kind === 'counter'
            ? counter[p]! + (counterNext[p]! - counter[p]!) * f
            : plannedP.offset +
              plannedP.scale * (cur[p]! + (nxt[p]! - cur[p]!) * f + plannedP.drift * ((t - o.start) / o.durationMs) + o.measurementNoise * random.normal());
        events.add(t, p, val);
        nextSample[p] = nextTime(random, t, o.metricIntervalMs, o.jitter);
      }
    }
    for (let j = 0; j < Q; j++) {
      if (!running[j]) continue;
      while (nextReading[j]! < t1) {
        const t = nextReading[j]!;
        const f = (t - t0) / span;
        const value = Math.max(0, production[j]! + (productionNext[j]! - production[j]!) * f + readingNoise[j]! * random.normal());
        events.add(t, P + j, value);
        nextReading[j] = nextTime(random, t, o.workorderIntervalMs, o.jitter);
      }
    }
    events.flush(chunk, plan);
    stepFluctuations(); // to the next tick
    for (let p = 0; p < P; p++) counter[p] = counterNext[p]!;
    for (let j = 0; j < Q; j++) production[j] = productionNext[j]!;
    if (chunk.metrics.id.length >= chunkSize) {
      yield chunk;
      chunk = { metrics: { id: [], val: [], time: [] }, workorders: [] };
    }
  }
  if (chunk.metrics.id.length > 0 || chunk.workorders.length > 0) yield chunk;
}
