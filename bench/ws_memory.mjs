// Heap per idle WebSocket on Node: ours (`upgradeWebSocket` from dist/mod.js, with an `onmessage`
// echo set, as an app would) against `ws`'s WebSocketServer on node:http, echoing the same way; and,
// for comparison, per idle HTTP keep-alive connection (one GET answered): ours against node:http.
// Each server runs in a child process of its own with raw node:net clients in the same process (a
// minimal handshake, or one GET, each: the same for both servers of a pair, so the difference is the
// servers'); after a warm-up of 50 connections, N more are opened and left idle, and the heap growth
// after two full GCs is divided by N.
// Usage: node bench/ws_memory.mjs [--sockets 2000] [--rounds 3]
// Traffic goes to 127.0.0.1 only; every socket is closed and each child exits at the end.
import { spawnSync } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { option } from "./lib/options.mjs";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const HANDSHAKE = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

async function measure(which, count) {
  let port;
  let stop;
  if (which === "ours http") {
    const { serve } = await import(join(root, "dist", "mod.js"));
    const server = serve(() => new Response("ok"), { host: "127.0.0.1", port: 0, connectionLimit: count + 1000, logLevel: "error" });
    await server.ready;
    port = server.addresses[0].port;
    stop = () => server.close();
  } else if (which === "node:http") {
    const server = http.createServer((_request, response) => response.end("ok"));
    server.keepAliveTimeout = 600_000;
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = server.address().port;
    stop = () => server.close();
  } else if (which === "ours") {
    const { serve, upgradeWebSocket } = await import(join(root, "dist", "mod.js"));
    const server = serve((request) => {
      const { socket, response } = upgradeWebSocket(request);
      socket.onmessage = (event) => socket.send(event.data);
      return response;
    }, { host: "127.0.0.1", port: 0, connectionLimit: count + 1000, logLevel: "error" });
    await server.ready;
    port = server.addresses[0].port;
    stop = () => server.close();
  } else {
    const { WebSocketServer } = await import("ws");
    const server = http.createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = server.address().port;
    stop = () => {
      wss.close();
      server.close();
    };
  }
  const sockets = [];
  const open = () => new Promise((resolve, reject) => {
    const websocket = which === "ours" || which === "ws";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(websocket ? HANDSHAKE : GET));
    socket.once("data", (data) => (String(data).startsWith(websocket ? "HTTP/1.1 101" : "HTTP/1.1 200") ? resolve(socket) : reject(new Error(String(data)))));
    socket.once("error", reject);
  });
  const heap = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  for (let i = 0; i < 50; i++) sockets.push(await open());
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = heap();
  for (let i = 0; i < count; i++) sockets.push(await open());
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = heap();
  for (const socket of sockets) socket.destroy();
  await stop();
  return (after - before) / count;
}

if (process.argv[2] === "--child") {
  const bytes = await measure(process.argv[3], Number(process.argv[4]));
  console.log(`RESULT ${bytes}`);
  process.exit(0);
}

const count = Number(option(process.argv.slice(2), "sockets", 2000));
const rounds = Number(option(process.argv.slice(2), "rounds", 3));
const results = { ours: [], ws: [], "ours http": [], "node:http": [] };
for (let round = 0; round < rounds; round++) {
  for (const which of Object.keys(results)) {
    const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", which, String(count)], { cwd: root, encoding: "utf8" });
    const line = child.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (child.status !== 0 || line === undefined) throw new Error(`ws_memory: the ${which} child failed:\n${child.stdout}\n${child.stderr}`);
    results[which].push(Number(line.slice(7)) / 1024);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const LABELS = {
  ours: "WebSocket: ours (upgradeWebSocket, dist/)",
  ws: "WebSocket: ws WebSocketServer on node:http",
  "ours http": "HTTP keep-alive: ours (serve, dist/)",
  "node:http": "HTTP keep-alive: node:http",
};
console.log(`## Heap per idle connection (Node ${process.version}, ${count} connections, ${rounds} rounds, median; client sockets included, the same for each pair)\n`);
console.log("| server | KiB per idle connection | rounds |");
console.log("|---|---:|---|");
for (const [which, values] of Object.entries(results)) {
  console.log(`| ${LABELS[which]} | ${median(values).toFixed(2)} | ${values.map((v) => v.toFixed(2)).join(", ")} |`);
}
