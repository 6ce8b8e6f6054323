/**
 * Picks the adapter for the runtime this code runs on, and loads only that one: Deno and Bun never
 * load the Node adapter's `node:net` and `node:worker_threads`, Node never parses the others.
 *
 * @module
 */

import type { Runtime } from "../src/platform.ts";

type RuntimeName = "node" | "deno" | "bun";

/** The runtime this code runs on: Bun, Deno, else Node. */
function runtimeName(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Bun === "object" && g.Bun !== null) return "bun";
  if (typeof g.Deno === "object" && g.Deno !== null) return "deno";
  return "node";
}

// One literal import per adapter, so tsc rewrites `.ts` to `.js` in dist/ and bundlers see each one.
async function importAdapter(name: RuntimeName): Promise<Runtime> {
  switch (name) {
    case "bun":
      return (await import("./bun/runtime.ts")).bunRuntime;
    case "deno":
      return (await import("./deno/runtime.ts")).denoRuntime;
    case "node":
      return (await import("./node/runtime.ts")).nodeRuntime;
  }
}

let loading: Promise<Runtime> | undefined;

/**
 * The adapter for the current runtime, imported on first use (the same promise afterwards).
 *
 * @example
 * ```ts ignore
 * import { loadRuntime } from "./adapters/auto.ts";
 * (await loadRuntime()).name; // "node", "deno" or "bun"
 * ```
 */
export function loadRuntime(): Promise<Runtime> {
  return loading ??= importAdapter(runtimeName());
}
