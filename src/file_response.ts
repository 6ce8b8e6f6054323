/**
 * File bodies (Waitress's `wsgi.file_wrapper`): a `Response` streamed from disk with its
 * `Content-Length`, in bounded chunks, never loaded into memory.
 *
 * @module
 */

/** An open file, as an adapter provides it. */
export interface FileSource {
  /** Size in bytes. */
  size: number;
  /** Last modification time (ms since the epoch). */
  mtimeMs: number;
  /** The file's bytes, read chunk by chunk as the stream is pulled; closes the file at the end. Once only. */
  stream(): ReadableStream<Uint8Array>;
  /** Closes the file without streaming it. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8", htm: "text/html; charset=utf-8", css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8", mjs: "text/javascript; charset=utf-8", json: "application/json",
  txt: "text/plain; charset=utf-8", md: "text/markdown; charset=utf-8", csv: "text/csv; charset=utf-8",
  xml: "application/xml", svg: "image/svg+xml", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg",
  gif: "image/gif", webp: "image/webp", avif: "image/avif", ico: "image/x-icon", pdf: "application/pdf",
  wasm: "application/wasm", zip: "application/zip", gz: "application/gzip", mp4: "video/mp4",
  webm: "video/webm", mp3: "audio/mpeg", ogg: "audio/ogg", woff: "font/woff", woff2: "font/woff2",
};

/**
 * The `Content-Type` for a file name, by extension; `application/octet-stream` when unknown.
 *
 * @example
 * ```ts
 * import { contentTypeFor } from "./file_response.ts";
 * contentTypeFor("index.html"); // "text/html; charset=utf-8"
 * ```
 */
export function contentTypeFor(path: string): string {
  const dot = path.lastIndexOf(".");
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (dot <= slash) return "application/octet-stream";
  const ext = path.slice(dot + 1).toLowerCase();
  // Own keys only: "x.constructor" or "x.__proto__" must not find Object.prototype's members.
  return Object.hasOwn(TYPES, ext) ? TYPES[ext]! : "application/octet-stream";
}

/**
 * A `Response` whose body streams `file`: `Content-Length`, `Content-Type` (from the name, unless
 * `init.headers` sets one) and `Last-Modified` are filled in.
 *
 * @example
 * ```ts ignore
 * import { responseForFile } from "./file_response.ts";
 * const response = responseForFile(file, "report.pdf", { headers: { "cache-control": "max-age=60" } });
 * ```
 */
export function responseForFile(file: FileSource, path: string, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-length", String(file.size));
  if (!headers.has("content-type")) headers.set("content-type", contentTypeFor(path));
  if (!headers.has("last-modified")) headers.set("last-modified", new Date(file.mtimeMs).toUTCString());
  return new Response(file.stream(), { ...init, headers });
}
