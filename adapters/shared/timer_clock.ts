/**
 * The clock port on the standard timers (`setTimeout`/`setInterval`, which every runtime has), with
 * the runtime's own way of keeping a timer from holding the process open.
 *
 * @module
 */

import type { Clock } from "../../src/platform.ts";

/**
 * A {@linkcode Clock} whose timers never keep the process alive: `unref` is called on every timer
 * (Node and Bun: `timer.unref()`; Deno: `Deno.unrefTimer(id)`).
 *
 * @example
 * ```ts ignore
 * const clock = timerClock((timer) => (timer as { unref(): void }).unref());
 * const stop = clock.every(1000, () => console.log(clock.now()));
 * ```
 */
export function timerClock(unref: (timer: unknown) => void): Clock {
  return {
    now: () => Date.now(),
    every(ms, fn) {
      const timer = setInterval(fn, ms);
      unref(timer);
      return () => clearInterval(timer);
    },
    after(ms, fn) {
      const timer = setTimeout(fn, ms);
      unref(timer);
      return () => clearTimeout(timer);
    },
    // No timer delay: setTimeout(fn, 0) waits about a millisecond on every runtime, setImmediate 1-2 µs.
    soon: (fn) => void setImmediate(fn),
  };
}
