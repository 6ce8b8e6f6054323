/**
 * The runtime's own `Response` and `Request` classes, read only when something needs them.
 *
 * Node 20 defines the Fetch classes as lazy getters on `globalThis` that load undici on first read
 * (about 12 MiB resident). A server whose app answers with our `FastResponse` and never looks past
 * the lazy request should not pay that at start-up, so this module keeps the globals' original
 * property descriptors (taken before `Response` is swapped for `FastResponse`) and reads them on
 * first use. On Deno and Bun the classes are plain values and nothing is deferred.
 *
 * @module
 */

type FetchClass = "Response" | "Request";

// Taken at load, before anyone replaces the global (FastResponse is installed after this module ran).
const descriptors: Record<FetchClass, PropertyDescriptor | undefined> = {
  Response: Object.getOwnPropertyDescriptor(globalThis, "Response"),
  Request: Object.getOwnPropertyDescriptor(globalThis, "Request"),
};
const resolved: { Response?: typeof Response; Request?: typeof Request } = {};
const links: { [K in FetchClass]: ((native: never) => void)[] } = { Response: [], Request: [] };
type ClassOf<K extends FetchClass> = K extends "Response" ? typeof Response : typeof Request;

/** Reads a class through its original descriptor, leaving whatever `globalThis` holds now in place. */
function read<K extends FetchClass>(name: K): ClassOf<K> {
  const original = descriptors[name];
  if (original === undefined) {
    throw new ReferenceError(`${name} is not defined: this runtime has no Fetch API (use Node 20+, Deno or Bun)`);
  }
  if (original.get === undefined) return original.value as ClassOf<K>;
  const current = Object.getOwnPropertyDescriptor(globalThis, name);
  const value = original.get.call(globalThis) as ClassOf<K>;
  // Node's getter also redefines the global as the value it loaded: put back a replacement made since.
  if (current !== undefined && current.get !== original.get) Object.defineProperty(globalThis, name, current);
  return value;
}

/**
 * The runtime's native `Response` or `Request` class, also after the global was replaced. The first
 * call runs the links given to {@linkcode onNativeClass}.
 *
 * @example
 * ```ts
 * import { nativeClass } from "./native_globals.ts";
 * const NativeResponse = nativeClass("Response");
 * new NativeResponse("hi").status; // 200
 * ```
 */
export function nativeClass<K extends FetchClass>(name: K): ClassOf<K> {
  const known = resolved[name] as ClassOf<K> | undefined;
  if (known !== undefined) return known;
  const native = read(name);
  (resolved as Record<K, ClassOf<K>>)[name] = native;
  for (const link of links[name].splice(0)) (link as (native: ClassOf<K>) => void)(native);
  return native;
}

/**
 * Runs `link` with a native class before anyone can use it: at once where the class is a plain
 * global (Deno, Bun), otherwise when {@linkcode nativeClass} first reads it. For `Request`, whose
 * global we leave in place, the first read of `globalThis.Request` counts too, so `instanceof
 * Request` checks see what `link` set up.
 *
 * @example
 * ```ts
 * import { onNativeClass } from "./native_globals.ts";
 * class Lazy {}
 * onNativeClass("Request", (native) => Object.setPrototypeOf(Lazy.prototype, native.prototype));
 * ```
 */
export function onNativeClass<K extends FetchClass>(name: K, link: (native: ClassOf<K>) => void): void {
  const known = resolved[name] as ClassOf<K> | undefined;
  if (known !== undefined) return link(known);
  links[name].push(link as (native: never) => void);
  const original = descriptors[name];
  if (original?.get === undefined) {
    nativeClass(name);
    return;
  }
  if (name !== "Request") return;
  const current = Object.getOwnPropertyDescriptor(globalThis, name);
  // Someone replaced the global already: link now, as with a plain global.
  if (current?.get !== original.get || !current.configurable) {
    nativeClass(name);
    return;
  }
  // The global stays lazy, but its first read goes through us so the links run before any use.
  const settle = (value: unknown) =>
    Object.defineProperty(globalThis, name, { configurable: true, enumerable: current.enumerable, writable: true, value });
  Object.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: current.enumerable,
    get: () => {
      const native = nativeClass(name);
      settle(native);
      return native;
    },
    set: settle,
  });
}
