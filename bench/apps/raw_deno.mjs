// Raw socket ceiling for Deno: a minimal HTTP responder written directly on Deno.listen. It parses
// nothing: it counts the request heads in each read (occurrences of "\r\n\r\n") and answers each
// with a fixed, pre-encoded hello response, all of them in one write. No validation, no limits, no
// bodies: it shows the best any server on Deno.listen could do on this machine, it is not a
// competitor. Only the hello, pipelined and close workloads (GET requests without a body).
// Usage: deno run --allow-net=127.0.0.1 bench/apps/raw_deno.mjs --port 0 --workload hello
import { HeadCounter, RawResponses, rawArgs } from "./raw_common.mjs";

// No --allow-env: the arguments only.
const { port } = rawArgs("raw_deno.mjs", Deno.args, {}, (code) => Deno.exit(code));
const responses = new RawResponses();
Deno.unrefTimer(setInterval(() => responses.refresh(), 1000));

async function handle(conn) {
  const buf = new Uint8Array(4096);
  const heads = new HeadCounter();
  try {
    conn.setNoDelay(true);
    while (true) {
      const read = await conn.read(buf);
      if (read === null) break;
      // Latin-1, one char per byte: only ASCII is searched for.
      const { n, close } = heads.count(String.fromCharCode.apply(null, buf.subarray(0, read)));
      if (n === 0) continue;
      const out = responses.get(n, close);
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
