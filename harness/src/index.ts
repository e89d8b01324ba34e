/**
 * The harness's public API for suite files: declare scenarios, drive the target with the raw client,
 * read the upstream leg, compare what both sides saw.
 */
export { scenario, ScenarioContext, TargetFailure, describeCall } from './checks/scenario.ts';
export type { IsolatedTarget } from './checks/scenario.ts';
export { McpClient, resultOf } from './client/mcp-client.ts';
export type { CallResult } from './client/mcp-client.ts';
export { exchangeMessages, findResponse, requestMessages } from './client/exchange.ts';
export { rawHttp } from './client/raw-http.ts';
export { inPool, openingRequest } from './client/bulk.ts';
export { openListen, type Listen } from './client/listen.ts';
export { issueToken, forge, hostileCases, tokenRequests, validClaims } from './auth/tokens.ts';
export { Browser, formsOf, textOf, throughAuthorizationServer, type Form, type SetCookie, type Visit } from './auth/browser.ts';
export type { Exchange, SseEventRecord } from './client/exchange.ts';
export { bodyJson, bodyText, placesCarrying, recordHeader, recordMethod } from './record/upstream-view.ts';
export { waitUntil } from './record/wait.ts';
export { diffJson, withoutId } from './record/compare.ts';
export { targetRss } from './record/process-memory.ts';
export { messageSchemas, type SchemaProblem } from './record/schema-valid.ts';
export { SCHEMA_CHECK, scanMessages, type MessageScan } from './record/message-scan.ts';
export { slope } from './record/fit.ts';
export { answerView, bridgeOf, bridgeSeen, requestView, type Bridge } from './record/bridge-view.ts';
export { startFloorProxy } from './targets/own-process.ts';
export { CID_META_KEY, CACHE_SCOPE_META_KEY, SERVED_META_KEY, FAULT_META_KEY, HTTP_STATUS_META_KEY, META, errorCodes, forbiddenErrorCode, revisionsOfEra, LATEST_SESSION_REVISION, preciseNow, type Revision, type UpstreamRecord } from '../../wire/index.ts';
