// Raw socket ceiling for Node: a minimal HTTP responder written directly on node:net. It parses
// nothing: it counts the request heads in each chunk (occurrences of "\r\n\r\n") and answers each
// with a fixed, pre-encoded hello response, all of them in one socket.write. No validation, no
// limits, no bodies: it shows the best any server on node:net could do on this machine, it is not
// a competitor. Only the hello, pipelined and close workloads (GET requests without a body).
// Usage: node bench/apps/raw_node.mjs --port 0 --workload hello
import { createServer } from "node:net";
import { parseArgs } from "./workloads.mjs";

const RAW_WORKLOADS = ["hello", "pipelined", "close"];
let args;
try {
  args = parseArgs(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`raw_node.mjs: ${error.message}`);
  process.exit(2);
}
const { port, workload } = args;
if (!RAW_WORKLOADS.includes(workload)) {
  console.error(`raw_node.mjs: workload ${JSON.stringify(workload)} is not supported: the raw socket responder only answers ${RAW_WORKLOADS.join(", ")} (it reads no request body)`);
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

const server = createServer({ noDelay: true }, (socket) => {
  let carry = ""; // the last bytes of the previous chunk, so a split "\r\n\r\n" is still found
  let closeSeen = false; // "connection: close" in a head not complete yet
  socket.on("error", () => {});
  socket.on("data", (chunk) => {
    if (socket.writableEnded) return;
    const text = carry + chunk.toString("latin1");
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
    if (n === 0) return;
    socket.write(responses(n, close));
    if (close) socket.end();
  });
});
server.on("error", (error) => {
  console.error(`raw_node.mjs: ${error.message}`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => console.log(`READY ${server.address().port}`));
process.on("SIGTERM", () => process.exit(0));
