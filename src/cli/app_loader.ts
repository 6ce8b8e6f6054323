/**
 * The app a `waitress-serve` command line names (`MODULE[:EXPORT]`): the reference split, the
 * module found and imported through the {@link CliEnv}, the export resolved (`--call` calls it),
 * and the errors worded for the command line.
 *
 * @module
 */

import type { FetchHandler } from "../serve/connection.ts";
import { type App, toHandler } from "../serve/start_server.ts";
import { CliError, splitAppSpec } from "./cli_args.ts";
import type { CliEnv, ModuleTarget } from "./cli_main.ts";

/** A failure of the app itself (its module threw while being imported, its factory threw): not a
 * usage error, so it is printed with the cause's stack and without the usage lines.
 *
 * @example
 * ```ts
 * throw new AppFailure('Importing "app.mjs" failed: boom', new Error("boom"));
 * ```
 */
export class AppFailure extends Error {
  override name = "AppFailure";
  /** A failure whose one-line `message` says what failed; `cause` is what the app threw. */
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

// Scheme prefixes that make `x:y` a module specifier rather than `MODULE:EXPORT`.
const SCHEMES = new Set(["npm", "jsr", "node", "file", "http", "https", "data", "bun"]);
const SCRIPT_EXT = /\.(?:[cm]?[jt]sx?)$/i;

/** Splits an application reference into module and export. Without `:EXPORT` (or when the colon
 * belongs to a scheme such as `npm:` or a Windows drive) the export is `default`.
 *
 * @example
 * ```ts
 * parseAppRef("./app.ts:app.fetch"); // { module: "./app.ts", exportPath: ["app", "fetch"] }
 * parseAppRef("npm:hono");           // { module: "npm:hono", exportPath: ["default"] }
 * ```
 */
export function parseAppRef(ref: string): { module: string; exportPath: string[] } {
  if (ref.trim() === "") {
    throw new CliError("The application is empty: give MODULE[:EXPORT], e.g. ./app.mjs or ./app.ts:handler");
  }
  const at = ref.lastIndexOf(":");
  const before = ref.slice(0, at);
  const after = ref.slice(at + 1);
  const colonIsPartOfModule = at < 0 || SCHEMES.has(before.toLowerCase()) || /^[A-Za-z]$/.test(before) ||
    /[\/\\]/.test(after);
  if (colonIsPartOfModule) return { module: ref, exportPath: ["default"] };
  const { module, exportName } = splitAppSpec(ref);
  return { module, exportPath: exportName.split(".") };
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\");
}

/** Joins `path` onto the absolute directory `base` (unless `path` is absolute) and normalises
 * `.` and `..` segments. Forward slashes are used for the joint; Windows paths keep working.
 *
 * @example
 * ```ts
 * resolvePath("/srv/app", "../lib/./x.ts"); // "/srv/lib/x.ts"
 * ```
 */
export function resolvePath(base: string, path: string): string {
  const joined = isAbsolutePath(path) ? path : `${base.replace(/[\\/]+$/, "")}/${path}`;
  const drive = /^[A-Za-z]:/.exec(joined)?.[0] ?? "";
  const rest = joined.slice(drive.length);
  const root = /^[\\/]+/.exec(rest)?.[0].slice(0, rest.startsWith("\\\\") ? 2 : 1) ?? "";
  const parts: string[] = [];
  for (const part of rest.slice(root.length).split(/[\\/]+/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0) parts.pop();
      continue;
    }
    parts.push(part);
  }
  return drive + root + parts.join("/");
}

/** The directory part of an absolute path.
 *
 * @example
 * ```ts
 * dirnameOf("/srv/app/app.ini"); // "/srv/app"
 * ```
 */
export function dirnameOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return ".";
  if (cut === 0) return path.slice(0, 1);
  if (/^[A-Za-z]:$/.test(path.slice(0, cut))) return path.slice(0, cut + 1);
  return path.slice(0, cut);
}

/** Works out what a module reference names: a file (relative to `baseDir`), a URL, or a package. */
export async function moduleTarget(module: string, baseDir: string, env: CliEnv): Promise<ModuleTarget> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(module)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme.length > 1) {
    return ["file", "http", "https", "data"].includes(scheme)
      ? { kind: "url", url: module }
      : { kind: "package", specifier: module, fromDir: baseDir };
  }
  const path = resolvePath(baseDir, module);
  const looksLikePath = module.startsWith(".") || isAbsolutePath(module) || SCRIPT_EXT.test(module);
  if (looksLikePath) {
    if (!(await env.exists(path))) {
      throw new CliError(`Module ${JSON.stringify(module)} not found: no file at ${JSON.stringify(path)}`);
    }
    return { kind: "file", path };
  }
  // "app" or "lib/app" may be a file without extension as much as a package: a file wins.
  if (await env.exists(path)) return { kind: "file", path };
  return { kind: "package", specifier: module, fromDir: baseDir };
}

/** What an app threw, for the terminal: its stack (which names the file and line), then its causes. */
export function describeThrown(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = error, depth = 0; depth < 5 && !seen.has(e); depth++) {
    seen.add(e);
    const prefix = depth === 0 ? "" : "Caused by: ";
    if (!(e instanceof Error)) {
      lines.push(`${prefix}${depth === 0 ? "The app threw a non-Error value: " : ""}${describeValueShort(e)}`);
      break;
    }
    const head = `${e.name}: ${e.message}`;
    const stack = typeof e.stack === "string" && e.stack !== "" ? e.stack.replace(/\s+$/, "") : head;
    // V8 and JavaScriptCore start the stack with "Name: message"; where it does not, say it first.
    lines.push(prefix + (stack.includes(e.message) ? stack : `${head}\n${stack}`));
    if (e.cause === undefined) break;
    e = e.cause;
  }
  return lines.join("\n") + "\n";
}

function describeValueShort(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "unknown error";
}

function describeValue(value: unknown, asApp = true): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return asApp ? "an object without a fetch method" : "an object";
  if (typeof value === "undefined") return "undefined";
  return `a ${typeof value}`;
}

async function importApp(module: string, target: ModuleTarget, env: CliEnv): Promise<Record<string, unknown>> {
  try {
    return await env.importModule(target);
  } catch (error) {
    const line = firstLine(error);
    const code = (error as { code?: unknown } | null)?.code;
    if (target.kind === "file" && /unknown file extension/i.test(line)) {
      throw new CliError(`Cannot import ${JSON.stringify(module)}: ${line}; this runtime cannot load that file ` +
        "type directly, so build it to JavaScript (.js/.mjs) first");
    }
    const missing = code === "ERR_MODULE_NOT_FOUND" ||
      /cannot find (?:module|package)|module not found|not a dependency|not in import map/i.test(line);
    if (target.kind === "package" && missing) {
      throw new CliError(`Module ${JSON.stringify(module)} not found: ${line}`);
    }
    // The module was found and its own code failed: the command line is fine, the stack tells where.
    throw new AppFailure(`Importing ${JSON.stringify(module)} failed: ${line}`, error);
  }
}

function resolveExport(namespace: Record<string, unknown>, module: string, exportPath: string[]): unknown {
  let value: unknown = namespace;
  let parent: unknown;
  for (let i = 0; i < exportPath.length; i++) {
    const name = exportPath[i]!;
    const holder = value;
    const present = holder !== null && (typeof holder === "object" || typeof holder === "function") &&
      name in (holder as object);
    if (!present) {
      if (i === 0) {
        const names = Object.keys(namespace).sort();
        const list = names.length > 0 ? `it exports ${names.map((n) => JSON.stringify(n)).join(", ")}` : "it exports nothing";
        const what = name === "default" ? "no default export" : `no export ${JSON.stringify(name)}`;
        throw new CliError(`Module ${JSON.stringify(module)} has ${what} (${list}); name one with MODULE:EXPORT`);
      }
      throw new CliError(`Export ${JSON.stringify(exportPath.slice(0, i).join("."))} of ${JSON.stringify(module)} ` +
        `has no property ${JSON.stringify(name)}`);
    }
    parent = i === 0 ? undefined : holder;
    value = (holder as Record<string, unknown>)[name];
  }
  // `app.fetch` is usually a method: keep `this` pointing at `app`.
  if (typeof value === "function" && parent !== undefined) {
    return (value as (...args: unknown[]) => unknown).bind(parent);
  }
  return value;
}

export async function loadHandler(ref: string, baseDir: string, call: boolean, env: CliEnv): Promise<FetchHandler> {
  const { module, exportPath } = parseAppRef(ref);
  const target = await moduleTarget(module, baseDir, env);
  const namespace = await importApp(module, target, env);
  const exported = resolveExport(namespace, module, exportPath);
  const name = `Export ${JSON.stringify(exportPath.join("."))} of ${JSON.stringify(module)}`;
  let app: unknown = exported;
  if (call) {
    if (typeof exported !== "function") {
      throw new CliError(`${name} is ${describeValue(exported, false)}, not a function: --call needs a factory that ` +
        "returns the app; drop --call to serve the export itself");
    }
    try {
      app = await (exported as () => unknown)();
    } catch (error) {
      throw new AppFailure(`Calling ${name.charAt(0).toLowerCase()}${name.slice(1)} (--call) failed: ${firstLine(error)}`, error);
    }
    try {
      return toHandler(app as App);
    } catch {
      throw new CliError(`${name}, called with --call, returned ${describeValue(app)}, not a handler: the factory ` +
        "must return a function (request, info) => Response or an object with a fetch method");
    }
  }
  try {
    return toHandler(app as App);
  } catch {
    throw new CliError(`${name} is ${describeValue(app)}, not a handler: export a function (request, info) => ` +
      "Response or an object with a fetch method, or pass --call if it is a factory");
  }
}
