/**
 * JSON-RPC 2.0 message shapes as MCP uses them, with zod schemas and guards. Pure data: no I/O,
 * and nothing else of ours is imported, so mocks and harness can share it safely.
 */
import { z } from 'zod';

export const JsonRpcIdSchema = z.union([z.string(), z.number().int()]);
export type JsonRpcId = z.infer<typeof JsonRpcIdSchema>;

export const JsonRpcRequestSchema = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: JsonRpcIdSchema,
  method: z.string(),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type JsonRpcRequest = z.infer<typeof JsonRpcRequestSchema>;

export const JsonRpcNotificationSchema = z.looseObject({
  jsonrpc: z.literal('2.0'),
  method: z.string(),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type JsonRpcNotification = z.infer<typeof JsonRpcNotificationSchema>;

export const JsonRpcErrorObjectSchema = z.looseObject({
  code: z.number().int(),
  message: z.string(),
  data: z.unknown().optional(),
});
export type JsonRpcErrorObject = z.infer<typeof JsonRpcErrorObjectSchema>;

export const JsonRpcResultResponseSchema = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: JsonRpcIdSchema,
  result: z.unknown(),
});
export const JsonRpcErrorResponseSchema = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: JsonRpcIdSchema.nullable(),
  error: JsonRpcErrorObjectSchema,
});
export type JsonRpcResultResponse = z.infer<typeof JsonRpcResultResponseSchema>;
export type JsonRpcErrorResponse = z.infer<typeof JsonRpcErrorResponseSchema>;
export type JsonRpcResponse = JsonRpcResultResponse | JsonRpcErrorResponse;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export type MessageKind = 'request' | 'notification' | 'response' | 'invalid';

/** Tells which of the four JSON-RPC shapes a parsed value has, without validating params. */
export function classifyMessage(value: unknown): MessageKind {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'invalid';
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'invalid';
  if (typeof m.method === 'string') {
    if (!('id' in m)) return 'notification';
    return typeof m.id === 'string' || (typeof m.id === 'number' && Number.isInteger(m.id)) ? 'request' : 'invalid';
  }
  if ('result' in m || 'error' in m) return 'response';
  return 'invalid';
}

export function isJsonRpcResponse(value: unknown): value is JsonRpcResponse {
  return classifyMessage(value) === 'response';
}

export { ErrorCode } from './error-codes.ts';

export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown): JsonRpcErrorResponse {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}
