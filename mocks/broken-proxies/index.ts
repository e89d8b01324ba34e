/** Deliberately broken proxies (and one correct one) that prove each check can fail. */
export { startBrokenProxy } from './pass-through.ts';
export type { BrokenProxy, BrokenProxyOptions } from './pass-through.ts';
export { DEFECTS } from './defects.ts';
export type { Defect } from './defects.ts';
export { buildDefectiveReference, REFERENCE_DEFECTS } from './reference-defects.ts';
export type { ReferenceDefect } from './reference-defects.ts';
export { startMultiplexer } from './multiplexer.ts';
export type { MultiplexerOptions } from './multiplexer.ts';
