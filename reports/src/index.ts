/** Report model and writers. */
export { ReportSchema, CheckReportSchema, LevelReportSchema, REPORT_SCHEMA_VERSION, reportJsonSchema } from './schema.ts';
export type { Report, CheckReport, LevelReport, LevelState, ReportVerdict } from './schema.ts';
export { toJson } from './json.ts';
export { toJunit } from './junit.ts';
export { toMarkdown } from './markdown.ts';
export { toHtml } from './html.ts';
export { toTerminal, verdictCounts } from './terminal.ts';
export { writeReports } from './write.ts';
export { PerfSchema, PERF_SCHEMA_VERSION, perfJsonSchema } from './perf-schema.ts';
export type { Perf, PerfRound, PerfSummary } from './perf-schema.ts';
export { perfHtml, perfTerminal, writePerf } from './perf.ts';
export { compareHtml, compareTerminal, diffRuns } from './compare.ts';
export type { ComparedRun, VerdictChange } from './compare.ts';
