// Raw socket ceiling for Deno: a minimal HTTP responder written directly on Deno.listen. It parses
// nothing: it counts the request heads in each read (occurrences of "\r\n\r\n") and answers each
// with a fixed, pre-encoded hello response, all of them in one write. No validation, no limits, no
// bodies: it shows the best any server on Deno.listen could do on this machine, it is not a
// competitor. Only the hello, pipelined and close workloads (GET requests without a body).
// Usage: deno run --allow-net=127.0.0.1 bench/apps/raw_deno.mjs --port 0 --workload hello
import { parseArgs } from "./workloads.mjs";

const RAW_WORKLOADS = ["hello", "pipelined", "close"];
let args;
try {
  args = parseArgs(Deno.args);
} catch (error) {
  console.error(`raw_deno.mjs: ${error.message}`);
  Deno.exit(2);
}
const { port, workload } = args;
if (!RAW_WORKLOADS.includes(workload)) {
  console.error(`raw_deno.mjs: workload ${JSON.stringify(workload)} is not supported: the raw socket responder only answers ${RAW_WORKLOADS.join(", ")} (it reads no request body)`);
  Deno.exit(2);
}

const BODY = "Hello World";
const response = (date, close) =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\ncontent-length: ${BODY.length}\r\ndate: ${date}\r\n${close ? "connection: close\r\n" : ""}\r\n${BODY}`;
const encoder = new TextEncoder(); // the responses are ASCII

/** The pre-encoded responses, rebuilt once a second for the date header. */
let keepAlive, closing, batches;
function refresh() {
  const date = new Date().toUTCString();
  keepAlive = encoder.encode(response(date, false));
  closing = encoder.encode(response(date, true));
  batches = new Map(); // n -> n keep-alive responses in one array (pipelining)
}
refresh();
Deno.unrefTimer(setInterval(refresh, 1000));

function concat(parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** n responses in one array; the last one says `connection: close` when `close`. */
function responses(n, close) {
  if (close) return n === 1 ? closing : concat([responses(n - 1, false), closing]);
  if (n === 1) return keepAlive;
  let batch = batches.get(n);
  if (batch === undefined) {
    batch = concat(new Array(n).fill(keepAlive));
    if (n <= 64) batches.set(n, batch);
  }
  return batch;
}

const CLOSE = /connection:[ \t]*close/i;

async function handle(conn) {
  const buf = new Uint8Array(4096);
  let carry = ""; // the last bytes of the previous read, so a split "\r\n\r\n" is still found
  let closeSeen = false; // "connection: close" in a head not complete yet
  try {
    conn.setNoDelay(true);
    while (true) {
      const read = await conn.read(buf);
      if (read === null) break;
      // Latin-1, one char per byte: only ASCII is searched for.
      const text = carry + String.fromCharCode.apply(null, buf.subarray(0, read));
      let n = 0, end = 0, i = 0;
      while ((i = text.indexOf("\r\n\r\n", i)) !== -1) {
        n++;
        i += 4;
        end = i;
      }
      carry = text.slice(Math.max(end, text.length - 3));
      const at = text.search(CLOSE); // -1, or in a complete head (< end), or in an incomplete one
      const close = n > 0 && (closeSeen || (at !== -1 && at < end));
      closeSeen = !close && (closeSeen || at >= end);
      if (n === 0) continue;
      const out = responses(n, close);
      let written = await conn.write(out);
      while (written < out.length) written += await conn.write(out.subarray(written));
      if (close) break;
    }
  } catch {
    // reset by the peer, or closed meanwhile: nothing to report
  } finally {
    try { conn.close(); } catch { /* already closed */ }
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port });
console.log(`READY ${listener.addr.port}`);
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
for await (const conn of listener) handle(conn);
