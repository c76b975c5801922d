/** The per-product summary rows shared by the Markdown and HTML reports. */
import type { CorrelationResult, ProductCorrelation, RankedParameter } from '../analytics/types.js';

/** How many top parameters the summary shows per product. */
export const SUMMARY_TOP = 3;

/** A product's line in the summary: its id, intervals, and its top parameters (or why there are none). */
export interface SummaryRow {
  product: ProductCorrelation;
  top: RankedParameter[];
  /** Shown instead of parameters when the product has no ranking. */
  note?: string;
}

/** The summary rows, products in result order. */
export function summaryRows(result: CorrelationResult): SummaryRow[] {
  return result.products.map((product) => {
    const top = product.ranking.slice(0, SUMMARY_TOP);
    if (top.length > 0) return { product, top };
    return { product, top, note: product.reason ?? 'no parameter could be ranked (see the excluded parameters)' };
  });
}

/** What a product's ranking says about significance, or `undefined` when something is significant (or nothing is ranked). */
export function nothingSignificantNote(product: ProductCorrelation, level: number): string | undefined {
  if (product.ranking.length === 0 || product.ranking.some((e) => e.significant)) return undefined;
  const lags = product.lagGridSeconds.length;
  return (
    `Nothing is significant: no parameter's p-value${lags > 1 ? ` (corrected for the ${lags} lags searched)` : ''} stays below ${level} ` +
    `after Holm's correction over the ${product.ranking.length} ranked parameters; the order below is no evidence of a relation.`
  );
}

/** Words for what a parameter's value was: its level or its rate of increase (counter). */
export const measureText = (entry: { measure: 'level' | 'rate' }): string => (entry.measure === 'rate' ? 'rate (counter)' : 'level');
