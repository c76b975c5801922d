/** `report.json`: the ranking per product in a fixed, documented shape. */
import type { CorrelationResult, MachineDataId } from '../analytics/types.js';

/** One ranked parameter in `report.json`. */
export interface ReportJsonEntry {
  parameter: MachineDataId;
  r: number;
  spearman: number;
  n: number;
  p: number;
  ci: [number, number];
  /** The process delay (seconds) at which the relation is strongest; `r`, `n`, `p`, `ci` are at that lag (`p` corrected for the lags searched). */
  lagSeconds: number;
}

/** One product in `report.json`. */
export interface ReportJsonProduct {
  product: MachineDataId;
  intervals: number;
  ranking: ReportJsonEntry[];
}

/** The document: `{"products": [...]}`. */
export interface ReportJson {
  products: ReportJsonProduct[];
}

/**
 * The report as a plain object in exactly the documented shape: per product its id (as in the
 * input), usable intervals and ranking (smallest lag-corrected p first) with
 * `parameter, r, spearman, n, p, ci, lagSeconds`.
 * How each parameter was measured, and what was excluded and why, is in report.html / report.md.
 */
export function toReportJson(result: CorrelationResult): ReportJson {
  return {
    products: result.products.map((product) => ({
      product: product.product,
      intervals: product.intervals,
      ranking: product.ranking.map((e) => ({ parameter: e.parameter, r: e.r, spearman: e.spearman, n: e.n, p: e.p, ci: [e.ci[0], e.ci[1]], lagSeconds: e.lagSeconds })),
    })),
  };
}

/** `report.json` text (two-space indented, ending with a newline). */
export function renderReportJson(result: CorrelationResult): string {
  return `${JSON.stringify(toReportJson(result), null, 2)}\n`;
}
