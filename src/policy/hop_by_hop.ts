/**
 * Hop-by-hop headers an application set. They are always dropped: the connection and its framing
 * are the server's. Frameworks set some as a matter of course (Hono's `streamSSE` sends
 * `Transfer-Encoding: chunked` and `Connection: keep-alive`), so one that says what the server does
 * anyway is logged at debug level only, and any other is warned about once per header name per
 * server, then at debug level.
 *
 * @module
 */

import type { Logger } from "./logger.ts";

/** The header names already warned about, per server (keyed by its shared connection config). */
const warned = new WeakMap<object, Set<string>>();

/**
 * Whether an application's hop-by-hop header says what the server does anyway:
 * `Transfer-Encoding: chunked` (a body of unknown length; the server frames every body itself), or
 * `Connection` tokens that all match the server's choice (`keep-alive` when the connection stays
 * open, `close` when it closes).
 *
 * @example
 * ```ts
 * import { agreesWithServer } from "./hop_by_hop.ts";
 * agreesWithServer("connection", "keep-alive", true); // true
 * agreesWithServer("connection", "close", true); // false
 * ```
 */
export function agreesWithServer(name: string, value: string, keepAlive: boolean): boolean {
  if (name === "transfer-encoding") return value.trim().toLowerCase() === "chunked";
  if (name !== "connection") return false;
  const expected = keepAlive ? "keep-alive" : "close";
  let seen = false;
  for (const token of value.split(",")) {
    const t = token.trim().toLowerCase();
    if (t === "") continue;
    if (t !== expected) return false;
    seen = true;
  }
  return seen;
}

/**
 * Logs the hop-by-hop headers (flat `[name, value, ...]`) dropped from a response to `target`:
 * at debug level when they agree with the server or their name was warned about already for this
 * `server`, as a warning otherwise.
 *
 * @example
 * ```ts ignore
 * reportHopByHop(logger, config, ["connection", "keep-alive"], true, "/events");
 * ```
 */
export function reportHopByHop(logger: Logger, server: object, dropped: string[], keepAlive: boolean, target: string): void {
  for (let i = 0; i < dropped.length; i += 2) {
    const name = dropped[i];
    const value = dropped[i + 1];
    const what = `hop-by-hop header "${name}" (${JSON.stringify(value)}) set by the application for ${target}`;
    if (agreesWithServer(name, value, keepAlive)) {
      logger.debug(`Dropped ${what}: the server does that anyway`);
      continue;
    }
    let names = warned.get(server);
    if (names === undefined) warned.set(server, names = new Set());
    if (names.has(name)) {
      logger.debug(`Dropped ${what}`);
      continue;
    }
    names.add(name);
    logger.warning(`Dropped ${what}: the connection is the server's (warned once per header name; later ones at debug level)`);
  }
}
