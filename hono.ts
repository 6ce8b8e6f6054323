/**
 * `upgradeWebSocket` for Hono apps served by waitress, built on Hono's `hono/ws` contract as
 * `hono/deno` and `hono/bun` build theirs: a Hono app written for them changes only its import.
 *
 * ```ts ignore
 * import { Hono } from "hono";
 * import { upgradeWebSocket } from "@waitress/core/hono"; // was: "hono/deno"
 *
 * const app = new Hono();
 * app.get("/ws", upgradeWebSocket(() => ({
 *   onMessage(event, ws) {
 *     ws.send(`echo: ${event.data}`);
 *   },
 * })));
 * export default app;
 * ```
 *
 * Hono is a peer dependency of this entry point only: `mod.ts` needs nothing.
 *
 * @module
 */

import { defineWebSocketHelper, type UpgradeWebSocket, WSContext } from "hono/ws";
import { upgradeWebSocket as upgrade, type UpgradeWebSocketOptions, WebSocketHandshakeError } from "./mod.ts";

/**
 * Hono middleware (or helper) that accepts a WebSocket on this route: a request without
 * `Upgrade: websocket` goes on to the next handler; an invalid handshake is answered 400 (426 for a
 * version other than 13). `options` are {@linkcode UpgradeWebSocketOptions} (the subprotocol defaults
 * to the client's first, as `hono/deno` does).
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * import { upgradeWebSocket } from "@waitress/core/hono";
 *
 * const app = new Hono();
 * app.get("/ws", upgradeWebSocket(() => ({
 *   onOpen: (_event, ws) => ws.send("hello"),
 *   onMessage: (event, ws) => ws.send(event.data),
 * })));
 * ```
 */
export const upgradeWebSocket: UpgradeWebSocket<unknown, UpgradeWebSocketOptions> = defineWebSocketHelper<unknown, UpgradeWebSocketOptions>((c, events, options) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return;
  const subprotocol = c.req.header("sec-websocket-protocol")?.split(",")[0]?.trim();
  let upgraded: ReturnType<typeof upgrade>;
  try {
    upgraded = upgrade(c.req.raw, { ...(subprotocol ? { protocol: subprotocol } : {}), ...options });
  } catch (error) {
    // Hono would turn it into a 500: answer the handshake's own 400 or 426.
    if (error instanceof WebSocketHandshakeError) return error.response;
    throw error;
  }
  const { socket, response } = upgraded;
  const context = new WSContext({
    send: (source) => socket.send(source),
    close: (code, reason) => socket.close(code, reason),
    raw: socket,
    get protocol() {
      return socket.protocol;
    },
    get readyState() {
      return socket.readyState as 0 | 1 | 2 | 3;
    },
    url: new URL(socket.url),
  });
  socket.binaryType = "arraybuffer";
  socket.onopen = (event) => events.onOpen?.(event, context);
  socket.onmessage = (event) => events.onMessage?.(event as MessageEvent, context);
  socket.onclose = (event) => events.onClose?.(event as CloseEvent, context);
  socket.onerror = (event) => events.onError?.(event, context);
  return response;
});
