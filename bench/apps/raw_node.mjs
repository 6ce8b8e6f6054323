// Raw socket ceiling for Node: a minimal HTTP responder written directly on node:net. It parses
// nothing: it counts the request heads in each chunk (occurrences of "\r\n\r\n") and answers each
// with a fixed, pre-encoded hello response, all of them in one socket.write. No validation, no
// limits, no bodies: it shows the best any server on node:net could do on this machine, it is not
// a competitor. Only the hello, pipelined and close workloads (GET requests without a body).
// Usage: node bench/apps/raw_node.mjs --port 0 --workload hello
import { createServer } from "node:net";
import { HeadCounter, RawResponses, rawArgs } from "./raw_common.mjs";

const { port } = rawArgs("raw_node.mjs", process.argv.slice(2), process.env, (code) => process.exit(code));
const responses = new RawResponses();
setInterval(() => responses.refresh(), 1000).unref();

const server = createServer({ noDelay: true }, (socket) => {
  const heads = new HeadCounter();
  socket.on("error", () => {});
  socket.on("data", (chunk) => {
    if (socket.writableEnded) return;
    const { n, close } = heads.count(chunk.toString("latin1"));
    if (n === 0) return;
    socket.write(responses.get(n, close));
    if (close) socket.end();
  });
});
server.on("error", (error) => {
  console.error(`raw_node.mjs: ${error.message}`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => console.log(`READY ${server.address().port}`));
process.on("SIGTERM", () => process.exit(0));
