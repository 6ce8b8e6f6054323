/**
 * The messages between the I/O thread (the dispatcher, src/threads/dispatcher.ts) and a worker thread that
 * runs the application (src/threads/worker_main.ts). Everything here must survive structured cloning.
 *
 * One request at a time per worker. Its life on the wire:
 *
 * ```text
 * main -> worker   request                        head + info (body: whether one follows)
 * worker -> main   pull                           the app reads the body and nothing is queued
 * main -> worker   body {chunk} | body-end        one answer per pull (or body-error); the body was
 *                                                  received whole before the request was queued
 * worker -> main   head {status, headers, body?, end}
 * worker -> main   body {chunk} ... end           never more than the response credit in flight
 * main -> worker   credit {bytes}                 the connection consumed response bytes
 * main -> worker   cancel                         the client is gone: abort, stop streaming
 * worker -> main   end | error                    exactly one terminal message: the worker is free
 * ```
 *
 * A WebSocket (the request carries `upgrade`; src/threads/ws_relay_main.ts, ws_relay_worker.ts): the
 * socket stays on the I/O thread and its messages are relayed, keyed by the request's id, long after
 * the request's terminal message (the worker serves other requests meanwhile):
 *
 * ```text
 * worker -> main   ws-accept                      the app called upgradeWebSocket(): before the head
 * main -> worker   ws-open {extensions}           the 101 is queued: the app's socket opens
 * main -> worker   ws-message {data}              a text (string) or binary (ArrayBuffer, transferred) message
 * worker -> main   ws-send {data}                 the app sent a message (text as a string; bytes, transferred)
 * main -> worker   ws-ack {bytes, buffered}       that send reached the socket: for bufferedAmount
 * worker -> main   ws-taken {bytes}               per quarter RELAY_WINDOW of messages delivered: the I/O
 *                                                  thread stops reading the client past RELAY_WINDOW
 * worker -> main   ws-close {code, reason}        the app closes
 * main -> worker   ws-error | ws-close            the connection failed / closed (the last message)
 * worker -> main   ws-exception {error}           a listener of the app's socket threw: logged
 * ```
 *
 * @module
 */

import type { RequestInfo } from "../web/request.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/** Response bytes a worker may send ahead of what the connection has taken. */
export const RESPONSE_WINDOW = 256 * 1024;

/**
 * WebSocket messages (by {@linkcode relayCost}) the I/O thread may relay to a worker ahead of what the
 * worker has taken; past it the socket stops reading the client's frames until `ws-taken` comes.
 */
export const RELAY_WINDOW = 1024 * 1024;

/**
 * What a relayed WebSocket message counts against {@linkcode RELAY_WINDOW}: its length, at least 64
 * (a message's own overhead).
 *
 * @example
 * ```ts
 * import { relayCost } from "./thread_protocol.ts";
 * relayCost("hi"); // 64
 * relayCost(new ArrayBuffer(1000)); // 1000
 * ```
 */
export function relayCost(data: string | ArrayBuffer): number {
  return Math.max(64, typeof data === "string" ? data.length : data.byteLength);
}

/** An error as it crosses threads: enough to log it and to build the 500 the inline path would. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
}

/** Settings a worker needs before it loads the app. */
export interface WorkerInit {
  /** URL of the app module (`file:`, `data:`, `https:`, ...). */
  moduleUrl: string;
  /** The export to serve: `default`, a name, or a dotted path (`app.fetch`). */
  exportName: string;
  /** Keep the native `Response` on Node (see `ServeOptions.nativeResponse`). */
  nativeResponse: boolean;
}

/** A request for the worker to run. */
export interface RequestMessage {
  type: "request";
  id: number;
  method: string;
  url: string;
  /** Flat `[name, value, ...]`, names lower-case. */
  headers: string[];
  info: RequestInfo;
  /** Whether a body follows (`body` messages, then `body-end` or `body-error`). */
  body: boolean;
  /** The request may switch to WebSocket: the rest of its `UpgradeOffer` (method and headers are above). */
  upgrade?: WireUpgrade;
}

/** What a worker needs, besides the request's method and headers, to offer it to `upgradeWebSocket()`. */
export interface WireUpgrade {
  minorVersion: number;
  hasBody: boolean;
  secure: boolean;
}

/** Messages from the I/O thread about a WebSocket a worker accepted (`id`: its request's). */
export type WsToWorker =
  | { type: "ws-open"; id: number; extensions: string }
  | { type: "ws-message"; id: number; data: string | ArrayBuffer }
  | { type: "ws-ack"; id: number; bytes: number; buffered: number }
  | { type: "ws-error"; id: number; message: string }
  | { type: "ws-close"; id: number; code: number; reason: string; wasClean: boolean };

/** Messages from a worker about a WebSocket it accepted. */
export type WsFromWorker =
  | { type: "ws-accept"; id: number; accept: string; protocol: string; extensions: string; idleTimeout: number | undefined }
  | { type: "ws-send"; id: number; data: string | Uint8Array<ArrayBuffer>; bytes: number }
  | { type: "ws-close"; id: number; code: number | undefined; reason: string }
  /** The app's socket took `bytes` (by `relayCost`) of the messages relayed to it. */
  | { type: "ws-taken"; id: number; bytes: number }
  /** A listener of the app's socket threw: the I/O thread logs it. */
  | { type: "ws-exception"; id: number; error: WireError };

/** Messages from the I/O thread to a worker. */
export type ToWorker =
  | RequestMessage
  | { type: "body"; id: number; chunk: Uint8Array }
  | { type: "body-end"; id: number }
  | { type: "body-error"; id: number; message: string }
  | { type: "credit"; id: number; bytes: number }
  | { type: "cancel"; id: number; message: string }
  | WsToWorker;

/** Messages from a worker to the I/O thread. */
export type FromWorker =
  | { type: "ready" }
  | { type: "fatal"; error: WireError }
  | { type: "exit"; code: number }
  /** The app reads the request body: send its next chunk (or its end). */
  | { type: "pull"; id: number }
  | { type: "body-cancel"; id: number }
  | {
    type: "head";
    id: number;
    status: number;
    statusText: string;
    /** Flat `[name, value, ...]`. */
    headers: string[];
    /** The first body bytes, or null (a buffer of their own: it was transferred). */
    body: Uint8Array<ArrayBuffer> | null;
    /** The response is complete with this message (terminal). */
    end: boolean;
  }
  | { type: "body"; id: number; chunk: Uint8Array }
  | { type: "end"; id: number }
  | { type: "error"; id: number; error: WireError }
  | WsFromWorker;

/**
 * Turns a thrown value into a {@linkcode WireError}.
 *
 * @example
 * ```ts
 * import { toWireError } from "./thread_protocol.ts";
 * toWireError(new TypeError("bad")).name; // "TypeError"
 * ```
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: "Error", message: String(error) };
}

/**
 * Rebuilds an `Error` from a {@linkcode WireError}, keeping the worker's stack for the log.
 *
 * @example
 * ```ts
 * import { fromWireError } from "./thread_protocol.ts";
 * fromWireError({ name: "TypeError", message: "bad" }).message; // "bad"
 * ```
 */
export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
