/**
 * The handler an app module exports: what a worker thread serves, and what a server with
 * `threads: 0` serves when the app is given as a module. Apart from worker_main.ts so that the
 * inline case does not load thread mode.
 *
 * @module
 */

import type { FetchHandler } from "../serve/connection.ts";

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object without a fetch method";
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}

/**
 * The handler a module exports under `exportName` (`default`, a name or a dotted path such as
 * `app.fetch`): a function, or an object with a `fetch` method. Throws a `TypeError` naming the
 * module and what it exports otherwise.
 *
 * @example
 * ```ts
 * import { handlerFromModule } from "./app_export.ts";
 * const handler = handlerFromModule({ default: { fetch: () => new Response("ok") } }, "default", "file:///app.js");
 * ```
 */
export function handlerFromModule(namespace: Record<string, unknown>, exportName: string, moduleUrl: string): FetchHandler {
  const path = exportName.split(".");
  let value: unknown = namespace;
  let parent: unknown;
  for (let i = 0; i < path.length; i++) {
    const name = path[i];
    const holder = value;
    if (holder === null || (typeof holder !== "object" && typeof holder !== "function") || !(name in (holder as object))) {
      if (i === 0) {
        const names = Object.keys(namespace).sort().map((n) => JSON.stringify(n));
        const list = names.length > 0 ? `it exports ${names.join(", ")}` : "it exports nothing";
        throw new TypeError(`Module ${JSON.stringify(moduleUrl)} has no export ${JSON.stringify(name)} (${list}); name one with the "export" option`);
      }
      throw new TypeError(`Export ${JSON.stringify(path.slice(0, i).join("."))} of ${JSON.stringify(moduleUrl)} has no property ${JSON.stringify(name)}`);
    }
    parent = i === 0 ? undefined : holder;
    value = (holder as Record<string, unknown>)[name];
  }
  if (typeof value === "function") {
    const fn = value as FetchHandler;
    return parent === undefined ? fn : fn.bind(parent); // `app.fetch` is usually a method
  }
  if (value !== null && typeof value === "object" && typeof (value as { fetch?: unknown }).fetch === "function") {
    const target = value as { fetch: FetchHandler };
    return (request, info) => target.fetch(request, info);
  }
  throw new TypeError(`Export ${JSON.stringify(exportName)} of ${JSON.stringify(moduleUrl)} is ${describe(value)}, not a handler: ` +
    "export a function (request, info) => Response or an object with a fetch method");
}
