/**
 * A raw WebSocket client for the conformance table: it does the HTTP/1.1 upgrade handshake itself over
 * node:net (the same on Node, Deno and Bun), writes a case's bytes, reads the server's frames (which must
 * be unmasked), answers the server's close, and judges what it saw against the case's acceptable
 * outcomes: OK, NON-STRICT, INFORMATIONAL or FAILED, as the Autobahn test suite grades.
 *
 * @module
 */
import * as net from "node:net";
import { payloadBytes, type FrameSpec, type Message, type Outcome, type Payload, type Verdict, type WsCase } from "./cases.ts";

/** Verdict ranks, higher is better: OK > NON-STRICT > INFORMATIONAL > FAILED. */
export const VERDICT_RANK: Readonly<Record<Verdict, number>> = { OK: 3, "NON-STRICT": 2, INFORMATIONAL: 1, FAILED: 0 };

/** How one case went against one server. */
export interface CaseResult {
  id: string;
  verdict: Verdict;
  /** What the connection ended with: a close code, "close" (a close frame without a code), "drop" (TCP closed without a close frame) or "open". */
  ending: string;
  /** Why, in a few words (what failed, or the note of the outcome matched). */
  detail: string;
  ms: number;
}

/** Where the echo server is and how it is configured. */
export interface Target {
  port: number;
  host?: string;
  /** The message size limit it was started with, or null when it has none (limit cases then accept an echo as INFORMATIONAL). */
  limit: number | null;
}

/** What the client saw. */
interface Observation {
  messages: { type: "text" | "binary"; data: Uint8Array }[];
  pongs: Uint8Array[];
  /** The server's close frame: its code (null: none), and whether it came before the client's own close. */
  close: { code: number | null; first: boolean } | null;
  /** The server closed the TCP connection. */
  ended: boolean;
  /** The server had closed (frame or TCP) before the client started its last write. */
  closedBeforeLastWrite: boolean;
  errors: string[];
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * The bytes of one client frame, masked with a random key unless `spec.mask` is false.
 *
 * @example
 * ```ts
 * encodeFrame({ op: 1, data: "Hello" }); // 0x81 0x85 + 4-byte key + masked "Hello"
 * ```
 */
export function encodeFrame(spec: FrameSpec): Uint8Array {
  const payload = payloadBytes(spec.data ?? "");
  const mask = spec.mask !== false;
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + lengthBytes + (mask ? 4 : 0) + n);
  out[0] = (spec.fin === false ? 0 : 0x80) | ((spec.rsv ?? 0) << 4) | spec.op;
  out[1] = (mask ? 0x80 : 0) | (n < 126 ? n : n < 65536 ? 126 : 127);
  const view = new DataView(out.buffer);
  if (lengthBytes === 2) view.setUint16(2, n);
  if (lengthBytes === 8) view.setBigUint64(2, BigInt(n));
  let at = 2 + lengthBytes;
  if (mask) {
    const key = crypto.getRandomValues(new Uint8Array(4));
    out.set(key, at);
    at += 4;
    for (let i = 0; i < n; i++) out[at + i] = payload[i]! ^ key[i & 3]!;
  } else {
    out.set(payload, at);
  }
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
const worse = (a: Verdict, b: Verdict): Verdict => (VERDICT_RANK[a] <= VERDICT_RANK[b] ? a : b);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One connection: the handshake, then frames in, with the observation filled in as they come. */
class Connection {
  readonly socket: net.Socket;
  readonly seen: Observation = { messages: [], pongs: [], close: null, ended: false, closedBeforeLastWrite: false, errors: [] };
  sentClose = false;
  #buffer: Uint8Array = new Uint8Array(0);
  #handshaken = false;
  #fragments: { type: "text" | "binary"; data: Uint8Array } | null = null;
  #waiters: (() => void)[] = [];
  #handshake: { resolve(): void; reject(e: Error): void } | null = null;
  #acceptKey = "";

  constructor(target: Target) {
    this.socket = net.connect({ port: target.port, host: target.host ?? "127.0.0.1" });
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Uint8Array) => {
      this.#buffer = concat(this.#buffer, chunk);
      this.#parse();
      this.#wake();
    });
    const end = () => {
      this.seen.ended = true;
      this.#handshake?.reject(new Error("connection closed during the handshake"));
      this.#wake();
    };
    this.socket.on("end", end);
    this.socket.on("close", end);
    this.socket.on("error", (e: Error) => {
      this.#handshake?.reject(e);
      end();
    });
  }

  async open(port: number, host: string): Promise<void> {
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID)));
    this.#acceptKey = btoa(String.fromCharCode(...digest));
    const done = new Promise<void>((resolve, reject) => (this.#handshake = { resolve, reject }));
    const request = `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    this.socket.write(new TextEncoder().encode(request));
    await done;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until `done()` holds, the connection ends, or the deadline passes. */
  async until(done: () => boolean, deadline: number): Promise<void> {
    while (!done() && !this.seen.ended) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Writes bytes; false when the connection is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    if (this.seen.ended || this.socket.destroyed) return false;
    return await new Promise<boolean>((resolve) => this.socket.write(bytes, (e) => resolve(!e)));
  }

  #parse(): void {
    if (!this.#handshaken) {
      let text = "";
      for (const byte of this.#buffer) text += String.fromCharCode(byte);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = text.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 4);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
      if (status !== "101") return this.#handshake?.reject(new Error(`handshake: status ${status ?? "?"}`));
      if (accept !== this.#acceptKey) return this.#handshake?.reject(new Error(`handshake: Sec-WebSocket-Accept ${accept ?? "missing"}`));
      this.#handshaken = true;
      this.#handshake?.resolve();
      this.#handshake = null;
    }
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const fin = (b[0]! & 0x80) !== 0;
      const rsv = (b[0]! >> 4) & 7;
      const op = b[0]! & 0x0f;
      let n = b[1]! & 0x7f;
      let at = 2;
      if (n === 126) {
        if (b.length < 4) return;
        n = (b[2]! << 8) | b[3]!;
        at = 4;
      } else if (n === 127) {
        if (b.length < 10) return;
        n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(2));
        at = 10;
      }
      if ((b[1]! & 0x80) !== 0) return this.#error("the server masked a frame");
      if (b.length < at + n) return;
      const payload = b.slice(at, at + n);
      this.#buffer = b.slice(at + n);
      if (rsv !== 0) return this.#error(`the server set RSV bits ${rsv}`);
      this.#frame(fin, op, payload);
    }
  }

  #error(message: string): void {
    this.seen.errors.push(message);
    this.#buffer = new Uint8Array(0);
    this.socket.destroy();
  }

  #frame(fin: boolean, op: number, payload: Uint8Array): void {
    if (this.seen.close !== null) return this.#error(`a frame (opcode ${op}) after the server's close`);
    if (op === 1 || op === 2) {
      if (this.#fragments) return this.#error("a new message while a fragmented one is open");
      const message = { type: op === 1 ? ("text" as const) : ("binary" as const), data: payload };
      if (fin) this.seen.messages.push(message);
      else this.#fragments = message;
    } else if (op === 0) {
      if (!this.#fragments) return this.#error("a continuation without a start");
      this.#fragments.data = concat(this.#fragments.data, payload);
      if (fin) {
        this.seen.messages.push(this.#fragments);
        this.#fragments = null;
      }
    } else if (op === 8) {
      if (payload.length === 1) return this.#error("a close frame with a 1-byte payload");
      const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : null;
      this.seen.close = { code, first: !this.sentClose };
      if (!this.sentClose) {
        // Answer as a client does: echo the code.
        this.sentClose = true;
        void this.write(encodeFrame({ op: 8, data: code === null ? "" : { hex: code.toString(16).padStart(4, "0") } }));
      }
    } else if (op === 9) {
      void this.write(encodeFrame({ op: 10, data: { hex: [...payload].map((x) => x.toString(16).padStart(2, "0")).join("") } }));
    } else if (op === 10) {
      this.seen.pongs.push(payload);
    } else {
      this.#error(`the server sent opcode ${op}`);
    }
  }
}

const sameMessages = (seen: Observation["messages"], want: Message[] = []): boolean =>
  seen.length === want.length && want.every((m, i) => seen[i]!.type === m.type && sameBytes(seen[i]!.data, payloadBytes(m.data)));
const samePongs = (seen: Uint8Array[], want: Payload[] = []): boolean => seen.length === want.length && want.every((p, i) => sameBytes(seen[i]!, payloadBytes(p)));

/** What the connection ended with, for the table cell. */
function ending(seen: Observation): string {
  if (seen.close) return seen.close.code === null ? "close" : String(seen.close.code);
  return seen.ended ? "drop" : "open";
}

function describeSeen(seen: Observation): string {
  const sizes = seen.messages.map((m) => `${m.type} ${m.data.length} B`);
  const shown = sizes.length > 3 ? [...sizes.slice(0, 3), `… (${sizes.length})`] : sizes;
  return `got [${shown.join(", ")}], ${seen.pongs.length} pong(s)`;
}

/** Grades what was seen against one outcome: [verdict, why]. */
function judge(wsCase: WsCase, outcome: Outcome, seen: Observation): [Verdict, string] {
  const ceiling: Verdict = outcome.verdict ?? "OK";
  if (seen.errors.length > 0) return ["FAILED", seen.errors.join("; ")];
  if (!sameMessages(seen.messages, outcome.echo) || !samePongs(seen.pongs, outcome.pong)) return ["FAILED", `unexpected data: ${describeSeen(seen)}`];
  let verdict: Verdict = "OK";
  let why = outcome.note ?? "";
  if (outcome.failConnection) {
    if (!seen.close && !seen.ended) return ["FAILED", "the connection was not failed"];
    if (seen.close && !seen.close.first && !wsCase.steps.some((s) => "frame" in s && s.frame.op === 8)) return ["FAILED", "the server waited for the client's close"];
    if (!seen.close) [verdict, why] = ["NON-STRICT", "TCP closed without a close frame"];
    else if (seen.close.code === null) [verdict, why] = ["NON-STRICT", "a close frame without a code"];
    else if (!outcome.failConnection.includes(seen.close.code)) return ["FAILED", `close code ${seen.close.code}, expected ${outcome.failConnection.join(" or ")}`];
    if (wsCase.failFast && !seen.closedBeforeLastWrite) [verdict, why] = [worse(verdict, "NON-STRICT"), "not fail-fast: closed only after the rest of the message"];
  } else {
    const codes = outcome.close ?? [1000];
    if (seen.close?.first) return ["FAILED", `the server closed with ${ending(seen)}`];
    if (!seen.close) {
      if (!seen.ended) return ["FAILED", "no close reply"];
      [verdict, why] = ["NON-STRICT", "TCP closed without a close reply"];
    } else if (!codes.includes(seen.close.code)) return ["FAILED", `close reply ${ending(seen)}, expected ${codes.map((c) => c ?? "no code").join(" or ")}`];
  }
  if (seen.close && !seen.ended) [verdict, why] = [worse(verdict, "NON-STRICT"), "the server left TCP open after the close handshake"];
  return [worse(verdict, ceiling), why];
}

/**
 * Runs one case against the echo server at `target` and grades it. `timeoutMs` (at most 2000) bounds the
 * wait after the last write, for the echoes and then for the close.
 *
 * @example
 * ```ts ignore
 * const result = await runCase({ port: 8080, limit: WS_LIMIT }, CASES[0]!);
 * console.log(result.verdict, result.ending); // "OK 1000"
 * ```
 */
export async function runCase(target: Target, wsCase: WsCase, timeoutMs = 2000): Promise<CaseResult> {
  const started = Date.now();
  const host = target.host ?? "127.0.0.1";
  const c = new Connection(target);
  const result = (verdict: Verdict, detail: string): CaseResult => ({ id: wsCase.id, verdict, ending: ending(c.seen), detail, ms: Date.now() - started });
  try {
    try {
      await Promise.race([c.open(target.port, host), sleep(Math.min(timeoutMs, 2000)).then(() => Promise.reject(new Error("handshake: timed out")))]);
    } catch (e) {
      return result("FAILED", (e as Error).message);
    }
    // Consecutive frames and raw bytes go out in one write; pauses and chunked frames break it up.
    const writes: (Uint8Array | { pauseMs: number })[] = [];
    let pending: Uint8Array[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      const total = pending.reduce((n, p) => n + p.length, 0);
      const joined = new Uint8Array(total);
      let at = 0;
      for (const p of pending) {
        joined.set(p, at);
        at += p.length;
      }
      writes.push(joined);
      pending = [];
    };
    for (const step of wsCase.steps) {
      if ("pauseMs" in step) {
        flush();
        writes.push({ pauseMs: step.pauseMs });
      } else if ("raw" in step) {
        pending.push(payloadBytes(step.raw));
      } else if (step.frame.chunk) {
        flush();
        const bytes = encodeFrame(step.frame);
        for (let i = 0; i < bytes.length; i += step.frame.chunk) {
          if (i > 0 && step.frame.chunkPauseMs) writes.push({ pauseMs: step.frame.chunkPauseMs });
          writes.push(bytes.slice(i, i + step.frame.chunk));
        }
      } else {
        pending.push(encodeFrame(step.frame));
      }
    }
    flush();
    const lastWrite = writes.findLastIndex((w) => w instanceof Uint8Array);
    const stepsClose = wsCase.steps.some((s) => "frame" in s && s.frame.op === 8);
    if (stepsClose) c.sentClose = true;
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i]!;
      if (i === lastWrite) c.seen.closedBeforeLastWrite = c.seen.close !== null || c.seen.ended;
      if (c.seen.close !== null || c.seen.ended) break;
      if (w instanceof Uint8Array) {
        if (!(await c.write(w))) break;
      } else {
        await sleep(w.pauseMs);
      }
    }
    const deadline = Date.now() + Math.min(timeoutMs, 2000);
    const outcomes = wsCase.expect.filter((o) => !o.onlyWithoutLimit || target.limit === null);
    const failOnly = outcomes.every((o) => o.failConnection);
    if (!stepsClose && !failOnly) {
      const echoes = Math.max(...outcomes.map((o) => o.echo?.length ?? 0));
      const pongs = Math.max(...outcomes.map((o) => o.pong?.length ?? 0));
      await c.until(() => c.seen.close !== null || (c.seen.messages.length >= echoes && c.seen.pongs.length >= pongs), deadline);
      if (c.seen.close === null && !c.seen.ended) {
        c.sentClose = true;
        await c.write(encodeFrame({ op: 8, data: { hex: "03e8" } }));
      }
    }
    await c.until(() => false, deadline);
    let best: [Verdict, string] = ["FAILED", "no outcome"];
    for (const outcome of outcomes) {
      const graded = judge(wsCase, outcome, c.seen);
      if (outcome === outcomes[0] || VERDICT_RANK[graded[0]] > VERDICT_RANK[best[0]]) best = graded;
    }
    return result(best[0], best[1]);
  } finally {
    c.socket.destroy();
  }
}

/**
 * Runs `cases` against `target`, `concurrency` at a time (one connection each), results in table order.
 *
 * @example
 * ```ts ignore
 * const results = await runCases({ port, limit: WS_LIMIT }, CASES, { concurrency: 4 });
 * ```
 */
export async function runCases(target: Target, cases: readonly WsCase[], options: { concurrency?: number; timeoutMs?: number } = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(target, cases[i]!, options.timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  return results;
}
