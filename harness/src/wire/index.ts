/** The wire vocabulary shared by the harness and the mocks. */
export {
  JsonRpcIdSchema,
  JsonRpcRequestSchema,
  JsonRpcNotificationSchema,
  JsonRpcErrorObjectSchema,
  JsonRpcResultResponseSchema,
  JsonRpcErrorResponseSchema,
  classifyMessage,
  isJsonRpcRequest,
  isJsonRpcNotification,
  isJsonRpcResponse,
  isJsonRpcErrorResponse,
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
export {
  REVISIONS,
  RevisionSchema,
  DEFAULT_REVISION,
  STREAMABLE_HTTP_REVISIONS,
  HEADER,
  sendsProtocolVersionHeader,
  allowsBatches,
  CID_META_KEY,
  SSE_META_KEY,
  HTTP_STATUS_META_KEY,
  FAULT_META_KEY,
  newCorrelationId,
  findCorrelationIds,
  preciseNow,
} from './protocol.ts';
export type { Revision, Fault } from './protocol.ts';
export { UpstreamRecordSchema, ConnectionRecordSchema, recordBodyText, recordBodyJson } from './records.ts';
export type { UpstreamRecord, ConnectionRecord } from './records.ts';
export { formatSseEvent } from './sse.ts';
