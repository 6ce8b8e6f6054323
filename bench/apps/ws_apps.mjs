// The WebSocket echo servers of bench/ws_bench.mjs, one script for all six: ours (`upgradeWebSocket`
// from mod.ts, dist/mod.js on Node, in a Fetch handler served by serve() with threads: 0) and each
// runtime's own WebSocket server (`ws`'s WebSocketServer on node:http, Deno.serve with
// Deno.upgradeWebSocket, Bun.serve's `websocket`). Each echoes every message back as it came (binary
// as binary, text as text), on any path; permessage-deflate is off everywhere (ws and Bun would
// otherwise offer it; our load client does not ask for it).
// Usage: <runtime> bench/apps/ws_apps.mjs --server ours|native [--port 0]
// Prints "READY <port>" once listening on 127.0.0.1 (or "UNAVAILABLE <reason>" and exits 3 when ours
// has no upgradeWebSocket yet); exits on SIGTERM.
const argv = "Deno" in globalThis ? globalThis.Deno.args : process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  if (fallback === undefined) throw new Error(`ws_apps: --${name} is required`);
  return fallback;
};
const kind = opt("server");
const port = Number(opt("port", "0"));
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const exit = (code) => (runtime === "deno" ? globalThis.Deno.exit(code) : process.exit(code));

if (kind === "ours") {
  const mod = await import(runtime === "node" ? "../../dist/mod.js" : "../../mod.ts");
  if (typeof mod.upgradeWebSocket !== "function") {
    console.log("UNAVAILABLE mod.ts exports no upgradeWebSocket (the WebSocket API has not landed on this branch)");
    exit(3);
  }
  const app = (request) => {
    const { socket, response } = mod.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  };
  // connectionLimit counts open WebSockets (default 100, as Waitress): raised so --connections can exceed it.
  const server = mod.serve(app, { host: "127.0.0.1", port, threads: 0, logLevel: "error", connectionLimit: 10000 });
  await server.ready;
  console.log(`READY ${server.addresses[0].port}`);
} else if (kind !== "native") {
  throw new Error(`ws_apps: --server ours|native, not ${kind}`);
} else if (runtime === "node") {
  const { createServer } = await import("node:http");
  const { WebSocketServer } = await import("ws");
  const server = createServer((req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  server.listen(port, "127.0.0.1", () => console.log(`READY ${server.address().port}`));
} else if (runtime === "deno") {
  globalThis.Deno.serve({ hostname: "127.0.0.1", port, onListen: (addr) => console.log(`READY ${addr.port}`) }, (request) => {
    const { socket, response } = globalThis.Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
} else {
  const server = globalThis.Bun.serve({
    hostname: "127.0.0.1",
    port,
    fetch: (request, srv) => (srv.upgrade(request) ? undefined : new Response("upgrade required", { status: 426 })),
    websocket: { perMessageDeflate: false, maxPayloadLength: 16 * 1024 * 1024, message: (ws, message) => ws.send(message) },
  });
  console.log(`READY ${server.port}`);
}
if (runtime === "deno") globalThis.Deno.addSignalListener("SIGTERM", () => globalThis.Deno.exit(0));
else process.on("SIGTERM", () => process.exit(0));
