/** Server-Sent Events framing (the writing side; reading uses eventsource-parser). */

export interface SseEventFields {
  id?: string;
  event?: string;
  retry?: number;
  data: string;
}

/** Frames one SSE event; multi-line data becomes several `data:` lines as the format requires. */
export function formatSseEvent(fields: SseEventFields): string {
  let out = '';
  if (fields.id !== undefined) out += `id: ${fields.id}\n`;
  if (fields.event !== undefined) out += `event: ${fields.event}\n`;
  if (fields.retry !== undefined) out += `retry: ${fields.retry}\n`;
  for (const line of fields.data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}
