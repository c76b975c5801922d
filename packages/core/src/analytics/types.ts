/**
 * Inputs, options and results of `rankCorrelations`. Ids are kept as given: a number stays a
 * number, a string a string (and 1 and "1" are different ids).
 */

/** A parameter or product id as it appears in the input. */
export type MachineDataId = number | string;

/**
 * Metric samples as parallel columns, the fast path for millions of samples (no object per sample).
 * `time` is epoch milliseconds (any consistent unit works; rates are then per 1000 units).
 */
export interface MetricColumns {
  readonly id: ArrayLike<MachineDataId>;
  readonly val: ArrayLike<number>;
  readonly time: ArrayLike<number>;
}

/** How a parameter enters the correlation. */
export type ParameterKind = 'gauge' | 'counter';

/** What was correlated with the output rate: a gauge's level, or a counter's rate of increase. */
export type ParameterMeasure = 'level' | 'rate';

/** Options of `rankCorrelations`; every one has a documented default. */
export interface CorrelationOptions {
  /**
   * An interval between two consecutive readings of a product longer than `gapFactor` × the
   * product's median interval means the product was not running: it is skipped. Default 3.
   */
  gapFactor?: number;
  /**
   * A drop of a cumulative counter is a reset (not negative output) when it exceeds half the
   * previous reading or `resetFactor` × the counter's median positive step. Default 3.
   */
  resetFactor?: number;
  /**
   * How far (× the larger of the product's median interval and the parameter's median sampling
   * step) a sample may lie from the point it is interpolated at. Default 2.
   */
  reachFactor?: number;
  /** Fewest aligned intervals a correlation needs (at least 5). Default 5. */
  minIntervals?: number;
  /**
   * `linear` (default) removes each series' least-squares line against time before correlating,
   * so two series that merely drift together do not show up as related; `none` correlates as is.
   */
  detrend?: 'linear' | 'none';
  /**
   * A parameter is detected as a cumulative counter when at least this share of its non-zero,
   * non-reset steps rise and at least half of all its steps rise. Default 0.75.
   */
  counterRiseFraction?: number;
  /** Parameters to treat as counters whatever the detection says. */
  counters?: readonly MachineDataId[];
  /** Parameters to treat as gauges whatever the detection says. */
  gauges?: readonly MachineDataId[];
  /** How many top-ranked parameters per product get aligned points in `series`. Default 3. */
  seriesTop?: number;
  /** Confidence level of the intervals. Default 0.95. */
  confidenceLevel?: number;
  /**
   * Longest process delay searched, in seconds (of epoch-ms input time: the search shifts by
   * `maxLagSeconds` × 1000 input units). Each parameter is correlated with output at lags
   * Δ = 0, step, 2 × step, … ≤ `maxLagSeconds`, where step = the product's median interval; its
   * level is taken over the interval shifted back by Δ. 0 turns the search off. Default 21600 (6 h).
   */
  maxLagSeconds?: number;
  /** At most this many lag steps per product (the step is widened when the median interval is short). Default 48. */
  maxLagSteps?: number;
  /**
   * Family-wise level of the `significant` flag: a ranked parameter is significant when its p-value
   * (already corrected for the lags searched) stays below this level after Holm's correction over all
   * of the product's ranked parameters. Default 0.05.
   */
  significanceLevel?: number;
}

/** The options after defaults. */
export interface ResolvedCorrelationOptions {
  gapFactor: number;
  resetFactor: number;
  reachFactor: number;
  minIntervals: number;
  detrend: 'linear' | 'none';
  counterRiseFraction: number;
  counters: readonly MachineDataId[];
  gauges: readonly MachineDataId[];
  seriesTop: number;
  confidenceLevel: number;
  maxLagSeconds: number;
  maxLagSteps: number;
  significanceLevel: number;
}

/** What the analysis found out about one parameter's samples. */
export interface ParameterSummary {
  parameter: MachineDataId;
  kind: ParameterKind;
  /** Whether `kind` was detected from the data or set by the `counters`/`gauges` option. */
  kindFrom: 'detected' | 'option';
  /** Distinct samples used. */
  samples: number;
  /** Samples dropped because another sample of the parameter has the same time (the last one is kept). */
  duplicates: number;
  /** Samples ignored because their time or value is not a finite number. */
  invalid: number;
  /** Counter resets found (0 for gauges). */
  resets: number;
}

/** r of a parameter with a product's output at each lag searched (lags where it had a value). */
export interface LagProfile {
  /** Lags Δ in seconds (input time unit ÷ 1000), ascending. */
  lagSeconds: number[];
  /** Pearson r at each lag (after detrending when enabled). */
  r: number[];
}

/** One parameter's relation to a product's output rate, at the lag where it is strongest. */
export interface RankedParameter {
  parameter: MachineDataId;
  kind: ParameterKind;
  measure: ParameterMeasure;
  /**
   * The process delay with the strongest relation (smallest p-value before correction), in seconds:
   * the parameter's value over [start − lag, end − lag) is paired with the output over [start, end).
   */
  lagSeconds: number;
  /** Pearson r at that lag (after detrending when enabled). */
  r: number;
  /** Spearman rho of the same pairs. */
  spearman: number;
  /** Aligned intervals (pairs) at that lag. */
  n: number;
  /**
   * Effective number of independent pairs behind `p` and `ci`: `n` shrunk for the lag-1
   * autocorrelation of both series, n × (1 − a·b) ÷ (1 + a·b) (never above `n`).
   */
  nEffective: number;
  /**
   * Two-sided p-value of r, corrected for the number of lags searched (Šidák: 1 − (1 − p_min)^lags),
   * so a search over many lags does not make chance relations look strong. Ranking is by this value.
   */
  p: number;
  /** Lags at which the parameter could be correlated (the number of tries `p` pays for). */
  lags: number;
  /** Whether `p` stays below `significanceLevel` after Holm's correction over the product's ranked parameters. */
  significant: boolean;
  /** Confidence interval of r (Fisher z, from `nEffective`) at `confidenceLevel`; not widened for the lag search. */
  ci: [number, number];
  /** r at every lag searched. */
  lagProfile: LagProfile;
}

/** Why a parameter could not be ranked for a product. */
export type ExclusionStatus = 'too-few-intervals' | 'zero-variance';

/** A parameter left out of a product's ranking, with the reason. */
export interface ExcludedParameter {
  parameter: MachineDataId;
  kind: ParameterKind;
  measure: ParameterMeasure;
  n: number;
  status: ExclusionStatus;
  reason: string;
}

/** Aligned points for plotting: per interval, the parameter's level or rate and the output rate. */
export interface ParameterSeries {
  parameter: MachineDataId;
  measure: ParameterMeasure;
  /** Interval midpoints (input time unit). */
  t: number[];
  /** The lag of the ranking entry: `x` is measured over each interval shifted back by it. */
  lagSeconds: number;
  /** Parameter level (gauge) or rate per second (counter), as measured, not detrended. */
  x: number[];
  /** Output per second over the interval, not detrended. */
  y: number[];
}

/** The analysis of one product. */
export interface ProductCorrelation {
  product: MachineDataId;
  /** `ok`, or `insufficient-data` when the product has fewer usable intervals than `minIntervals`. */
  status: 'ok' | 'insufficient-data';
  /** Why the status is not `ok`. */
  reason?: string;
  /** Distinct readings of the production counter. */
  readings: number;
  /** Readings dropped as duplicates of the same time (the last one is kept). */
  duplicates: number;
  /** Readings ignored because their time or production is not a finite number. */
  invalid: number;
  /** Usable intervals between consecutive readings. */
  intervals: number;
  /** Intervals skipped: too long (not running) or containing a counter reset. */
  skipped: { gaps: number; resets: number };
  /** Median time between consecutive readings (input time unit). */
  medianInterval: number;
  /** The lags searched for this product, in seconds (0 first; `[0]` when the search is off). */
  lagGridSeconds: number[];
  /** Ranked parameters, smallest (lag-corrected) p first, then strongest |r|, ties by parameter id. */
  ranking: RankedParameter[];
  /** Parameters that could not be ranked, with their reasons. */
  excluded: ExcludedParameter[];
  /** Aligned points of the top `seriesTop` ranked parameters, in ranking order. */
  series: ParameterSeries[];
}

/** Everything `rankCorrelations` found. */
export interface CorrelationResult {
  /** The options used, defaults filled in. */
  options: ResolvedCorrelationOptions;
  /** Every parameter seen, by id. */
  parameters: ParameterSummary[];
  /** Every product seen, by id. */
  products: ProductCorrelation[];
  /** Records ignored because their id (metric `id`, work-order `product`) is not a number or non-empty string. */
  unidentified: { metrics: number; workorders: number };
}
