/**
 * Name resolution on Bun: `Bun.dns.lookup` (the system's resolver configuration, every address).
 *
 * @module
 */

import { bun } from "./api.ts";

/**
 * Every address of `host` (the Runtime's `lookup`).
 *
 * @example
 * ```ts ignore
 * await lookup("localhost"); // [{ address: "127.0.0.1", family: 4 }, …]
 * ```
 */
export async function lookup(host: string): Promise<{ address: string; family: 4 | 6 }[]> {
  const found = await bun().dns.lookup(host, { family: 0 });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 as const : 4 as const }));
}
