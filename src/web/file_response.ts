/**
 * File bodies (Waitress's `wsgi.file_wrapper`): a `Response` streamed from disk with its
 * `Content-Length`, in bounded chunks, never loaded into memory; with the request at hand, also
 * conditional requests (304, 412) and byte ranges (206, 416).
 *
 * @module
 */

import type { FileSource } from "../platform.ts";
import { etagFor, evaluatePreconditions, ifRangeAllows, parseHttpDate, type Validators } from "./conditional.ts";
import { formatHttpDate } from "../http1/http_date.ts";
import { parseRange } from "./ranges.ts";

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

/** The parts of a request that {@linkcode responseForFile} looks at: a `Request` will do. */
export interface FileRequest {
  /** The request method; `GET` when absent. */
  readonly method?: string;
  /** The request's header fields (`Range`, `If-Range`, `If-None-Match`, `If-Modified-Since` ...). */
  readonly headers: HeadersInit;
}

/** `ResponseInit` plus the request a file response answers. */
export interface FileResponseOptions extends ResponseInit {
  /**
   * The request being answered. With it the response honours `Range` (GET only), `If-Range`,
   * `If-Match`, `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since`, and says
   * `Accept-Ranges: bytes`; without it, the whole file is always sent with 200.
   */
  request?: FileRequest;
}

/** Representation metadata a bodiless 304 / 412 / 416 does not repeat (as Go's `ServeContent`). */
const BODY_FIELDS = ["content-type", "content-length", "content-encoding"];

/** A response without a body, keeping the validators and the application's other fields. */
function bodiless(file: FileSource, status: number, headers: Headers, init: ResponseInit): Response {
  void file.close().catch(() => {});
  for (const name of BODY_FIELDS) headers.delete(name);
  return new Response(null, { ...init, status, statusText: undefined, headers });
}

/**
 * A `Response` for `file`: `Content-Type` (from the name), `Last-Modified` and a strong `ETag` (size
 * and modification time) are filled in unless `init.headers` sets them, and `Content-Length` always.
 *
 * With `init.request` and a 200 status, the request's conditionals and `Range` are evaluated
 * (RFC 9110 §13, §14): 304 or 412 without a body; for GET, a satisfiable single range (several ranges
 * are merged when they overlap or touch) gives 206 with `Content-Range`, several disjoint ranges give
 * the whole file (200, as `send` and Deno's `serveFile` do), an unsatisfiable one 416 (its
 * `Content-Range` gives the size), and invalid syntax or a failed `If-Range` the whole file. HEAD gets
 * the headers of the 200 (`Range` is defined for GET only) and the file is not read.
 *
 * @example
 * ```ts ignore
 * import { responseForFile } from "./file_response.ts";
 * const response = responseForFile(file, "report.pdf", { request, headers: { "cache-control": "max-age=60" } });
 * ```
 */
export function responseForFile(file: FileSource, path: string, init: FileResponseOptions, now: number): Response {
  const { request, ...responseInit } = init;
  const headers = new Headers(responseInit.headers);
  const status = responseInit.status ?? 200;
  if (!headers.has("content-type")) headers.set("content-type", contentTypeFor(path));
  if (!headers.has("last-modified")) headers.set("last-modified", formatHttpDate(file.mtimeMs));
  if (status !== 200 || request === undefined) {
    if (status === 200 && !headers.has("etag")) headers.set("etag", etagFor(file.size, file.mtimeMs));
    headers.set("content-length", String(file.size));
    return new Response(file.stream(), { ...responseInit, headers });
  }

  if (!headers.has("etag")) headers.set("etag", etagFor(file.size, file.mtimeMs));
  if (!headers.has("accept-ranges")) headers.set("accept-ranges", "bytes");
  const method = (request.method ?? "GET").toUpperCase();
  const given = request.headers as Partial<Headers>;
  const fields = typeof given.get === "function" ? given as Headers : new Headers(request.headers);
  const validators: Validators = { etag: headers.get("etag"), lastModified: parseHttpDate(headers.get("last-modified"), now) };
  const outcome = evaluatePreconditions(method, fields, validators, now);
  if (outcome !== 0) return bodiless(file, outcome, headers, responseInit);

  const range = fields.get("range");
  const ifRange = fields.get("if-range");
  if (method === "GET" && range !== null && (ifRange === null || ifRangeAllows(ifRange, validators, now))) {
    const ranges = parseRange(range, file.size);
    if (ranges.type === "unsatisfiable") {
      headers.set("content-range", `bytes */${file.size}`);
      return bodiless(file, 416, headers, responseInit);
    }
    if (ranges.type === "ranges" && ranges.ranges.length === 1) {
      const { start, end } = ranges.ranges[0]!;
      headers.set("content-range", `bytes ${start}-${end}/${file.size}`);
      headers.set("content-length", String(end - start + 1));
      return new Response(file.stream(start, end + 1), { ...responseInit, status: 206, statusText: undefined, headers });
    }
  }
  headers.set("content-length", String(file.size));
  if (method === "HEAD") {
    void file.close().catch(() => {});
    return new Response(null, { ...responseInit, headers });
  }
  return new Response(file.stream(), { ...responseInit, headers });
}
