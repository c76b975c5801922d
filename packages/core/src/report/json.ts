/** `report.json`: the ranking per product in a fixed, documented shape. */
import type { CorrelationResult, MachineDataId, ParameterKind, ParameterMeasure } from '../analytics/types.js';

/** One ranked parameter in `report.json`. */
export interface ReportJsonEntry {
  parameter: MachineDataId;
  r: number;
  spearman: number;
  n: number;
  p: number;
  ci: [number, number];
  kind: ParameterKind;
  measure: ParameterMeasure;
}

/** One product in `report.json`. */
export interface ReportJsonProduct {
  product: MachineDataId;
  intervals: number;
  ranking: ReportJsonEntry[];
  status: 'ok' | 'insufficient-data';
  reason?: string;
  skipped: { gaps: number; resets: number };
  excluded: { parameter: MachineDataId; n: number; status: string; reason: string }[];
}

/** The document: `{"products": [...]}`. */
export interface ReportJson {
  products: ReportJsonProduct[];
}

/**
 * The report as a plain object: per product its id (as in the input), usable intervals and ranking
 * (strongest first) with `parameter, r, spearman, n, p, ci`; `kind`/`measure` say whether a parameter
 * was treated as a counter (its rate) or a gauge (its level). Excluded parameters come with reasons.
 */
export function toReportJson(result: CorrelationResult): ReportJson {
  return {
    products: result.products.map((product) => ({
      product: product.product,
      intervals: product.intervals,
      ranking: product.ranking.map((e) => ({
        parameter: e.parameter,
        r: e.r,
        spearman: e.spearman,
        n: e.n,
        p: e.p,
        ci: [e.ci[0], e.ci[1]],
        kind: e.kind,
        measure: e.measure,
      })),
      status: product.status,
      ...(product.reason === undefined ? {} : { reason: product.reason }),
      skipped: { ...product.skipped },
      excluded: product.excluded.map((e) => ({ parameter: e.parameter, n: e.n, status: e.status, reason: e.reason })),
    })),
  };
}

/** `report.json` text (two-space indented, ending with a newline). */
export function renderReportJson(result: CorrelationResult): string {
  return `${JSON.stringify(toReportJson(result), null, 2)}\n`;
}
