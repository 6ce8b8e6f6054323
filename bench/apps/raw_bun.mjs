// Raw socket ceiling for Bun: a minimal HTTP responder written directly on Bun.listen. It parses
// nothing: it counts the request heads in each chunk (occurrences of "\r\n\r\n") and answers each
// with a fixed, pre-encoded hello response, all of them in one write. No validation, no limits, no
// bodies: it shows the best any server on Bun.listen could do on this machine, it is not a
// competitor. Only the hello, pipelined and close workloads (GET requests without a body).
// Usage: bun bench/apps/raw_bun.mjs --port 0 --workload hello
import { parseArgs } from "./workloads.mjs";

const RAW_WORKLOADS = ["hello", "pipelined", "close"];
let args;
try {
  args = parseArgs(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`raw_bun.mjs: ${error.message}`);
  process.exit(2);
}
const { port, workload } = args;
if (!RAW_WORKLOADS.includes(workload)) {
  console.error(`raw_bun.mjs: workload ${JSON.stringify(workload)} is not supported: the raw socket responder only answers ${RAW_WORKLOADS.join(", ")} (it reads no request body)`);
  process.exit(2);
}

const BODY = "Hello World";
const response = (date, close) =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\ncontent-length: ${BODY.length}\r\ndate: ${date}\r\n${close ? "connection: close\r\n" : ""}\r\n${BODY}`;

/** The pre-encoded responses, rebuilt once a second for the date header. */
let keepAlive, closing, batches;
function refresh() {
  const date = new Date().toUTCString();
  keepAlive = Buffer.from(response(date, false), "latin1");
  closing = Buffer.from(response(date, true), "latin1");
  batches = new Map(); // n -> n keep-alive responses in one Buffer (pipelining)
}
refresh();
setInterval(refresh, 1000).unref();

/** n responses in one Buffer; the last one says `connection: close` when `close`. */
function responses(n, close) {
  if (close) return n === 1 ? closing : Buffer.concat([responses(n - 1, false), closing]);
  if (n === 1) return keepAlive;
  let batch = batches.get(n);
  if (batch === undefined) {
    batch = Buffer.concat(new Array(n).fill(keepAlive));
    if (n <= 64) batches.set(n, batch);
  }
  return batch;
}

const CLOSE = /connection:[ \t]*close/i;

/** Writes what the socket takes now; keeps the rest for `drain`; ends after the last byte if asked. */
function flush(socket, state) {
  const bytes = state.tail;
  const written = socket.write(bytes);
  if (written < bytes.length) {
    state.tail = written > 0 ? bytes.subarray(written) : bytes;
    return;
  }
  state.tail = null;
  if (state.closing) socket.end();
}

const server = Bun.listen({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(socket) {
      // carry: the last bytes of the previous chunk, so a split "\r\n\r\n" is still found;
      // closeSeen: "connection: close" in a head not complete yet; tail: bytes not written yet.
      socket.data = { carry: "", closeSeen: false, tail: null, closing: false };
      socket.setNoDelay?.(true);
    },
    data(socket, chunk) {
      const state = socket.data;
      if (state.closing) return;
      const text = state.carry + chunk.toString("latin1");
      let n = 0, end = 0, i = 0;
      while ((i = text.indexOf("\r\n\r\n", i)) !== -1) {
        n++;
        i += 4;
        end = i;
      }
      state.carry = text.slice(Math.max(end, text.length - 3));
      const at = text.search(CLOSE); // -1, or in a complete head (< end), or in an incomplete one
      const close = n > 0 && (state.closeSeen || (at !== -1 && at < end));
      state.closeSeen = !close && (state.closeSeen || at >= end);
      if (n === 0) return;
      const out = responses(n, close);
      state.closing = close;
      if (state.tail) {
        state.tail = Buffer.concat([state.tail, out]); // still draining: queue behind it
        return;
      }
      state.tail = out;
      flush(socket, state);
    },
    drain(socket) {
      if (socket.data.tail) flush(socket, socket.data);
    },
    close() {},
    error() {},
  },
});
console.log(`READY ${server.port}`);
process.on("SIGTERM", () => process.exit(0));
