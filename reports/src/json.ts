/** report.json: validated against the schema before it is written, so a report on disk is always valid. */
import { ReportSchema, type Report } from './schema.ts';

export function toJson(report: Report): string {
  return `${JSON.stringify(ReportSchema.parse(report), null, 2)}\n`;
}
