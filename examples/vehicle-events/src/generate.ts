/**
 * The lake generator: vehicles of several organisations driving plausible routes at plausible
 * speeds with stops, operating periods created, moved and deleted, written as the API's JSON-lines
 * files one folder per day, with late, duplicated and broken lines; and the ground truth, computed
 * while generating from the same positions by the README's definitions (late, duplicated and
 * out-of-order arrivals count, broken lines do not).
 *
 * Memory holds one file window of lines (a few hours) plus late lines waiting for their window,
 * whatever the number of days: a month of ten million lines is written in bounded memory.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, createSeededRandom, type SeededRandom } from '@sluice/core';
import { byStartThenId, overallMean, type Answers, type PeriodAnswer } from './answers.js';
import { haversineKm } from './geo.js';
import { dayDir, dayOf } from './lake.js';

const DAY_MS = 86_400_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** What to generate. */
export interface GenerateOptions {
  /** The lake folder; files go to `out/data/YYYY-MM-DD/`, the truth to `out/truth.json`. */
  out: string;
  days: number;
  vehicles: number;
  seed?: number;
  /** First day, `YYYY-MM-DD` (default 2019-06-01). */
  start?: string;
  /** Organisations (default 3); vehicles are shared out among them. */
  organisations?: number;
  /** Files per day (default 6: one per four hours). */
  filesPerDay?: number;
  /** Seconds between two GPS fixes of a driving vehicle, drawn uniformly (default [15, 45]). */
  fixSeconds?: readonly [number, number];
  /** Share of lines that arrive 5 minutes to 6 hours late (default 0.03). */
  lateRate?: number;
  /** Share of events delivered twice (default 0.01). */
  duplicateRate?: number;
  /** Share of lines cut short, so not JSON (default 0.001). */
  brokenRate?: number;
}

/** The ground truth and what was written. */
export interface GenerateResult {
  lake: string;
  days: string[];
  files: number;
  /** Lines written, broken and duplicate copies included. */
  lines: number;
  /** Distinct events (before duplication). */
  events: number;
  duplicates: number;
  broken: number;
  late: number;
  truthFile: string;
  truth: Answers;
}

/** The truth file: the answers and the counts of the lake. */
export interface TruthFile extends Answers {
  counts: Pick<GenerateResult, 'files' | 'lines' | 'events' | 'duplicates' | 'broken' | 'late'>;
}

/** A line waiting for the file window its arrival falls in. */
interface Copy {
  arrival: number;
  line: string;
}

interface Bounds {
  start: number;
  finish: number;
}

interface PeriodEventPlan {
  event: 'create' | 'update' | 'delete';
  at: number;
  bounds: Bounds;
}

/** A period's bounds as the warehouse will hold them, and the truth folded so far. */
interface PeriodTruth {
  id: string;
  org: string;
  bounds: Bounds;
  /** Per vehicle: positions inside, distance so far, last position. */
  vehicles: Map<string, { n: number; km: number; lat: number; lng: number }>;
}

interface Vehicle {
  id: string;
  org: string;
  homeLat: number;
  homeLng: number;
  life: Iterator<Fix, undefined>;
  next: Fix | undefined;
}

interface Fix {
  event: 'create' | 'update' | 'register' | 'deregister' | 'delete';
  t: number;
  lat: number;
  lng: number;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const iso = (ms: number): string => new Date(ms).toISOString();

function checkOptions(options: GenerateOptions): Required<Omit<GenerateOptions, 'out'>> {
  const whole = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`gen: --${name} must be a whole number from ${min} to ${max}, got ${value}`, name);
    return value;
  };
  const rate = (name: string, value: number): number => {
    if (!(value >= 0 && value <= 0.5)) throw new ConfigError(`gen: ${name} must be from 0 to 0.5, got ${value}`, name);
    return value;
  };
  const start = options.start ?? '2019-06-01';
  if (!Number.isFinite(Date.parse(`${start}T00:00:00Z`))) throw new ConfigError(`gen: start ${start} is not a day (YYYY-MM-DD)`, 'start');
  const fixSeconds = options.fixSeconds ?? [15, 45];
  if (!(fixSeconds[0] >= 1 && fixSeconds[1] >= fixSeconds[0])) throw new ConfigError(`gen: fixSeconds must be [min ≥ 1, max ≥ min], got ${fixSeconds.join(', ')}`, 'fixSeconds');
  return {
    days: whole('days', options.days, 1, 3660),
    vehicles: whole('vehicles', options.vehicles, 1, 100_000),
    seed: options.seed ?? 1,
    start,
    organisations: whole('organisations', options.organisations ?? 3, 1, 1000),
    filesPerDay: whole('files-per-day', options.filesPerDay ?? 6, 1, 1440),
    fixSeconds,
    lateRate: rate('lateRate', options.lateRate ?? 0.03),
    duplicateRate: rate('duplicateRate', options.duplicateRate ?? 0.01),
    brokenRate: rate('brokenRate', options.brokenRate ?? 0.001),
  };
}

/** Writes a lake and its ground truth; see the module comment. */
export async function generateLake(options: GenerateOptions): Promise<GenerateResult> {
  const o = checkOptions(options);
  const rng = createSeededRandom(o.seed);
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * rng.next();
  const hex = (): string => Math.floor(rng.next() * 2 ** 32).toString(16).padStart(8, '0');
  const begin = Date.parse(`${o.start}T00:00:00Z`);
  const end = begin + o.days * DAY_MS;
  const counts = { files: 0, lines: 0, events: 0, duplicates: 0, broken: 0, late: 0 };
  const waiting: Copy[] = [];

  /** Sends one event: its copies (a duplicate now and then), some late, some cut short. True when a copy survives whole. */
  const send = (line: string, at: number): boolean => {
    counts.events++;
    const copies = rng.next() < o.duplicateRate ? 2 : 1;
    if (copies === 2) counts.duplicates++;
    let delivered = false;
    let arrival = at;
    for (let c = 0; c < copies; c++) {
      const late = rng.next() < o.lateRate;
      if (late) counts.late++;
      arrival = (c === 0 ? at : arrival) + (late ? uniform(5 * MINUTE, 6 * HOUR) : uniform(200, 30_000));
      const broken = rng.next() < o.brokenRate;
      if (broken) counts.broken++;
      else delivered = true;
      waiting.push({ arrival: Math.min(Math.round(arrival), end - 1), line: broken ? line.slice(0, 1 + rng.int(line.length - 2)) : line });
    }
    return delivered;
  };

  const orgs = Array.from({ length: o.organisations }, () => `org-${hex()}`);

  // Operating periods first (they are few): their events go out now, and their bounds as the
  // warehouse will see them (the latest delivered create/update; deleted ones left out) are what
  // the vehicles' positions are folded into.
  const periodsByOrgDay = new Map<string, PeriodTruth[]>();
  const allPeriods: PeriodTruth[] = [];
  for (let d = 0; d < o.days; d++) {
    const dayStart = begin + d * DAY_MS;
    for (const org of orgs) {
      for (const [from, to] of [[6, 14], [14, 22]] as const) {
        const id = `op-${hex()}`;
        const planned = planPeriod(rng, uniform, dayStart + from * HOUR, dayStart + to * HOUR, begin);
        let latest: PeriodEventPlan | undefined;
        let deleted = false;
        for (const plan of planned) {
          const line = JSON.stringify({
            event: plan.event,
            on: 'operating_period',
            at: iso(plan.at),
            data: { id, start: iso(plan.bounds.start), finish: iso(plan.bounds.finish) },
            organization_id: org,
          });
          if (!send(line, plan.at)) continue;
          if (plan.event === 'delete') deleted = true;
          else if (latest === undefined || laterBounds(plan, latest)) latest = plan;
        }
        if (latest === undefined || deleted) continue;
        const truth: PeriodTruth = { id, org, bounds: latest.bounds, vehicles: new Map() };
        allPeriods.push(truth);
        const key = `${org}|${Math.floor((latest.bounds.start - begin) / DAY_MS)}`;
        periodsByOrgDay.set(key, [...(periodsByOrgDay.get(key) ?? []), truth]);
      }
    }
  }

  const vehicles: Vehicle[] = Array.from({ length: o.vehicles }, (_, i) => {
    const homeLat = 52.52 + uniform(-0.06, 0.06);
    const homeLng = 13.405 + uniform(-0.1, 0.1);
    const vehicle: Vehicle = { id: `veh-${hex()}`, org: orgs[i % orgs.length]!, homeLat, homeLng, life: undefined!, next: undefined };
    vehicle.life = vehicleLife(rng, uniform, homeLat, homeLng, begin, o.days, o.fixSeconds, i === 0 && o.days > 1);
    vehicle.next = vehicle.life.next().value;
    return vehicle;
  });

  /** Folds a delivered position into every period of its organisation that holds it. */
  const fold = (vehicle: Vehicle, fix: Fix): void => {
    const day = Math.floor((fix.t - begin) / DAY_MS);
    for (let d = day - 1; d <= day + 1; d++) {
      for (const period of periodsByOrgDay.get(`${vehicle.org}|${d}`) ?? []) {
        if (fix.t < period.bounds.start || fix.t > period.bounds.finish) continue;
        const seen = period.vehicles.get(vehicle.id);
        if (seen === undefined) period.vehicles.set(vehicle.id, { n: 1, km: 0, lat: fix.lat, lng: fix.lng });
        else {
          seen.km += haversineKm(seen.lat, seen.lng, fix.lat, fix.lng);
          seen.n++;
          seen.lat = fix.lat;
          seen.lng = fix.lng;
        }
      }
    }
  };

  const windowMs = DAY_MS / o.filesPerDay;
  const days: string[] = [];
  for (let ws = begin; ws < end; ws += windowMs) {
    const we = Math.min(ws + windowMs, end);
    for (const vehicle of vehicles) {
      while (vehicle.next !== undefined && vehicle.next.t < we) {
        const fix = vehicle.next;
        const at = fix.t + Math.round(uniform(50, 1500));
        const line = JSON.stringify({
          event: fix.event,
          on: 'vehicle',
          at: iso(at),
          data: { id: vehicle.id, location: { lat: fix.lat, lng: fix.lng, at: iso(fix.t) } },
          organization_id: vehicle.org,
        });
        if (send(line, at)) fold(vehicle, fix);
        vehicle.next = vehicle.life.next().value;
      }
    }
    // The window's file: every line whose arrival falls in it (the last window takes the rest).
    const last = we >= end;
    const due: Copy[] = [];
    let keep = 0;
    for (const copy of waiting) {
      if (copy.arrival < we || last) due.push(copy);
      else waiting[keep++] = copy;
    }
    waiting.length = keep;
    if (due.length === 0) continue;
    due.sort((a, b) => a.arrival - b.arrival);
    const day = dayOf(ws);
    if (days[days.length - 1] !== day) {
      days.push(day);
      await mkdir(dayDir(options.out, day), { recursive: true });
    }
    const file = join(dayDir(options.out, day), `${Math.floor(ws / 1000)}.json`);
    await writeFile(`${file}.tmp`, due.map((c) => c.line).join('\n') + '\n');
    await rename(`${file}.tmp`, file);
    counts.files++;
    counts.lines += due.length;
  }

  const operatingPeriods: PeriodAnswer[] = allPeriods
    .map((p) => {
      const inside = [...p.vehicles.values()].filter((v) => v.n >= 2);
      return {
        id: p.id,
        start: iso(p.bounds.start),
        finish: iso(p.bounds.finish),
        vehicles: inside.length,
        averageDistanceKm: inside.length === 0 ? null : inside.reduce((s, v) => s + v.km, 0) / inside.length,
      };
    })
    .sort(byStartThenId);
  const truth: Answers = { operatingPeriods, overallAverageKm: overallMean(operatingPeriods) };
  const truthFile = join(options.out, 'truth.json');
  const file: TruthFile = { ...truth, counts };
  await writeFile(truthFile, JSON.stringify(file, null, 2) + '\n');
  return { lake: options.out, days, ...counts, truthFile, truth };
}

/**
 * The rule the warehouse applies, for the truth: of two creates/updates, the later `at` wins; at the
 * same `at` an update beats a create, then the later finish, then the later start.
 */
function laterBounds(a: PeriodEventPlan, b: PeriodEventPlan): boolean {
  if (a.at !== b.at) return a.at > b.at;
  if (a.event !== b.event) return a.event === 'update';
  if (a.bounds.finish !== b.bounds.finish) return a.bounds.finish > b.bounds.finish;
  return a.bounds.start > b.bounds.start;
}

/** A period's events: a create hours ahead, now and then updates moving its bounds, rarely a delete. */
function planPeriod(rng: SeededRandom, uniform: (lo: number, hi: number) => number, start: number, finish: number, lakeStart: number): PeriodEventPlan[] {
  const jitter = (): number => Math.round(uniform(-30, 30)) * MINUTE + rng.int(1000);
  let bounds = { start: start + jitter(), finish: finish + jitter() };
  const createAt = Math.max(lakeStart + 1000, bounds.start - Math.round(uniform(1 * HOUR, 12 * HOUR)));
  const plans: PeriodEventPlan[] = [{ event: 'create', at: createAt, bounds }];
  let at = createAt;
  for (const chance of [0.5, 0.2]) {
    if (rng.next() >= chance) break;
    at += Math.round(uniform(5 * MINUTE, 2 * HOUR));
    const move = (): number => Math.round(uniform(-45, 45)) * MINUTE;
    const next = { start: bounds.start + move(), finish: bounds.finish + move() };
    if (next.finish - next.start < HOUR) next.finish = next.start + HOUR;
    bounds = next;
    plans.push({ event: 'update', at, bounds });
  }
  if (rng.next() < 0.08) plans.push({ event: 'delete', at: Math.round(uniform(at + MINUTE, bounds.finish)), bounds });
  return plans;
}

/**
 * The fixes of one vehicle over the lake's days, in time order: on most days it drives from early
 * morning to late evening around its home, leg by leg at 15–45 km/h with stops of 1–8 minutes,
 * registering shortly after it sets off and deregistering shortly before it parks. Its first fix is
 * a `create`; the vehicle `deleteAtEnd` is deleted after its last day.
 */
function* vehicleLife(
  rng: SeededRandom,
  uniform: (lo: number, hi: number) => number,
  homeLat: number,
  homeLng: number,
  begin: number,
  days: number,
  fixSeconds: readonly [number, number],
  deleteAtEnd: boolean,
): Generator<Fix, undefined> {
  let lat = homeLat;
  let lng = homeLng;
  let created = false;
  let lastT = begin;
  const target = { lat, lng };
  const newTarget = () => {
    target.lat = homeLat + uniform(-0.04, 0.04);
    target.lng = homeLng + uniform(-0.07, 0.07);
  };
  newTarget();
  let speedKmh = uniform(15, 45);
  for (let d = 0; d < days; d++) {
    if (rng.next() < 0.08) continue; // a day off
    const dayStart = begin + d * DAY_MS;
    const driveStart = dayStart + 5 * HOUR + Math.round(uniform(0, 120)) * MINUTE + rng.int(60_000);
    const driveEnd = dayStart + 22 * HOUR + Math.round(uniform(0, 90)) * MINUTE;
    const registerAt = driveStart + uniform(1, 10) * MINUTE;
    const deregisterAt = driveEnd - uniform(1, 10) * MINUTE;
    if (!created) {
      created = true;
      yield { event: 'create', t: driveStart - MINUTE, lat: round6(lat), lng: round6(lng) };
    }
    let registered = false;
    let deregistered = false;
    let dwellUntil = 0;
    for (let t = driveStart; t < driveEnd; ) {
      let event: Fix['event'] = 'update';
      if (!registered && t >= registerAt) {
        registered = true;
        event = 'register';
      } else if (registered && !deregistered && t >= deregisterAt) {
        deregistered = true;
        event = 'deregister';
      }
      yield { event, t, lat: round6(lat), lng: round6(lng) };
      lastT = t;
      const dt = Math.round(uniform(fixSeconds[0], fixSeconds[1]) * 1000);
      t += dt;
      if (t < dwellUntil) continue; // stopped
      // Drive toward the target; on reaching it, maybe stop, then pick the next leg.
      let km = (speedKmh * dt) / HOUR;
      const kmPerLat = 110.574;
      const kmPerLng = 111.32 * Math.cos((lat * Math.PI) / 180);
      const dy = (target.lat - lat) * kmPerLat;
      const dx = (target.lng - lng) * kmPerLng;
      const left = Math.hypot(dx, dy);
      if (km >= left) {
        km = left;
        newTarget();
        speedKmh = uniform(15, 45);
        if (rng.next() < 0.3) dwellUntil = t + uniform(1, 8) * MINUTE;
      }
      if (left > 0) {
        lat += ((dy / left) * km) / kmPerLat;
        lng += ((dx / left) * km) / kmPerLng;
      }
    }
  }
  if (deleteAtEnd && created) yield { event: 'delete', t: lastT + 5 * MINUTE, lat: round6(lat), lng: round6(lng) };
  return undefined;
}
