/**
 * Test helpers: start a server on a free loopback port, and talk to it with a raw socket client that
 * parses responses byte for byte (so tests see exactly what went on the wire).
 */

import * as net from "node:net";
import { createServer, type App, type ServeOptions, type Server } from "../mod.ts";
import { concatBytes, latin1Bytes, latin1Text } from "./_bytes.ts";

/** The runtime running the tests. */
export const runtime: "node" | "deno" | "bun" = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

/** Log lines captured from a test server. */
export interface CapturedLog {
  lines: string[];
  sink: { debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void };
}

/** A logger sink that records lines instead of printing them. */
export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const push = (m: unknown) => lines.push(String(m));
  return { lines, sink: { debug: push, info: push, warn: push, error: push } };
}

/** A server under test. */
export interface TestServer {
  server: Server;
  port: number;
  host: string;
  log: CapturedLog;
  close(): Promise<void>;
}

/** Starts `app` on 127.0.0.1 with a free port, logging into memory. */
export async function startServer(app: App, options: ServeOptions = {}): Promise<TestServer> {
  const log = captureLog();
  const server = createServer(app, { host: "127.0.0.1", port: 0, logger: log.sink, logLevel: "debug", ...options });
  await server.ready;
  const address = server.addresses[0];
  return { server, port: address.port, host: address.hostname, log, close: () => server.close() };
}

/** One parsed HTTP response. */
export interface RawResponse {
  version: string;
  status: number;
  reason: string;
  /** Header names lower-cased; repeated headers in order. */
  headers: [string, string][];
  body: Uint8Array;
  /** The body as latin1 text. */
  text: string;
  /** The exact bytes of the head. */
  rawHead: string;
  header(name: string): string | undefined;
}

/** Bytes from a latin1 string (each char one byte): {@link latin1Bytes}. */
export const bytes: (text: string) => Uint8Array = latin1Bytes;

/**
 * A raw client over a real socket. `send` writes bytes; `response` parses the next response
 * (Content-Length, chunked, or up to EOF); `closed` tells whether the server closed the connection.
 */
export class RawClient {
  readonly socket: net.Socket;
  #buffer: Uint8Array = new Uint8Array(0);
  #ended = false;
  #waiters: (() => void)[] = [];
  #connected: Promise<void>;

  /** `socket`: a socket already being opened (a TLS one: then `ready` is "secureConnect") instead of a new TCP connection. */
  constructor(port: number, host = "127.0.0.1", path?: string, socket?: net.Socket, ready = "connect") {
    this.socket = socket ?? (path ? net.connect(path) : net.connect({ port, host }));
    this.#connected = new Promise((resolve, reject) => {
      this.socket.once(ready, () => resolve());
      this.socket.once("error", reject);
    });
    this.socket.on("data", (chunk: Uint8Array) => {
      const next = new Uint8Array(this.#buffer.length + chunk.length);
      next.set(this.#buffer);
      next.set(chunk, this.#buffer.length);
      this.#buffer = next;
      this.#wake();
    });
    this.socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    this.socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    this.socket.on("error", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #waitMore(deadline: number): Promise<void> {
    if (this.#ended) throw new Error("connection closed by the server");
    const left = deadline - Date.now();
    if (left <= 0) throw new Error("timed out waiting for the server");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Writes bytes (a latin1 string or bytes). */
  async send(data: string | Uint8Array): Promise<void> {
    await this.#connected;
    await new Promise<void>((resolve, reject) => this.socket.write(typeof data === "string" ? bytes(data) : data, (e) => (e ? reject(e) : resolve())));
  }

  /** Half-closes the client side. */
  end(): void {
    this.socket.end();
  }

  #indexOf(seq: string, from = 0): number {
    const b = this.#buffer;
    outer: for (let i = from; i <= b.length - seq.length; i++) {
      for (let j = 0; j < seq.length; j++) if (b[i + j] !== seq.charCodeAt(j)) continue outer;
      return i;
    }
    return -1;
  }

  #take(n: number): Uint8Array {
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return out;
  }

  /** Reads exactly `n` bytes (after any response parsed before), waiting up to `timeoutMs`. */
  async read(n: number, timeoutMs = 5000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buffer.length < n) await this.#waitMore(deadline);
    return this.#take(n);
  }

  /** Bytes received and not yet parsed. */
  get pending(): string {
    return latin1Text(this.#buffer);
  }

  /** Reads one response. `head: true` for a response to HEAD (no body). 1xx responses are returned too. */
  async response(options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    let end: number;
    while ((end = this.#indexOf("\r\n\r\n")) < 0) await this.#waitMore(deadline);
    const rawHead = latin1Text(this.#take(end + 4));
    const [statusLine, ...lines] = rawHead.slice(0, -4).split("\r\n");
    const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(statusLine);
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers: [string, string][] = lines.map((line) => {
      const i = line.indexOf(":");
      return [line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()];
    });
    const header = (name: string) => headers.find(([n]) => n === name)?.[1];
    const status = Number(m[2]);
    let body: Uint8Array = new Uint8Array(0);
    const noBody = options.head || status < 200 || status === 204 || status === 304;
    if (!noBody) {
      const te = header("transfer-encoding");
      const cl = header("content-length");
      if (te && te.toLowerCase().includes("chunked")) {
        const parts: Uint8Array[] = [];
        for (;;) {
          let lineEnd: number;
          while ((lineEnd = this.#indexOf("\r\n")) < 0) await this.#waitMore(deadline);
          const size = parseInt(latin1Text(this.#take(lineEnd + 2)), 16);
          if (size === 0) {
            while (this.#indexOf("\r\n") < 0) await this.#waitMore(deadline);
            // trailers until the empty line
            for (;;) {
              while ((lineEnd = this.#indexOf("\r\n")) < 0) await this.#waitMore(deadline);
              const line = this.#take(lineEnd + 2);
              if (line.length === 2) break;
            }
            break;
          }
          while (this.#buffer.length < size + 2) await this.#waitMore(deadline);
          parts.push(this.#take(size));
          this.#take(2);
        }
        body = concatBytes(parts);
      } else if (cl !== undefined) {
        const n = Number(cl);
        while (this.#buffer.length < n) await this.#waitMore(deadline);
        body = this.#take(n);
      } else {
        // close-delimited
        while (!this.#ended) {
          try {
            await this.#waitMore(deadline);
          } catch (e) {
            if (this.#ended) break;
            throw e;
          }
        }
        body = this.#take(this.#buffer.length);
      }
    }
    return { version: m[1], status, reason: m[3], headers, body, text: latin1Text(body), rawHead, header };
  }

  /** Whether the server closes the connection within `ms` (after any pending bytes). */
  async closed(ms = 2000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.#ended) {
      if (Date.now() >= deadline) return false;
      try {
        await this.#waitMore(deadline);
      } catch {
        // timeout or ended
      }
    }
    return true;
  }

  /** Closes the client socket. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Sends `request` on a fresh connection and returns the first response and whether the server then closed. */
export async function exchange(port: number, request: string | Uint8Array, options: { head?: boolean } = {}): Promise<{ response: RawResponse; closed: boolean; client: RawClient }> {
  const client = new RawClient(port);
  try {
    await client.send(request);
    const response = await client.response(options);
    const closed = await client.closed(1500);
    return { response, closed, client };
  } finally {
    client.destroy();
  }
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `predicate()` holds, checking every 5 ms; throws `what` after `ms` milliseconds. Tests wait
 * for conditions, never for a fixed time that a busy machine may not honour.
 */
export async function until(predicate: () => boolean, what = "condition", ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for: ${what}`);
    await sleep(5);
  }
}
