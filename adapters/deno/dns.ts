/**
 * Name resolution on Deno: `Deno.resolveDns` (A and AAAA records), and `localhost` answered here as
 * the system resolver would (DNS servers do not know it).
 *
 * @module
 */

import { deno } from "./api.ts";

/**
 * Every address of `host` (the Runtime's `lookup`).
 *
 * @example
 * ```ts ignore
 * await lookup("localhost"); // [{ address: "127.0.0.1", family: 4 }, { address: "::1", family: 6 }]
 * ```
 */
export async function lookup(host: string): Promise<{ address: string; family: 4 | 6 }[]> {
  if (host === "localhost") return [{ address: "127.0.0.1", family: 4 }, { address: "::1", family: 6 }];
  const api = deno();
  const [v4, v6] = await Promise.all([
    api.resolveDns(host, "A").catch(() => [] as string[]),
    api.resolveDns(host, "AAAA").catch(() => [] as string[]),
  ]);
  return [...v4.map((address) => ({ address, family: 4 as const })), ...v6.map((address) => ({ address, family: 6 as const }))];
}
