/**
 * Benchmark of `rankCorrelations` on 10 million generated metric samples.
 *
 *   cd /work/main/bench && npx tsx --conditions=source correlations.ts [samples] [--records] [--shuffled]
 *
 * Generates the samples with the seeded generator (20 parameters, 4 of them counters with resets,
 * 2 concurrent products with stoppages), times generation and analysis separately, checks that the
 * planted drivers come out on top, and prints the peak resident memory. `--records` passes `{id, val,
 * time}` objects instead of columns; `--shuffled` shuffles the samples first (exercises the sort path).
 */
import { createSeededRandom, generateMachineData, rankCorrelations, toMetricRecords, type MetricColumns } from '@sluice/core';

const args = process.argv.slice(2);
const samples = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000_000);
const asRecords = args.includes('--records');
const shuffled = args.includes('--shuffled');
const parameters = 20;
const metricIntervalMs = 60_000;

/** Wall-clock and CPU seconds since a mark (CPU time shows the cost when other processes share the cores). */
const mark = () => ({ wall: performance.now(), cpu: process.cpuUsage() });
const seconds = (from: ReturnType<typeof mark>): string => {
  const cpu = process.cpuUsage(from.cpu);
  return `${((performance.now() - from.wall) / 1000).toFixed(2)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s)`;
};

let start = mark();
const data = generateMachineData({
  seed: 7,
  parameters,
  products: 2,
  counters: 4,
  counterResets: 5,
  productionResets: 5,
  stoppages: 10,
  metricIntervalMs,
  workorderIntervalMs: 10 * 60_000,
  durationMs: (samples / parameters) * metricIntervalMs,
});
console.log(`generated ${data.metrics.id.length.toLocaleString('en')} samples and ${data.workorders.length.toLocaleString('en')} readings in ${seconds(start)}`);

let metrics: MetricColumns | ReturnType<typeof toMetricRecords> = data.metrics;
if (shuffled) {
  const random = createSeededRandom(1);
  const n = data.metrics.id.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  metrics = {
    id: Array.from(order, (i) => data.metrics.id[i]!),
    val: Float64Array.from(order, (i) => data.metrics.val[i]!),
    time: Float64Array.from(order, (i) => data.metrics.time[i]!),
  };
  console.log('samples shuffled');
}
if (asRecords) metrics = toMetricRecords(metrics);

start = mark();
const result = rankCorrelations(metrics, data.workorders);
const analysis = seconds(start);

let correct = true;
for (const product of result.products) {
  const planted = data.truth.products.find((t) => t.product === product.product)!.drivers.map((d) => d.parameter);
  const top = product.ranking.slice(0, planted.length).map((r) => r.parameter);
  const ok = planted.every((p) => top.includes(p));
  correct &&= ok;
  const shown = product.ranking.slice(0, 3).map((r) => `${r.parameter} (r ${r.r.toFixed(3)})`).join(', ');
  console.log(`product ${product.product}: ${product.intervals} intervals, top ${shown}; planted ${planted.join(', ')} ${ok ? 'found' : 'NOT found'}`);
}
console.log(`rankCorrelations (${asRecords ? 'records' : 'columns'}${shuffled ? ', shuffled' : ''}): ${analysis}`);
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
if (!correct) process.exitCode = 1;
