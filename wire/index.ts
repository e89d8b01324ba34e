/** The wire vocabulary shared by the harness and the mocks. */
export {
  JsonRpcIdSchema,
  JsonRpcRequestSchema,
  JsonRpcNotificationSchema,
  JsonRpcErrorObjectSchema,
  JsonRpcResultResponseSchema,
  JsonRpcErrorResponseSchema,
  classifyMessage,
  isJsonRpcResponse,
  ErrorCode,
  errorResponse,
} from './jsonrpc.ts';
export type {
  JsonRpcId,
  JsonRpcRequest,
  JsonRpcNotification,
  JsonRpcErrorObject,
  JsonRpcResultResponse,
  JsonRpcErrorResponse,
  JsonRpcResponse,
  JsonRpcMessage,
  MessageKind,
} from './jsonrpc.ts';
export { REVISIONS, LATEST_REVISION, MECHANISMS, isRevision, has, revisionsWith, missingIn, errorCodes, forbiddenErrorCode, retiredWithoutReplacement, isStateless, revisionsOfEra, LATEST_SESSION_REVISION, whyLacking } from './revisions.ts';
export type { Revision, Mechanism, RevisionErrors } from './revisions.ts';
export {
  RevisionSchema,
  DEFAULT_REVISION,
  HEADER,
  sendsProtocolVersionHeader,
  allowsBatches,
  CID_META_KEY,
  SSE_META_KEY,
  HTTP_STATUS_META_KEY,
  FAULT_META_KEY,
  CACHE_SCOPE_META_KEY,
  SERVED_META_KEY,
  newCorrelationId,
  findCorrelationIds,
  preciseNow,
} from './protocol.ts';
export { UpstreamRecordSchema, ConnectionRecordSchema, recordBodyText, recordBodyJson } from './records.ts';
export type { UpstreamRecord, ConnectionRecord } from './records.ts';
export { formatSseEvent } from './sse.ts';
export { LOG_LEVELS, META, METHOD_HEADER, NAME_HEADER, PARAM_HEADER_PREFIX, requestProtocolVersion, encodeHeaderValue, decodeHeaderValue, mirroredHeaders, headerMismatch } from './stateless.ts';
export { paramHeadersOf, paramHeadersFor, paramHeaderMismatch, type ParamHeader } from './param-headers.ts';
