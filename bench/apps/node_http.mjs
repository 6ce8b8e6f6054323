// Reference server: Node's own node:http with plain (req, res) handlers, the same bytes as
// workloads.mjs. Usage: node bench/apps/node_http.mjs --port 0 --workload hello
import { once } from "node:events";
import { createServer } from "node:http";
import { BIG, HELLO, parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(process.argv.slice(2), process.env);
const big = Buffer.from(BIG.buffer, BIG.byteOffset, BIG.byteLength);

const handlers = {
  hello: (req, res) => {
    res.setHeader("content-type", "text/plain;charset=UTF-8");
    res.end(HELLO);
  },
  echo: (req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      res.setHeader("content-type", "application/octet-stream");
      res.end(Buffer.concat(chunks));
    });
  },
  // The body as a stream (for await), each chunk written as it comes (chunked), waiting for drain.
  "stream-echo": async (req, res) => {
    res.setHeader("content-type", "application/octet-stream");
    try {
      for await (const chunk of req) if (!res.write(chunk)) await once(res, "drain");
      res.end();
    } catch {
      res.destroy();
    }
  },
  big: (req, res) => {
    res.setHeader("content-type", "application/octet-stream");
    res.end(big);
  },
};
handlers.pipelined = handlers.hello;
handlers.close = handlers.hello;

const server = createServer(handlers[workload]);
server.listen(port, "127.0.0.1", () => console.log(`READY ${server.address().port}`));
process.on("SIGTERM", () => process.exit(0));
