// Server for bench/memory_bench.mjs, on whichever runtime runs it.
// Usage: <runtime> bench/apps/memory_server.mjs ours|native
// POST /upload reads the body slowly and answers its length; anything else answers "ok".
// Prints "READY <port>" once listening on 127.0.0.1; exits on SIGTERM.
const kind = (globalThis.Deno ? Deno.args : process.argv.slice(2))[0] ?? "ours";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function handle(request) {
  if (new URL(request.url).pathname !== "/upload") return new Response("ok");
  let length = 0;
  let reads = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (++reads % 32 === 0) await sleep(1); // a slow consumer
  }
  return new Response(String(length));
}

let port;
if (kind === "ours") {
  const mod = globalThis.Deno || globalThis.Bun ? "../../mod.ts" : "../../dist/mod.js";
  const { serve } = await import(mod);
  const server = serve(handle, { host: "127.0.0.1", port: 0, connectionLimit: 2000 });
  await server.ready;
  port = server.addresses[0].port;
} else if (globalThis.Bun) {
  port = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handle, maxRequestBodySize: 1 << 30 }).port;
} else if (globalThis.Deno) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handle);
  port = server.addr.port;
} else {
  const http = await import("node:http");
  const server = http.createServer(async (req, res) => {
    if (req.url !== "/upload") return res.end("ok");
    let length = 0;
    let reads = 0;
    for await (const chunk of req) {
      length += chunk.length;
      if (++reads % 32 === 0) await sleep(1);
    }
    res.end(String(length));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = server.address().port;
}
console.log(`READY ${port}`);
if (globalThis.Deno) Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
else process.on("SIGTERM", () => process.exit(0));
