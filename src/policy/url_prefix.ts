/**
 * `urlPrefix`: Waitress's SCRIPT_NAME / PATH_INFO split (task.py `get_environment`).
 *
 * The server keeps the full external path in `request.url` (so an app can build external URLs,
 * prefix included) and reports the split in `info.scriptName` (the prefix) and `info.pathInfo` (the
 * path below it), for apps that route without knowing where they are mounted.
 *
 * @module
 */

/**
 * Result of {@link splitPrefix}: WSGI's SCRIPT_NAME and PATH_INFO.
 *
 * @example
 * ```ts
 * import { splitPrefix, type PrefixSplit } from "./url_prefix.ts";
 * const split: PrefixSplit = splitPrefix("/app/x", "/app"); // { scriptName: "/app", pathInfo: "/x" }
 * ```
 */
export interface PrefixSplit {
  /** The prefix (`""` without one). Always the prefix when one is set, even if the path does not match. */
  scriptName: string;
  /** The path below the prefix; `""` when the path is exactly the prefix. */
  pathInfo: string;
}

/**
 * Splits a request path (no query) by the `urlPrefix` setting, following Waitress's rules:
 *
 * 1. A path that starts with `/` has its leading slashes collapsed to one (`///abc` → `/abc`).
 * 2. With a prefix, `scriptName` is always the prefix. A path equal to the prefix gives
 *    `pathInfo` `""`; a path that continues with `/` after the prefix gives the rest (`/foo/bar` →
 *    `/bar`); any other path is left unchanged (`/foobar` with prefix `/foo` stays `/foobar`, and
 *    `scriptName` is still `/foo`), as Waitress does.
 * 3. An empty path stays empty.
 *
 * `prefix` is the resolved setting: `""` or `/segment...` without a trailing slash. Matching is
 * case-sensitive and on the path as sent (still percent-encoded), so write a prefix with characters
 * outside the URL path alphabet percent-encoded (`/my%20app`).
 *
 * @example
 * ```ts
 * import { splitPrefix } from "./url_prefix.ts";
 * splitPrefix("/app/users/7", "/app"); // { scriptName: "/app", pathInfo: "/users/7" }
 * splitPrefix("/app", "/app");         // { scriptName: "/app", pathInfo: "" }
 * splitPrefix("/apple", "/app");       // { scriptName: "/app", pathInfo: "/apple" }
 * splitPrefix("//x", "");              // { scriptName: "", pathInfo: "/x" }
 * ```
 */
export function splitPrefix(path: string, prefix: string): PrefixSplit {
  let p = path;
  if (p.charCodeAt(0) === 0x2f && p.charCodeAt(1) === 0x2f) {
    let i = 2;
    while (p.charCodeAt(i) === 0x2f) i++;
    p = p.slice(i - 1);
  }
  if (prefix === "") return { scriptName: "", pathInfo: p };
  const n = prefix.length;
  if (p.length === n) return { scriptName: prefix, pathInfo: p === prefix ? "" : p };
  if (p.length > n && p.charCodeAt(n) === 0x2f && p.startsWith(prefix)) return { scriptName: prefix, pathInfo: p.slice(n) };
  return { scriptName: prefix, pathInfo: p };
}
