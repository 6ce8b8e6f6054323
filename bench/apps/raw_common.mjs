// What the three raw socket responders (raw_node.mjs, raw_deno.mjs, raw_bun.mjs) share: argument
// checks, the pre-encoded hello responses, and counting request heads in a chunk. They parse nothing
// (see bench/README.md, "raw socket ceiling"); only the socket glue differs per runtime.
import { parseArgs } from "./workloads.mjs";

/** The workloads a raw responder answers: GET requests without a body. */
export const RAW_WORKLOADS = ["hello", "pipelined", "close"];

/** `{ port }` from the command line, or a message on stderr and `exit(2)`. */
export function rawArgs(script, argv, env, exit) {
  let args;
  try {
    args = parseArgs(argv, env);
  } catch (error) {
    console.error(`${script}: ${error.message}`);
    exit(2);
  }
  if (!RAW_WORKLOADS.includes(args.workload)) {
    console.error(`${script}: workload ${JSON.stringify(args.workload)} is not supported: the raw socket responder only answers ${RAW_WORKLOADS.join(", ")} (it reads no request body)`);
    exit(2);
  }
  return { port: args.port };
}

const BODY = "Hello World";
const encoder = new TextEncoder(); // the responses are ASCII
const response = (date, close) =>
  encoder.encode(`HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\ncontent-length: ${BODY.length}\r\ndate: ${date}\r\n${close ? "connection: close\r\n" : ""}\r\n${BODY}`);

/** Joins byte arrays into one. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The pre-encoded responses; `refresh()` rebuilds them (call it once a second for the date). */
export class RawResponses {
  constructor() {
    this.refresh();
  }
  refresh() {
    const date = new Date().toUTCString();
    this.keepAlive = response(date, false);
    this.closing = response(date, true);
    this.batches = new Map(); // n -> n keep-alive responses in one array (pipelining)
  }
  /** n responses in one array; the last one says `connection: close` when `close`. */
  get(n, close) {
    if (close) return n === 1 ? this.closing : concat([this.get(n - 1, false), this.closing]);
    if (n === 1) return this.keepAlive;
    let batch = this.batches.get(n);
    if (batch === undefined) {
      batch = concat(new Array(n).fill(this.keepAlive));
      if (n <= 64) this.batches.set(n, batch);
    }
    return batch;
  }
}

const CLOSE = /connection:[ \t]*close/i;

/** Counts the request heads ("\r\n\r\n") of one connection, chunk by chunk. */
export class HeadCounter {
  /** The last bytes of the previous chunk, so a split "\r\n\r\n" is still found. */
  carry = "";
  /** "connection: close" was seen in a head that is not complete yet. */
  closeSeen = false;

  /** `text`: the chunk as Latin-1. Returns how many heads it completes and whether the last says close. */
  count(text) {
    text = this.carry + text;
    let n = 0, end = 0, i = 0;
    while ((i = text.indexOf("\r\n\r\n", i)) !== -1) {
      n++;
      i += 4;
      end = i;
    }
    this.carry = text.slice(Math.max(end, text.length - 3));
    const at = text.search(CLOSE); // -1, or in a complete head (< end), or in an incomplete one
    const close = n > 0 && (this.closeSeen || (at !== -1 && at < end));
    this.closeSeen = !close && (this.closeSeen || at >= end);
    return { n, close };
  }
}
