/**
 * Picks the adapter for the runtime this code runs on.
 *
 * @module
 */

import type { Runtime } from "../src/platform.ts";
import { nodeRuntime } from "./node.ts";
import { denoRuntime } from "./deno.ts";
import { bunRuntime } from "./bun.ts";

/**
 * The adapter for the current runtime: Bun, Deno, or Node.
 *
 * @example
 * ```ts ignore
 * import { currentRuntime } from "./adapters/auto.ts";
 * currentRuntime().name; // "node", "deno" or "bun"
 * ```
 */
export function currentRuntime(): Runtime {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Bun === "object" && g.Bun !== null) return bunRuntime;
  if (typeof g.Deno === "object" && g.Deno !== null) return denoRuntime;
  return nodeRuntime;
}
