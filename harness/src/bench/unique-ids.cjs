// autocannon's setupClient for `proxyspec bench`, a CommonJS file because worker threads load it by
// path. Every connection of a bench shares one MCP session, and answers may be routed by JSON-RPC
// id, so no two requests in flight may carry the same id. Each connection gets ids of its own:
// CYCLE prebuilt requests whose ids name the connection, sent in turn. A connection has one request
// in flight at a time, so an id comes back only after CYCLE - 1 others on the same connection have
// been answered. (autocannon's idReplacement would give every request a fresh id, but it declares a
// Content-Length that does not match the ids it generates.)
'use strict';

const { randomBytes } = require('node:crypto');

// The same slot as ID_SLOT in paced.ts (this file cannot import TypeScript); bench-load.test.ts fails if they part.
const SLOT = '[<id>]';
const CYCLE = 64;
// Two worker threads load this file each on its own: a random prefix keeps their ids apart.
const prefix = randomBytes(4).toString('hex');
let next = 0;

module.exports = function uniqueIds(client) {
  const body = client.opts.body === undefined ? '' : String(client.opts.body);
  if (!body.includes(SLOT)) return;
  const connection = `${prefix}-${next++}`;
  client.setRequests(Array.from({ length: CYCLE }, (_, k) => ({ body: body.replace(SLOT, `${connection}-${k}`) })));
};
