/**
 * Report renderers of @sluice/core (pure): `report.json`, `report.md` and a self-contained
 * `report.html` with inline SVG charts, from a `rankCorrelations` result.
 */
export { renderReportJson, toReportJson, type ReportJson, type ReportJsonEntry, type ReportJsonProduct } from './json.js';
export { renderReportMarkdown } from './markdown.js';
export { renderReportHtml } from './html.js';
export { formatLag } from './format.js';
