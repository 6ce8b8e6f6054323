/**
 * Serving a directory tree safely: URL path to file path without traversal, dotfiles or symlinks out
 * of the root; directories answered by their index file; files through {@linkcode responseForFile},
 * so ranges and conditional requests work.
 *
 * @module
 */

import type { DirFiles, FileSource } from "../platform.ts";
import { responseForFile } from "./file_response.ts";

/** Options of `serveDir()`. */
export interface ServeDirOptions {
  /** The directory whose files are served (relative to the current directory, or absolute). */
  root: string;
  /**
   * The URL path the directory is mounted at, such as `"/static"` (percent-encoded as in the URL):
   * `/static/css/site.css` serves `<root>/css/site.css`, and paths outside the prefix are 404.
   * Default: `""`, the whole URL space.
   */
  urlPrefix?: string;
  /** The file served for a directory; `false` to answer 404 for directories. Default: `"index.html"`. */
  index?: string | false;
  /** Serve files and directories whose name starts with a dot (`.env`, `.git/`). Default: `false`. */
  dotfiles?: boolean;
  /**
   * Symbolic links are followed, but by default (`"inside"`) only when they end inside the root;
   * `"anywhere"` follows them wherever they point. Default: `"inside"`.
   */
  followSymlinks?: "inside" | "anywhere";
  /** Header fields added to every file response (`cache-control`, say). */
  headers?: HeadersInit;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };

function notFound(): Response {
  return new Response("Not Found", { status: 404, headers: TEXT });
}

/** Whether a decoded path segment may name something to serve. */
function acceptable(segment: string, dotfiles: boolean): boolean {
  // Only dots and spaces: ".", "..", and what Windows trims to them ("... ", ".. ").
  if (/^[. ]*$/.test(segment)) return false;
  // Separators smuggled in encoded (%2f, %5c), NUL and other control characters.
  if (/[/\\\x00-\x1f\x7f]/.test(segment)) return false;
  return dotfiles || !segment.startsWith(".");
}

/** The part of `path` below `root` (both canonical), or undefined when it is not below it. */
function below(root: string, path: string): string | undefined {
  if (path === root) return "";
  const base = root.endsWith("/") || root.endsWith("\\") ? root : undefined;
  if (base !== undefined) return path.startsWith(base) ? path.slice(base.length) : undefined;
  if (path.startsWith(root + "/") || path.startsWith(root + "\\")) return path.slice(root.length + 1);
  return undefined;
}

/** The URL path's segments below the prefix, decoded and checked; undefined when refused. */
function segmentsOf(pathname: string, prefix: string, dotfiles: boolean): string[] | undefined {
  if (prefix !== "" && pathname !== prefix && !pathname.startsWith(prefix + "/")) return undefined;
  const rest = pathname.slice(prefix.length);
  const segments: string[] = [];
  for (const raw of rest.split("/")) {
    if (raw === "") continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw); // once: "%252e" is the name "%2e", not ".."
    } catch {
      return undefined;
    }
    if (!acceptable(segment, dotfiles)) return undefined;
    segments.push(segment);
  }
  return segments;
}

/**
 * The canonical path of `path` if it may be served: it exists, and unless symlinks may point
 * anywhere it is inside the root and (without `dotfiles`) no part of it below the root starts
 * with a dot, however a symlink spelled it.
 */
async function checked(files: DirFiles, rootReal: string, path: string, options: ServeDirOptions): Promise<string | undefined> {
  let real: string;
  try {
    real = await files.realPath(path);
  } catch {
    return undefined;
  }
  if (options.followSymlinks === "anywhere") return real;
  const rest = below(rootReal, real);
  if (rest === undefined) return undefined;
  if (!options.dotfiles && rest.split(/[/\\]/).some((part) => part.startsWith("."))) return undefined;
  return real;
}

/** Opens a file and answers with it (404 if it cannot be opened after all). */
async function serveFile(files: DirFiles, real: string, name: string, request: Request, options: ServeDirOptions, now: number): Promise<Response> {
  let file: FileSource;
  try {
    file = await files.open(real);
  } catch {
    return notFound();
  }
  return responseForFile(file, name, { request, headers: options.headers }, now);
}

/**
 * Answers `request` from the directory `options.root` through the file-system port `files` (the
 * runtime-free core of `serveDir()`; see its documentation for the rules).
 *
 * @example
 * ```ts ignore
 * import { serveDirWith } from "./serve_dir.ts";
 * const response = await serveDirWith(files, request, { root: "./public" });
 * ```
 */
export async function serveDirWith(files: DirFiles, request: Request, options: ServeDirOptions, now: number): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method Not Allowed", { status: 405, headers: { ...TEXT, allow: "GET, HEAD" } });
  }
  let prefix = options.urlPrefix ?? "";
  if (prefix !== "" && !prefix.startsWith("/")) prefix = "/" + prefix;
  prefix = prefix.replace(/\/+$/, "");
  const url = new URL(request.url);
  const segments = segmentsOf(url.pathname, prefix, options.dotfiles === true);
  if (segments === undefined) return notFound();
  const slash = url.pathname.endsWith("/");

  const rootReal = await files.realPath(options.root); // a missing root is a configuration error: it throws
  const real = await checked(files, rootReal, [rootReal, ...segments].join("/"), options);
  if (real === undefined) return notFound();
  const kind = await files.kind(real);
  if (kind === "file") {
    // "/file.txt/" names a directory that does not exist.
    if (slash) return notFound();
    // A root that is a file is served at the prefix itself: its own name gives the type.
    return serveFile(files, real, segments[segments.length - 1] ?? real, request, options, now);
  }
  if (kind !== "directory") return notFound();
  if (!slash) {
    // Rebuilt from the checked segments, so no "//host" can come out of it (no open redirect).
    const location = prefix + "/" + segments.map(encodeURIComponent).map((s) => s + "/").join("") + url.search;
    return new Response(null, { status: 301, headers: { location } });
  }
  const index = options.index ?? "index.html";
  if (index === false || index === "") return notFound();
  const indexReal = await checked(files, rootReal, `${real}/${index}`, options);
  if (indexReal === undefined || await files.kind(indexReal) !== "file") return notFound();
  return serveFile(files, indexReal, index, request, options, now);
}
