/**
 * Name resolution on Node: the system resolver (`getaddrinfo`, through `node:dns`).
 *
 * @module
 */

import { lookup as dnsLookup } from "node:dns/promises";

/**
 * Every address of `host` (the Runtime's `lookup`).
 *
 * @example
 * ```ts ignore
 * await lookup("localhost"); // [{ address: "127.0.0.1", family: 4 }, …]
 * ```
 */
export async function lookup(host: string): Promise<{ address: string; family: 4 | 6 }[]> {
  const found = await dnsLookup(host, { all: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 as const : 4 as const }));
}
