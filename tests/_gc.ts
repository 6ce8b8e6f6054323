/**
 * A full garbage collection on demand, on every runtime: `Bun.gc(true)` on Bun, V8's `gc` (exposed
 * through node:v8 and node:vm) on Node and Deno. Used by the leak tests (and the thread fixture, in a
 * worker) to see which objects a FinalizationRegistry reports collected.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";

let gc: (() => void) | undefined;

/**
 * Runs a full garbage collection now.
 *
 * @example
 * ```ts
 * forceGc();
 * ```
 */
export function forceGc(): void {
  if (gc === undefined) {
    const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
    if (bun !== undefined) gc = () => bun.gc(true);
    else {
      v8.setFlagsFromString("--expose-gc");
      gc = vm.runInNewContext("gc") as () => void;
    }
  }
  gc();
}
