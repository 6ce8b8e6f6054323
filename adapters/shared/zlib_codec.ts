/**
 * permessage-deflate codecs (RFC 7692) on `node:zlib`, which Node, Deno and Bun all have: a raw
 * deflate stream flushed with Z_SYNC_FLUSH per message (the tail 00 00 FF FF stripped), and a raw
 * inflate stream fed each message plus that tail. Streams live as long as the connection (context
 * takeover) or one message (no context takeover). This file imports no runtime: each adapter passes
 * the `node:zlib` module it loaded on first use (adapters/shared/lazy_ports.ts `lazyDeflate`).
 *
 * @module
 */

import type { DeflatePort, MessageCodec } from "../../src/platform.ts";
import type { DeflateParams } from "../../src/ws/permessage_deflate.ts";

/** The part of a `node:zlib` stream the codec uses. */
export interface ZlibStream {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
  write(chunk: Uint8Array): boolean;
  /** Node calls `callback` after the flushed output's `data` events; Deno may call it first with the stream's error. */
  flush(kind: number, callback: (error?: Error | null) => void): void;
  destroy(): unknown;
}

/** The part of the `node:zlib` module the codec uses. */
export interface ZlibModule {
  createDeflateRaw(options: { windowBits: number; memLevel?: number }): ZlibStream;
  createInflateRaw(options: { windowBits: number }): ZlibStream;
  readonly constants: { readonly Z_SYNC_FLUSH: number };
}

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** An Error whose `tooBig` is true: an inflated message over its limit. */
function tooBig(maxBytes: number): Error {
  return Object.assign(new Error(`the inflated message exceeds ${maxBytes} bytes`), { tooBig: true });
}

function closedError(): Error {
  return new Error("the permessage-deflate codec is closed");
}

/**
 * The first `keep` bytes of the chunks, in a Uint8Array of their own (zlib's chunks are views into
 * its bigger output buffers, and Buffers on Node: the caller gets a plain array it may transfer).
 */
function concat(chunks: Uint8Array[], keep: number): Uint8Array {
  const out = new Uint8Array(keep);
  let at = 0;
  for (const c of chunks) {
    if (at >= keep) break;
    const part = c.length <= keep - at ? c : c.subarray(0, keep - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The `k`th byte from the end of the chunks (1: the last), or -1. */
function byteFromEnd(chunks: Uint8Array[], k: number): number {
  for (let i = chunks.length - 1; i >= 0; i--) {
    const c = chunks[i];
    if (k <= c.length) return c[c.length - k];
    k -= c.length;
  }
  return -1;
}

/**
 * Runs `data` through `stream` and flushes it: the output up to that flush. `limit` (inflate):
 * fails with `tooBig` once the output passes it. `settle` is called once with the outcome; the
 * returned function aborts (close()).
 */
function pass(stream: ZlibStream, inputs: Uint8Array[], flushKind: number, limit: number, settle: (error: Error | null, chunks: Uint8Array[], total: number) => void): (error: Error) => void {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let done = false;
  const finish = (error: Error | null): void => {
    if (done) return;
    done = true;
    stream.removeAllListeners("data");
    stream.removeAllListeners("error");
    if (error !== null) {
      // Keep a listener: a destroyed stream may still emit an error later.
      stream.on("error", () => {});
      stream.destroy();
    }
    settle(error, chunks, total);
  };
  stream.on("data", (chunk) => {
    if (done) return;
    total += chunk.length;
    if (total > limit) return finish(tooBig(limit));
    chunks.push(chunk);
  });
  stream.on("error", (error) => finish(error));
  for (const input of inputs) stream.write(input);
  // Deno's node:zlib calls the flush callback with the error (invalid data) before emitting `error`,
  // where Node never calls it: take the error from either.
  stream.flush(flushKind, (error) => finish(error instanceof Error ? error : null));
  return finish;
}

/** One connection's codec. */
function zlibCodec(zlib: ZlibModule, params: DeflateParams): MessageCodec {
  // zlib has no raw deflate with a 256-byte window; negotiateDeflate never agrees to 8. Inflating
  // with a bigger window than the peer's is always correct.
  const deflateBits = Math.max(9, params.serverMaxWindowBits);
  const inflateBits = Math.max(9, params.clientMaxWindowBits);
  let deflater: ZlibStream | undefined;
  let inflater: ZlibStream | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  let abort: ((error: Error) => void) | undefined;

  /**
   * A peer may end a message with a final block (BFINAL, RFC 7692 §7.2.3.3): the raw stream ends
   * there (zlib ignores what follows, 00 00 FF FF included) and would inflate every later message to
   * nothing. An ended inflater is dropped: the next message starts a fresh one. (Node, Deno and Bun
   * all emit `end` before the flush callback.)
   */
  const newInflater = (): ZlibStream => {
    const stream = zlib.createInflateRaw({ windowBits: inflateBits });
    stream.on("end", () => {
      if (inflater === stream) inflater = undefined;
    });
    return stream;
  };

  /** Runs one operation after the previous ones: results in call order, one stream use at a time. */
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const result = queue.then(() => (closed ? Promise.reject(closedError()) : run()));
    queue = result.catch(() => {});
    return result;
  };

  return {
    inflate(data, maxBytes) {
      return serial(() =>
        new Promise<Uint8Array>((resolve, reject) => {
          const stream = inflater ??= newInflater();
          abort = pass(stream, [data, TAIL], zlib.constants.Z_SYNC_FLUSH, maxBytes, (error, chunks, total) => {
            abort = undefined;
            // A failed stream is destroyed; so is one that keeps no context.
            if (error !== null || params.clientNoContextTakeover) {
              if (error === null) stream.destroy();
              if (inflater === stream) inflater = undefined;
            }
            if (error !== null) reject(error);
            else resolve(concat(chunks, total));
          });
        })
      );
    },
    deflate(data) {
      return serial(() =>
        new Promise<Uint8Array>((resolve, reject) => {
          const stream = deflater ??= zlib.createDeflateRaw({ windowBits: deflateBits, memLevel: 8 });
          abort = pass(stream, [data], zlib.constants.Z_SYNC_FLUSH, Infinity, (error, chunks, total) => {
            abort = undefined;
            if (error !== null || params.serverNoContextTakeover) {
              if (error === null) stream.destroy();
              if (deflater === stream) deflater = undefined;
            }
            if (error !== null) return reject(error);
            // The sync flush ends with 00 00 FF FF (which may straddle two chunks): strip it.
            const tail = total >= 4 && TAIL.every((b, i) => byteFromEnd(chunks, 4 - i) === b);
            resolve(concat(chunks, tail ? total - 4 : total));
          });
        })
      );
    },
    close() {
      if (closed) return;
      closed = true;
      abort?.(closedError());
      for (const stream of [deflater, inflater]) {
        if (stream === undefined) continue;
        stream.removeAllListeners();
        stream.on("error", () => {});
        stream.destroy();
      }
      deflater = inflater = undefined;
    },
  };
}

/**
 * The permessage-deflate port on a loaded `node:zlib` module.
 *
 * @example
 * ```ts ignore
 * const port = zlibDeflatePort(await import("node:zlib"));
 * const codec = port.create({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });
 * ```
 */
export function zlibDeflatePort(zlib: ZlibModule): DeflatePort {
  return { create: (params) => zlibCodec(zlib, params), contextTakeover: true };
}
