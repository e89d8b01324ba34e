/** Report model and writers. */
export { ReportSchema, CheckReportSchema, LevelReportSchema, REPORT_SCHEMA_VERSION, reportJsonSchema } from './schema.ts';
export type { Report, CheckReport, LevelReport, LevelState, ReportVerdict } from './schema.ts';
export { toJson } from './json.ts';
export { toJunit } from './junit.ts';
export { toMarkdown } from './markdown.ts';
export { toHtml } from './html.ts';
export { toTerminal } from './terminal.ts';
export { writeReports } from './write.ts';
