/**
 * How a setting's value is cast and validated: one cast per kind of setting (`int`, `seconds`,
 * `bool`, ...) and the few settings that need their own (`urlScheme`, `accessLogFormat`, ...).
 * Each row of the settings table carries its cast (see {@link SettingRow}); the address casts
 * (`host`, `listen`, `trustedProxy`) are in `addresses.ts`.
 *
 * Error messages name the setting as the user wrote it ({@link Naming}): `--flag` on the command
 * line, `"snake_key"` in a config file, the camelCase option in `serve()`.
 *
 * @module
 */

import { compileAccessFormat } from "../policy/access_format.ts";
import type { Settings, SettingKind, SettingSpec } from "./types.ts";

/** How error messages and hints name settings during one `resolveSettings()` call.
 *
 * @example
 * ```ts
 * const naming = namingFor((name) => `--${name}`);
 * naming.hint("threads"); // "--threads"
 * ```
 */
export interface Naming {
  /** The setting in an error message: `"logLevel"`, `--log-level` or `"log_level"`. */
  name(name: keyof Settings): string;
  /** The setting inside a hint ("set X to ..."): `--flag`, `"snake_key"`, or the bare option name. */
  hint(name: keyof Settings): string;
  /** `name` set to `value`, as the user would write it: `--listen=V`, `listen = V` or `listen: "V"`. */
  assignment(name: keyof Settings, value: string): string;
}

/** The {@link Naming} for `name` (how the caller names a setting); `serve()`'s camelCase when absent.
 *
 * @example
 * ```ts
 * namingFor().assignment("listen", "127.0.0.1:8080"); // 'listen: "127.0.0.1:8080"'
 * ```
 */
export function namingFor(name?: (name: keyof Settings) => string): Naming {
  if (name === undefined) {
    return {
      name: (n) => JSON.stringify(n),
      hint: (n) => n,
      assignment: (n, value) => `${n}: ${JSON.stringify(value)}`,
    };
  }
  return {
    name,
    hint: name,
    assignment(n, value) {
      const named = name(n);
      return named.startsWith("--") ? `${named}=${value}` : `${named.replace(/^"|"$/g, "")} = ${value}`;
    },
  };
}

/** What a cast knows while it casts one setting's value.
 *
 * @example
 * ```ts
 * const ctx = castContext(SETTINGS[1], defaults, namingFor());
 * ctx.name; // '"port"'
 * ```
 */
export interface CastContext {
  /** The setting's row. */
  readonly spec: SettingSpec;
  /** The settings cast so far (table order); later ones still hold their defaults. */
  readonly settings: Readonly<Settings>;
  /** The setting as error messages name it. */
  readonly name: string;
  /** The setting as named inside a hint ("set X to ..."). */
  readonly hint: string;
  /** The error for a value of the wrong shape: "Invalid value V for setting S: expected E". */
  bad(value: unknown, expected: string): TypeError;
  /** Shows a value in an error message. */
  show(value: unknown): string;
}

/** Casts one setting's value (typed, or text from the command line or a config file); throws a
 * `TypeError` for a wrong shape, a `RangeError` for a value out of range.
 *
 * @example
 * ```ts
 * const cast: Cast = (value, ctx) => castInt(value, ctx);
 * ```
 */
export type Cast = (value: unknown, ctx: CastContext) => unknown;

/** A row of the settings table as `resolveSettings()` uses it: the public {@link SettingSpec}, its
 * cast, and how the resolved value is described when that differs from `help`.
 *
 * @example
 * ```ts
 * const row = SETTINGS[0] as SettingRow;
 * row.cast("127.0.0.1", ctx); // "127.0.0.1"
 * ```
 */
export interface SettingRow extends SettingSpec {
  /** Casts and validates a given value. */
  readonly cast: Cast;
  /** The {@link Settings} member's description, when the resolved value differs from what is given
   * (`help` describes what is given); `npm run docs` writes it into `types.ts`. */
  readonly resolvedHelp?: string;
}

/** Shows a value in an error message: strings quoted, everything else in a readable form.
 *
 * @example
 * ```ts
 * show("8080"); // '"8080"'
 * ```
 */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) {
    try {
      return JSON.stringify(value);
    } catch {
      return "an array";
    }
  }
  return Object.prototype.toString.call(value);
}

/** The {@link CastContext} for casting `spec` with `settings` cast so far.
 *
 * @example
 * ```ts
 * castContext(SETTINGS[0], defaults, namingFor()).hint; // "host"
 * ```
 */
export function castContext(spec: SettingSpec, settings: Readonly<Settings>, naming: Naming): CastContext {
  const name = naming.name(spec.name);
  return {
    spec,
    settings,
    name,
    hint: naming.hint(spec.name),
    bad: (value, expected) => new TypeError(`Invalid value ${show(value)} for setting ${name}: expected ${expected}`),
    show,
  };
}

const TRUTHY = new Set(["t", "true", "y", "yes", "on", "1"]);
const FALSY = new Set(["f", "false", "n", "no", "off", "0", ""]);

/** Waitress's `asbool`: true for `t, true, y, yes, on, 1` (case-insensitive, surrounding
 * whitespace ignored), false for anything else. (Settings use a stricter cast that rejects
 * strings in neither the true nor the false list.)
 *
 * @example
 * ```ts
 * asBool("Yes"); // true
 * asBool("off"); // false
 * ```
 */
export function asBool(value: string | boolean): boolean {
  if (typeof value === "boolean") return value;
  return TRUTHY.has(String(value).trim().toLowerCase());
}

// ---------------------------------------------------------------- numbers

function rangeText(spec: SettingSpec): string {
  const { min, max, minExclusive } = spec;
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  if (min !== undefined) return minExclusive ? `greater than ${min}` : `${min} or greater`;
  return "";
}

function outOfRange(spec: SettingSpec, n: number): boolean {
  const { min, max, minExclusive } = spec;
  return (min !== undefined && (minExclusive ? n <= min : n < min)) || (max !== undefined && n > max);
}

function rangeError(ctx: CastContext, limits: string, shown: string): RangeError {
  return new RangeError(`Setting ${ctx.name} must be ${limits}; got ${shown}`);
}

/** Casts a whole number (a number, or its decimal text) within the row's bounds; `rangeHint`
 * follows the bounds in the range error.
 *
 * @example
 * ```ts
 * castInt("8", ctx); // 8
 * ```
 */
export function castInt(value: unknown, ctx: CastContext, rangeHint = ""): number {
  let n: number;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw ctx.bad(value, "a whole number");
    n = value;
  } else if (typeof value === "string") {
    const s = value.trim();
    if (!/^[+-]?[0-9]+$/.test(s)) throw ctx.bad(value, `a whole number ${rangeText(ctx.spec)}`.trimEnd());
    n = Number(s);
    if (!Number.isSafeInteger(n)) throw ctx.bad(value, "a whole number below 2^53");
  } else {
    throw ctx.bad(value, "a whole number or its decimal string");
  }
  if (outOfRange(ctx.spec, n)) throw rangeError(ctx, rangeText(ctx.spec) + rangeHint, show(value));
  return n;
}

function castSeconds(value: unknown, ctx: CastContext): number {
  let n: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw ctx.bad(value, "a finite number of seconds");
    n = value;
  } else if (typeof value === "string") {
    const s = value.trim();
    if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(s)) {
      throw ctx.bad(value, 'a number of seconds, e.g. "30" or "0.5"');
    }
    n = Number(s);
  } else {
    throw ctx.bad(value, "a number of seconds");
  }
  if (outOfRange(ctx.spec, n)) throw rangeError(ctx, rangeText(ctx.spec), show(value));
  return n;
}

function castOctal(value: unknown, ctx: CastContext): number {
  let n: number;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw ctx.bad(value, "an integer such as 0o600");
    n = value;
  } else if (typeof value === "string") {
    const m = /^(?:0o)?([0-7]+)$/i.exec(value.trim());
    if (!m) throw ctx.bad(value, 'octal permissions such as "600"');
    n = parseInt(m[1]!, 8);
  } else {
    throw ctx.bad(value, 'octal permissions such as "600" or 0o600');
  }
  if (outOfRange(ctx.spec, n)) throw rangeError(ctx, "from 0 to 777 (octal)", `${show(value)} (octal ${n.toString(8)})`);
  return n;
}

// ---------------------------------------------------------------- the other kinds

function castBool(value: unknown, ctx: CastContext): boolean {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === "string") {
    const s = value.trim().toLowerCase();
    if (TRUTHY.has(s)) return true;
    if (FALSY.has(s)) return false;
  }
  throw ctx.bad(value, "a boolean (true/false, yes/no, on/off, 1/0)");
}

/** Casts a string setting: any string, nothing else.
 *
 * @example
 * ```ts
 * castString("waitress", ctx); // "waitress"
 * ```
 */
export function castString(value: unknown, ctx: CastContext): string {
  if (typeof value !== "string") throw ctx.bad(value, "a string");
  return value;
}

function castChoice(value: unknown, ctx: CastContext): string {
  const text = castString(value, ctx).trim().toLowerCase();
  const choices = ctx.spec.choices ?? [];
  if (!choices.includes(text)) {
    throw new RangeError(`Invalid value ${show(value)} for setting ${ctx.name}: use one of ${choices.join(", ")}`);
  }
  return text;
}

function castBoolOrString(value: unknown, ctx: CastContext): boolean | string {
  if (typeof value === "boolean") return value;
  const text = castString(value, ctx).trim();
  const lower = text.toLowerCase();
  if (TRUTHY.has(lower)) return true;
  if (FALSY.has(lower)) return false;
  if (/[\u0000-\u001f]/.test(text)) throw ctx.bad(value, "true, false or a file path");
  return text;
}

const SOCKETS_SHAPE = "an array of inherited listening socket descriptors, such as [3] or [{ fd: 3 }]";

/** An entry of `sockets` in an error message: objects as JSON (`{}`, `{"fd":"3"}`) where they can be. */
function showEntry(entry: unknown): string {
  if (typeof entry !== "object" || entry === null) return show(entry);
  try {
    return JSON.stringify(entry) ?? show(entry);
  } catch {
    return show(entry);
  }
}

/** `sockets`: descriptor numbers (or `{ fd }` objects, Node's handle shape), each once. */
function castSockets(value: unknown, ctx: CastContext): number[] {
  if (!Array.isArray(value)) throw ctx.bad(value, SOCKETS_SHAPE);
  const fds: number[] = [];
  for (const entry of value as unknown[]) {
    const fd = typeof entry === "object" && entry !== null && "fd" in entry ? (entry as { fd: unknown }).fd : entry;
    if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) {
      throw new TypeError(`Invalid entry ${showEntry(entry)} in setting ${ctx.name}: expected a file descriptor number ` +
        "(a whole number, 0 or more, e.g. 3), or { fd: 3 }; Waitress takes socket objects, this server their descriptors");
    }
    if (fds.includes(fd)) throw new TypeError(`Setting ${ctx.name} lists descriptor ${fd} twice: list each inherited socket once`);
    fds.push(fd);
  }
  return fds;
}

/** The cast of each kind; a row without a cast of its own uses its kind's (`list` rows bring theirs).
 *
 * @example
 * ```ts
 * KIND_CASTS.seconds("0.5", ctx); // 0.5
 * ```
 */
export const KIND_CASTS: Readonly<Record<Exclude<SettingKind, "list">, Cast>> = {
  string: castString,
  int: castInt,
  seconds: castSeconds,
  bool: castBool,
  octal: castOctal,
  choice: castChoice,
  boolOrString: castBoolOrString,
  sockets: castSockets,
};

// ---------------------------------------------------------------- settings with a cast of their own

/** `port`: a whole number 0-65535, whose range error says what 0 does.
 *
 * @example
 * ```ts
 * castPort("8080", ctx); // 8080
 * ```
 */
export const castPort: Cast = (value, ctx) => castInt(value, ctx, " (0 picks a free port)");

/** `unixSocket`: a path; `null` and `""` mean none.
 *
 * @example
 * ```ts
 * castUnixSocket("", ctx); // undefined
 * ```
 */
export const castUnixSocket: Cast = (value, ctx) => value === null || castString(value, ctx) === "" ? undefined : value;

/** `ident`: the Server header's value; `null` means none (as `""`).
 *
 * @example
 * ```ts
 * castIdent(null, ctx); // ""
 * ```
 */
export const castIdent: Cast = (value, ctx) => value === null ? "" : castString(value, ctx);

/** `urlScheme`: an RFC 3986 scheme, lower-cased.
 *
 * @example
 * ```ts
 * castUrlScheme(" HTTPS ", ctx); // "https"
 * ```
 */
export const castUrlScheme: Cast = (value, ctx) => {
  const text = castString(value, ctx).trim().toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(text)) throw ctx.bad(value, 'a URL scheme such as "http" or "https"');
  return text;
};

/** `tlsCert`, `tlsKey`, `tlsCa`: a PEM file's path, its PEM text (a string holding `-----BEGIN`) or its
 * bytes; `null` and `""` mean none. Text is kept as given: the server reads files when it starts.
 *
 * @example
 * ```ts
 * castPem("/etc/tls/cert.pem", ctx); // "/etc/tls/cert.pem"
 * ```
 */
export const castPem: Cast = (value, ctx) => {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Uint8Array) return value;
  if (typeof value !== "string") throw ctx.bad(value, "a PEM file's path, PEM text or its bytes (a Uint8Array)");
  return value.trim() === "" ? undefined : value;
};

/** `urlPrefix`: written as `"/prefix"` whatever slashes surround it; `""` for none.
 *
 * @example
 * ```ts
 * castUrlPrefix("app/", ctx); // "/app"
 * ```
 */
export const castUrlPrefix: Cast = (value, ctx) => {
  const text = castString(value, ctx).trim().replace(/^\/+|\/+$/g, "");
  return text === "" ? "" : "/" + text;
};

/** `trustedProxyCount`: a whole number within the row's bounds; `null` means not given.
 *
 * @example
 * ```ts
 * castOptionalInt(null, ctx); // undefined
 * ```
 */
export const castOptionalInt: Cast = (value, ctx) => value === null ? undefined : castInt(value, ctx);

/** `accessLogFormat`: `common`, `combined` or directives the access log compiles.
 *
 * @example
 * ```ts
 * castAccessLogFormat("%h %s", ctx); // "%h %s"
 * ```
 */
export const castAccessLogFormat: Cast = (value, ctx) => {
  const text = castString(value, ctx);
  try {
    compileAccessFormat(text);
  } catch (error) {
    throw new RangeError(`Invalid value ${show(value)} for setting ${ctx.name}: ${(error as Error).message}`);
  }
  return text;
};
