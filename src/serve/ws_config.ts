/**
 * What a server sets up for WebSockets before any handshake: the inline handler that offers requests
 * with `Connection: upgrade` to `upgradeWebSocket()`, and the settings every session shares. The
 * sessions themselves (ws_upgrade.ts, ws_session.ts) load at the first handshake.
 *
 * @module
 */

import type { Runtime } from "../platform.ts";
import type { Logger } from "../policy/logger.ts";
import type { Settings } from "../settings/adjustments.ts";
import type { RequestFactory } from "../web/request.ts";
import { offerUpgrade } from "../web/upgrade_websocket.ts";
import type { ExchangeHandler, FetchHandler } from "./connection_config.ts";
import type { WsSessionConfig } from "./ws_session.ts";
import type * as WsUpgrade from "./ws_upgrade.ts";

let wsUpgrade: Promise<typeof WsUpgrade> | undefined;

/**
 * ws_upgrade.ts and the WebSocket session and protocol under it, loaded at the first handshake: a
 * plain server never needs them.
 *
 * @example
 * ```ts ignore
 * const { switchProtocols } = await loadWsUpgrade();
 * ```
 */
export function loadWsUpgrade(): Promise<typeof WsUpgrade> {
  return wsUpgrade ??= import("./ws_upgrade.ts");
}

/**
 * The connection's handler for an inline Fetch app: builds the runtime's `Request` and, for a request
 * that may switch protocols, offers it to `upgradeWebSocket()`.
 *
 * @example
 * ```ts ignore
 * const handler = inlineHandler(app, runtime.createRequest);
 * ```
 */
export function inlineHandler(app: FetchHandler, createRequest: RequestFactory): ExchangeHandler {
  return (parts, info) => {
    const request = createRequest(parts);
    if (parts.upgrade !== undefined) offerUpgrade(request, parts.upgrade);
    return app(request, info);
  };
}

/**
 * What every WebSocket session of a server shares, from its settings and runtime.
 *
 * @example
 * ```ts ignore
 * const config = webSocketConfig(settings, runtime, logger);
 * ```
 */
export function webSocketConfig(settings: Settings, runtime: Runtime, logger: Logger): WsSessionConfig {
  return {
    maxMessageSize: settings.wsMaxMessageSize,
    maxFragments: settings.wsMaxFragments,
    pingIntervalMs: settings.wsPingInterval * 1000,
    pingTimeoutMs: settings.wsPingTimeout * 1000,
    maxBufferedBytes: settings.outbufHighWatermark,
    deflate: settings.wsPerMessageDeflate ? runtime.deflate : undefined,
    logger,
    reportListenerError: (error) => logger.error("Exception in a WebSocket listener", error),
    now: runtime.clock.now,
    after: runtime.clock.after,
  };
}
