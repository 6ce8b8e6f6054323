// Raw socket ceiling for Bun: a minimal HTTP responder written directly on Bun.listen. It parses
// nothing: it counts the request heads in each chunk (occurrences of "\r\n\r\n") and answers each
// with a fixed, pre-encoded hello response, all of them in one write. No validation, no limits, no
// bodies: it shows the best any server on Bun.listen could do on this machine, it is not a
// competitor. Only the hello, pipelined and close workloads (GET requests without a body).
// Usage: bun bench/apps/raw_bun.mjs --port 0 --workload hello
import { concat, HeadCounter, RawResponses, rawArgs } from "./raw_common.mjs";

const { port } = rawArgs("raw_bun.mjs", process.argv.slice(2), process.env, (code) => process.exit(code));
const responses = new RawResponses();
setInterval(() => responses.refresh(), 1000).unref();

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
      // tail: bytes not written yet; closing: end once they are.
      socket.data = { heads: new HeadCounter(), tail: null, closing: false };
      socket.setNoDelay?.(true);
    },
    data(socket, chunk) {
      const state = socket.data;
      if (state.closing) return;
      const { n, close } = state.heads.count(chunk.toString("latin1"));
      if (n === 0) return;
      const out = responses.get(n, close);
      state.closing = close;
      if (state.tail) {
        state.tail = concat([state.tail, out]); // still draining: queue behind it
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
