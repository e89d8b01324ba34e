/** The mock MCP upstreams: Streamable HTTP and stdio, recording, with a control channel. */
export { startHttpUpstream } from './http-server.ts';
export type { HttpUpstream, HttpUpstreamOptions, UpstreamEra } from './http-server.ts';
export { runStdioUpstream } from './stdio-server.ts';
export type { StdioUpstreamOptions } from './stdio-server.ts';
export { startControlServer } from './control-server.ts';
export type { ControlServer } from './control-server.ts';
export { Recorder } from './recorder.ts';
export type { RecordQuery } from './recorder.ts';
export { McpSession, MOCK_SERVER_INFO } from './mcp-session.ts';
export { TOOLS } from './tools.ts';
export { startSdkHttpUpstream } from './sdk-server.ts';
