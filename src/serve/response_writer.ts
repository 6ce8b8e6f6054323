/**
 * The write side of a connection. A handler's `Response` is written as its head (the app's headers,
 * minus what the server owns, plus framing, Date, Server and Connection), then its body, framed by Content-Length or chunked, with
 * backpressure. Two paths, for speed: a whole string or byte body (a FastResponse's) goes out in one
 * write without a promise in sight; anything else (streams, Blobs, native Responses) is read ahead a
 * little so small bodies still get a Content-Length and one write. And the output queue
 * ({@linkcode Output}) all of it goes through: bytes are written together, so a response, or several
 * pipelined ones, usually leave in one write, and a client that does not read is noticed.
 *
 * @module
 */

import { errorResponse, HOP_BY_HOP, isSafeHeader } from "../http1/response_head.ts";
import { reportHopByHop } from "../policy/hop_by_hop.ts";
import { concatBytes, encodeLatin1, encodeMessage, encodeUtf8, isAscii, utf8Length } from "../http1/bytes.ts";
import type { SocketHandle } from "../platform.ts";
import { httpDate } from "../http1/http_date.ts";
import { statusText } from "../http1/status_text.ts";
import { type FastParts, takeFastParts } from "../web/fast_response.ts";
import type { Logger } from "../policy/logger.ts";
import type { Exchange } from "./exchange.ts";
import { readAhead } from "../web/read_ahead.ts";

/** Byte bodies up to this size are copied next to their head (one write); larger ones are not. */
const COPY_LIMIT = 16 * 1024;
/** Output is merged into one write up to this size. */
const MERGE_LIMIT = 64 * 1024;

/**
 * The output queue of one connection.
 *
 * @example
 * ```ts ignore
 * const output = new Output(socket, () => clock.now(), clock.soon);
 * output.queue(bytes);
 * if (!output.flush()) await output.drained();
 * ```
 */
export class Output {
  readonly #socket: SocketHandle;
  readonly #now: () => number;
  readonly #soon: (fn: () => void) => void;
  #chunks: Uint8Array[] = [];
  /** Queued output as text, when the socket can write strings and nothing binary is queued. */
  #text: string | null = null;
  #bytes = 0;
  #flushScheduled = false;
  #flushAtTurnEnd = false;
  /** Writers waiting for a drain (created when the first one waits: most connections never do). */
  #drainWaiters: (() => void)[] | undefined;
  /** The socket is gone: nothing more is written. */
  #closed = false;
  /** Whether the socket's output is above its high-water mark. */
  congested = false;
  /** When the output last became congested: bytes the client sends do not count as reading. */
  stalledSince = 0;
  /** When bytes were last handed to the socket (ms). */
  lastWrite = 0;
  /** Bytes handed to the socket. */
  bytesOut = 0;

  constructor(socket: SocketHandle, now: () => number, soon: (fn: () => void) => void) {
    this.#socket = socket;
    this.#now = now;
    this.#soon = soon;
  }

  /** Bytes queued and not yet handed to the socket. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Whether the socket writes strings itself (Node encodes them without a JavaScript buffer). */
  get takesText(): boolean {
    return this.#socket.writeText !== undefined;
  }

  /** Queues bytes; the caller never reuses their memory. */
  queue(bytes: Uint8Array): void {
    if (this.#text !== null) {
      this.#chunks.push(encodeUtf8(this.#text));
      this.#text = null;
    }
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
  }

  /** Queues text (UTF-8) of `byteLength` bytes; kept as a string while nothing binary is queued. Only when {@linkcode takesText}. */
  queueText(text: string, byteLength: number): void {
    if (this.#chunks.length === 0) this.#text = this.#text === null ? text : this.#text + text;
    else this.#chunks.push(encodeUtf8(text));
    this.#bytes += byteLength;
  }

  /** Flushes at the end of this turn of the event loop, so pipelined responses share a write. */
  scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Flushes at the end of this turn of the event loop, once every microtask has run: a streamed
   * body's chunks produced in one turn (a head and its first chunk, the last chunk and the end of
   * the body) leave in one write.
   */
  flushAtTurnEnd(): void {
    if (this.#flushAtTurnEnd) return;
    this.#flushAtTurnEnd = true;
    this.#soon(() => {
      this.#flushAtTurnEnd = false;
      this.flush();
    });
  }

  /** Writes what is queued; returns false when the socket is congested. */
  flush(): boolean {
    const chunks = this.#chunks;
    const text = this.#text;
    if ((chunks.length === 0 && text === null) || this.#closed) {
      this.#chunks = [];
      this.#text = null;
      this.#bytes = 0;
      return !this.congested;
    }
    const socket = this.#socket;
    this.lastWrite = this.#now();
    this.bytesOut += this.#bytes;
    let ok: boolean;
    if (text !== null) {
      // Only text is queued (see queueText): the runtime encodes it straight into its write.
      ok = socket.writeText!(text);
      this.#text = null;
    } else if (chunks.length === 1) ok = socket.write(chunks[0]);
    else if (socket.writev !== undefined && this.#bytes > COPY_LIMIT) ok = socket.writev(chunks);
    else if (this.#bytes <= MERGE_LIMIT) ok = socket.write(concatBytes(chunks, this.#bytes));
    else {
      ok = true;
      for (const part of chunks) ok = socket.write(part);
    }
    this.#chunks = [];
    this.#bytes = 0;
    if (!ok && !this.congested) {
      this.congested = true;
      this.stalledSince = this.lastWrite;
    }
    return ok;
  }

  /** Resolves on the next drain (or close); called only when the output is congested. */
  drained(): Promise<void> {
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve));
  }

  /** The socket can take more: wake the writers waiting for it. */
  onDrain(): void {
    this.congested = false;
    const waiters = this.#drainWaiters;
    if (waiters === undefined) return;
    this.#drainWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /** The socket is gone: drop what is queued and wake the writers so they notice. */
  onClose(): void {
    this.#closed = true;
    this.onDrain();
  }
}

const CRLF = encodeLatin1("\r\n");
const LAST_CHUNK = encodeLatin1("0\r\n\r\n");

/** What the writer needs of its connection. */
export interface ResponseTarget {
  readonly output: Output;
  readonly logger: Logger;
  /** `Server` header value; `""` omits it. */
  readonly ident: string;
  /** Unread request body (bytes) the server discards to keep a connection alive. */
  readonly maxDiscardBytes: number;
  readonly exposeTracebacks: boolean;
  /** Shared by every connection of a server: hop-by-hop warnings are given once per header name. */
  readonly server: object;
  /** The socket is gone (the connection sets it when it hears of the close). */
  closed: boolean;
  /** The time (ms), from the clock port: for the Date header. */
  now(): number;
  /** The whole response is queued: go on with the connection. */
  complete(exchange: Exchange): void;
  /** The response cannot be finished: close the connection now. */
  closeNow(): void;
  /** Report the exchange to statistics and the access log (once). */
  record(exchange: Exchange): void;
}

/** What the application's headers contribute to a response head. */
interface CollectedHeaders {
  lines: string;
  declaredLength: number;
  hasDate: boolean;
  hasServer: boolean;
  /** The hop-by-hop headers the application set (flat name, value), dropped; usually none. */
  hopByHop: string[] | undefined;
  /** Every value is ASCII (the names are tokens): the head can go as text without a scan of its own. */
  ascii: boolean;
}

/** Of the final statuses (200 and up: the only ones sent), 204 and 304 carry no body. */
function bodyAllowedFor(status: number): boolean {
  return status !== 204 && status !== 304;
}

/**
 * Answers `exchange` with 500 after the handler failed (or closes the connection if the response
 * had begun).
 *
 * @example
 * ```ts ignore
 * respondWithError(target, exchange, new Error("boom"));
 * ```
 */
export function respondWithError(target: ResponseTarget, exchange: Exchange, error: unknown): void {
  if (exchange.response === "done" || target.closed) return;
  target.logger.error(`Exception while serving ${exchange.head.target}`, error);
  if (exchange.response === "sending") {
    target.closeNow();
    return;
  }
  exchange.keepAlive = false;
  const detail = target.exposeTracebacks && error instanceof Error
    ? (error.stack ?? String(error))
    : "The server encountered an unexpected internal server error";
  exchange.response = "sending";
  exchange.status = 500;
  const bytes = errorResponse(500, "Internal Server Error", detail, { ident: target.ident, head: exchange.head.method === "HEAD", date: httpDate(target.now()) });
  exchange.bodyBytes = bodyLengthOf(bytes);
  target.output.queue(bytes);
  target.complete(exchange);
}

/**
 * Writes the handler's `response` to `exchange`.
 *
 * @example
 * ```ts ignore
 * respond(target, exchange, new Response("hi"));
 * ```
 */
export function respond(target: ResponseTarget, exchange: Exchange, response: Response): void {
  if (exchange.response === "done" || target.closed) {
    // The connection failed (or answered with an error) while the handler ran.
    void response?.body?.cancel().catch(() => {});
    return;
  }
  const fail = (error: unknown): void => {
    if (exchange.response === "waiting") respondWithError(target, exchange, error);
    else {
      target.logger.error(`Exception while sending the response to ${exchange.head.target}`, error);
      target.closeNow();
    }
  };
  try {
    if (typeof response !== "object" || response === null || typeof response.status !== "number") {
      throw new TypeError(`The handler returned ${response === null ? "null" : typeof response} instead of a Response`);
    }
    const fast = takeFastParts(response, { streams: true });
    // The hot path: a whole string or byte body, written without a promise in sight.
    let collected: CollectedHeaders | undefined;
    if (fast !== undefined && fast.blob === undefined && fast.stream === undefined) {
      collected = collectHeaders(fast.status, bodyAllowedFor(fast.status), fast.headers, fast.headers === undefined ? response.headers : undefined);
      if (writeWhole(target, exchange, fast, collected)) return;
    }
    writeStreamed(target, exchange, response, fast, collected).catch(fail);
  } catch (error) {
    fail(error);
  }
}

/**
 * Writes a response whose whole body is known (a FastResponse's string or bytes) in one buffer.
 * Returns false, having written nothing, when the general path must handle it (a declared
 * Content-Length that does not match the body).
 */
function writeWhole(target: ResponseTarget, exchange: Exchange, fast: FastParts, collected: CollectedHeaders): boolean {
  const head = exchange.head;
  const status = fast.status;
  const bodyAllowed = bodyAllowedFor(status);
  const body = bodyAllowed && fast.body !== null && fast.body.length > 0 ? fast.body : null;
  const bodyLength = body === null ? 0 : typeof body === "string" ? utf8Length(body) : body.length;
  // A FastResponse refuses a body with a status that carries none, so there is nothing to ignore.
  if (collected.declaredLength >= 0 && collected.declaredLength !== bodyLength && bodyAllowed && head.method !== "HEAD") return false;
  let lines = collected.lines;
  if (collected.declaredLength < 0 && bodyAllowed) lines += `content-length: ${bodyLength}\r\n`;
  lines += closingLines(target, exchange, collected);
  exchange.response = "sending";
  exchange.status = status;
  const reason = fast.statusText ? safeReason(fast.statusText) : statusText(status);
  const headText = `HTTP/1.1 ${status} ${reason}\r\n${lines}\r\n`; // 1.1 to 1.0 requests too: RFC 9110 2.5
  const noBody = head.method === "HEAD" || body === null;
  if (!noBody) exchange.bodyBytes = bodyLength;
  const output = target.output;
  // ASCII throughout: the application's values, its reason phrase and the Server value (the rest is ours).
  const asciiHead = collected.ascii && (!fast.statusText || isAscii(reason)) && isAsciiIdent(target.ident);
  if (output.takesText && (noBody || typeof body === "string") && asciiHead) {
    // Node writes strings without a JavaScript-side buffer: the head and a text body go as one string.
    output.queueText(noBody ? headText : headText + (body as string), headText.length + (noBody ? 0 : bodyLength));
  } else queueMessage(output, headText, noBody ? null : body, noBody ? 0 : bodyLength);
  target.complete(exchange);
  return true;
}

/**
 * Queues a head and its complete body in one buffer, except a large byte body, which is not copied
 * next to its head: two writes, zero copies.
 */
function queueMessage(output: Output, headText: string, body: string | Uint8Array | null, bodyLength: number): void {
  if (body !== null && typeof body !== "string" && bodyLength > COPY_LIMIT) {
    output.queue(encodeMessage(headText, null, 0));
    output.queue(body);
  } else output.queue(encodeMessage(headText, body, bodyLength));
}

/** The application's headers as head lines, without what the server owns; throws on unsafe ones. */
function collectHeaders(status: number, bodyAllowed: boolean, flat: string[] | undefined, headers: Headers | undefined): CollectedHeaders {
  let lines = "";
  let declaredLength = -1;
  let hasDate = false;
  let hasServer = false;
  let hopByHop: string[] | undefined;
  let ascii = true;
  const add = (name: string, value: string): void => {
    if (HOP_BY_HOP.has(name)) {
      // Reported once the server has chosen framing and keep-alive (closingLines).
      (hopByHop ??= []).push(name, value);
      return;
    }
    if (!isSafeHeader(name, value)) {
      throw new TypeError(`The handler returned an invalid header ${JSON.stringify(name)}: header names must be tokens and values must not contain CR, LF or NUL`);
    }
    if (name === "content-length") {
      if (!/^[0-9]{1,15}$/.test(value) || declaredLength >= 0) {
        throw new TypeError(`The handler returned an invalid Content-Length ${JSON.stringify(value)}`);
      }
      declaredLength = Number(value);
      if (!bodyAllowed && status !== 304) return;
    } else if (name === "date") hasDate = true;
    else if (name === "server") hasServer = true;
    lines += `${name}: ${value}\r\n`;
    if (ascii && !isAscii(value)) ascii = false;
  };
  if (flat !== undefined) {
    for (let i = 0; i < flat.length; i += 2) add(flat[i], flat[i + 1]);
  } else if (headers !== undefined) {
    for (const [name, value] of headers) add(name, value);
  }
  return { lines, declaredLength, hasDate, hasServer, hopByHop, ascii };
}

let lastIdent = "";
let lastIdentAscii = true;
/** Whether the `Server` value is ASCII, remembered: it is the same setting for every response. */
function isAsciiIdent(ident: string): boolean {
  if (ident !== lastIdent) {
    lastIdent = ident;
    lastIdentAscii = isAscii(ident);
  }
  return lastIdentAscii;
}

/** Date, Server and Connection lines; decides whether the connection stays open. */
function closingLines(target: ResponseTarget, exchange: Exchange, collected: CollectedHeaders): string {
  const head = exchange.head;
  let lines = "";
  if (!collected.hasDate) lines += `date: ${httpDate(target.now())}\r\n`;
  if (!collected.hasServer && target.ident) lines += `server: ${target.ident}\r\n`;
  // The handler answers without having read the body. If it cannot be discarded cheaply (a length
  // over the bound, or never sent because no 100 Continue went out), the connection closes: announce it.
  // A chunked body's length is unknown: it is discarded up to the bound, past which the connection closes.
  if (exchange.keepAlive && exchange.hasBody && exchange.bodyState === "unread" &&
    ((!head.chunked && head.contentLength > target.maxDiscardBytes) || (head.expectContinue && !exchange.continueSent))) {
    exchange.keepAlive = false;
  }
  if (!exchange.keepAlive) lines += "connection: close\r\n";
  else if (head.minorVersion === 0) lines += "connection: keep-alive\r\n";
  if (collected.hopByHop !== undefined) reportHopByHop(target.logger, target.server, collected.hopByHop, exchange.keepAlive, head.target);
  return lines;
}

/** Writes any response the whole-body path did not: streams, Blobs, native Responses, mismatched lengths. */
async function writeStreamed(target: ResponseTarget, exchange: Exchange, response: Response, fast: FastParts | undefined, known: CollectedHeaders | undefined): Promise<void> {
  const output = target.output;
  const head = exchange.head;
  let status = fast ? fast.status : response.status;
  if (status === 0 && response.type === "error") status = 500; // Response.error()
  // A 1xx is never a final response: sent as one, the client would take the next response for it.
  if (!Number.isInteger(status) || status < 200 || status > 999) {
    throw new RangeError(`The handler returned a response with status ${status}, which this server cannot send`);
  }
  const isHead = head.method === "HEAD";
  const bodyAllowed = bodyAllowedFor(status);
  // Headers, body, then headers again: Bun's Response computes its body's implicit Content-Type
  // when its headers are first read (and forgets it once the body was taken); a lookalike (srvx's
  // NodeResponse, h3's on Node) adds it only when it builds the native Response behind its body.
  let appBody: ReadableStream<Uint8Array> | null = null;
  if (fast === undefined) {
    void response.headers;
    appBody = response.body;
  } else if (fast.stream !== undefined) appBody = fast.stream;

  // Collect the application's headers (once: writeWhole may have done it), dropping what the server owns.
  const collected = known ?? collectHeaders(status, bodyAllowed, fast?.headers, fast?.headers === undefined ? response.headers : undefined);
  let lines = collected.lines;
  let declaredLength = collected.declaredLength;

  // Body: read ahead up to two chunks so small bodies get a Content-Length and go out in one write.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let pendingRead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  const first: Uint8Array[] = [];
  let ended = true;
  /** A complete body known up front (a FastResponse's string or bytes). */
  let whole: string | Uint8Array | null = null;
  let wholeLength = 0;
  if (fast?.blob !== undefined) {
    // A Blob (e.g. a file from fs.openAsBlob): its size is known, its bytes are streamed.
    if (declaredLength < 0 && bodyAllowed) {
      declaredLength = fast.blob.size;
      lines += `content-length: ${declaredLength}\r\n`;
    }
    if (bodyAllowed && !isHead && fast.blob.size > 0) {
      reader = fast.blob.stream().getReader() as ReadableStreamDefaultReader<Uint8Array>;
      ended = false;
    }
  } else if (fast !== undefined && fast.stream === undefined) {
    // Here only when writeWhole declined: a body-carrying status whose Content-Length does not match.
    if (fast.body !== null && fast.body.length > 0) {
      whole = fast.body;
      wholeLength = typeof whole === "string" ? utf8Length(whole) : whole.length;
    }
  } else {
    const body = appBody;
    if (body !== null && bodyAllowed) {
      reader = body.getReader();
      ended = false;
      // Only chunks that are ready: a stream that waits (an event source, say) has its head sent now.
      const ahead = await readAhead(reader, 2, checkChunk);
      first.push(...ahead.chunks);
      ended = ahead.ended;
      pendingRead = ahead.pending;
      if (target.closed) {
        void reader.cancel().catch(() => {});
        return;
      }
    } else if (body !== null) {
      if (!body.locked) void body.cancel().catch(() => {});
      if (status !== 304) {
        target.logger.warning(`Ignored the application's body for a ${status} response to ${head.target}: that status carries no body`);
      }
    }
  }

  let firstLength = wholeLength;
  for (const chunk of first) firstLength += chunk.length;
  let length = declaredLength;
  if (length < 0 && ended && bodyAllowed) {
    length = firstLength;
    lines += `content-length: ${length}\r\n`;
  }
  let chunked = false;
  if (bodyAllowed && length < 0) {
    if (head.minorVersion === 1) {
      chunked = !isHead;
      if (!isHead) lines += "transfer-encoding: chunked\r\n";
    } else {
      exchange.keepAlive = false; // HTTP/1.0: the end of the body is the end of the connection
    }
  }
  lines += closingLines(target, exchange, collected);

  const appReason = fast ? fast.statusText : response.statusText;
  const reason = appReason ? safeReason(appReason) : statusText(status);
  exchange.response = "sending";
  exchange.status = status;
  const headText = `HTTP/1.1 ${status} ${reason}\r\n${lines}\r\n`; // 1.1 to 1.0 requests too: RFC 9110 2.5

  // The common case: the whole body is known and matches its length: no chunked framing, one flush.
  if (ended && (declaredLength < 0 || declaredLength === firstLength || isHead || !bodyAllowed)) {
    if (isHead || !bodyAllowed) {
      if (reader) void reader.cancel().catch(() => {});
      output.queue(encodeMessage(headText, null, 0));
    } else {
      // A stream read to its end within the read-ahead gave at most one chunk (the second read was the end).
      exchange.bodyBytes = firstLength;
      queueMessage(output, headText, first.length === 1 ? first[0] : whole, firstLength);
    }
    target.complete(exchange);
    return;
  }
  if (whole !== null) first.push(typeof whole === "string" ? encodeUtf8(whole) : whole);
  output.queue(encodeLatin1(headText));

  if (isHead || !bodyAllowed) {
    if (reader) void reader.cancel().catch(() => {});
    target.complete(exchange);
    return;
  }

  let sent = 0;
  const limit = length; // -1 when unknown
  const send = (chunk: Uint8Array): void => {
    if (chunk.length === 0) return;
    if (limit >= 0) {
      if (sent + chunk.length > limit) {
        chunk = chunk.subarray(0, limit - sent);
        target.logger.warning(`The application sent more bytes than its Content-Length (${limit}) for ${head.target}: the rest was cut off`);
      }
      sent += chunk.length;
      if (chunk.length) output.queue(chunk);
    } else if (chunked) {
      sent += chunk.length;
      output.queue(encodeLatin1(chunk.length.toString(16) + "\r\n"));
      output.queue(chunk);
      output.queue(CRLF);
    } else {
      sent += chunk.length;
      output.queue(chunk);
    }
  };
  for (const chunk of first) send(chunk);

  while (!ended && !target.closed) {
    if (limit >= 0 && sent >= limit) {
      // Either exactly done (stop reading) or over: either way nothing more goes out.
      const { done, value } = await (pendingRead ?? reader!.read());
      if (!done) {
        if (value.length) target.logger.warning(`The application sent more bytes than its Content-Length (${limit}) for ${head.target}: the rest was cut off`);
        void reader!.cancel().catch(() => {});
      }
      break;
    }
    // What this turn of the event loop produced goes out in one write at its end; a lot at once, now.
    if (output.queuedBytes >= MERGE_LIMIT) output.flush();
    else output.flushAtTurnEnd();
    if (output.congested) await output.drained(); // cleared by a drain, or by the close
    if (target.closed) break;
    const next = pendingRead ?? reader!.read();
    pendingRead = undefined;
    const { done, value } = await next;
    if (done) {
      ended = true;
      break;
    }
    send(checkChunk(value));
  }
  exchange.bodyBytes = sent;
  if (target.closed) {
    void reader?.cancel().catch(() => {});
    target.record(exchange);
    return;
  }
  if (limit >= 0 && sent < limit) {
    target.logger.error(`The application returned too few bytes (${sent}) for its Content-Length (${limit}) for ${head.target}: closing the connection`);
    output.flush();
    target.closeNow();
    exchange.response = "done";
    target.record(exchange);
    return;
  }
  if (chunked) output.queue(LAST_CHUNK);
  target.complete(exchange);
}

/** An application's reason phrase, with CR, LF and NUL (which would split the head) made spaces. */
function safeReason(reason: string): string {
  return reason.replace(/[\r\n\0]/g, " ");
}

/** Body length of a complete message: everything after the blank line that ends the head. */
export function bodyLengthOf(message: Uint8Array): number {
  for (let i = 3; i < message.length; i++) {
    if (message[i] === 10 && message[i - 1] === 13 && message[i - 2] === 10 && message[i - 3] === 13) return message.length - i - 1;
  }
  return 0;
}

function checkChunk(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encodeUtf8(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`The response body stream produced a ${typeof value}; it must produce Uint8Array chunks`);
}
