#!/usr/bin/env node
// Peak memory of each server (ours and the runtime's own) for a 200 MiB upload read slowly by the
// app, and resident memory with 1000 idle keep-alive connections open. Memory is read from
// /proc/<pid>/status of the server process alone (VmHWM: peak resident set; VmRSS: current).
// Usage: node bench/memory_bench.mjs [--only node,deno,bun] [--mib 200] [--connections 1000]
// Traffic goes to 127.0.0.1 only; every server is stopped by its pid.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import * as net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { only: { type: "string", default: "node,deno,bun" }, mib: { type: "string", default: "200" }, connections: { type: "string", default: "1000" } } });
const MiB = 1024 * 1024;
const total = Number(values.mib) * MiB;
const connections = Number(values.connections);
const runtimes = values.only.split(",");
const bin = (name) => join(root, "node_modules", ".bin", name);
const commands = {
  node: [process.execPath, []],
  deno: [bin("deno"), ["run", "-A"]],
  bun: [bin("bun"), []],
};

if (!existsSync(join(root, "dist", "mod.js")) || process.argv.includes("--build")) {
  spawnSync(bin("tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
}

async function start(runtime, kind) {
  const [command, prefix] = commands[runtime];
  const child = spawn(command, [...prefix, join(root, "bench", "apps", "memory_server.mjs"), kind], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} ${kind}: no READY within 20 s`)), 20000);
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`${runtime} ${kind} exited with ${code}`)));
  });
  return { child, port };
}

async function stop(child) {
  child.kill("SIGTERM");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => resolve(socket));
    socket.once("error", reject);
  });
}

function write(socket, data) {
  return new Promise((resolve, reject) => {
    if (socket.write(data, (e) => e && reject(e))) resolve();
    else socket.once("drain", resolve);
  });
}

function firstResponse(socket) {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const cl = /content-length: (\d+)/i.exec(text);
      if (cl && text.length >= end + 4 + Number(cl[1])) {
        socket.off("data", onData);
        resolve(text);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

async function upload(port) {
  const socket = await connect(port);
  const response = firstResponse(socket);
  await write(socket, `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  for (let sent = 0; sent < total; sent += chunk.length) await write(socket, chunk);
  const text = await response;
  socket.destroy();
  if (!text.endsWith(`\r\n\r\n${total}`)) throw new Error(`upload answered ${JSON.stringify(text.slice(0, 200))}`);
}

async function idle(port) {
  const sockets = [];
  for (let i = 0; i < connections; i++) sockets.push(await connect(port));
  await Promise.all(sockets.map(async (s) => {
    const r = firstResponse(s);
    s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await r;
  }));
  return sockets;
}

const rows = [];
for (const runtime of runtimes) {
  for (const kind of ["native", "ours"]) {
    const name = kind === "ours" ? "ours" : { node: "node:http", deno: "Deno.serve", bun: "Bun.serve" }[runtime];
    let s = await start(runtime, kind);
    const base = memory(s.child.pid);
    await upload(s.port);
    const afterUpload = memory(s.child.pid);
    await stop(s.child);
    s = await start(runtime, kind);
    const idleBase = memory(s.child.pid);
    const sockets = await idle(s.port);
    await new Promise((r) => setTimeout(r, 500));
    const withIdle = memory(s.child.pid);
    for (const socket of sockets) socket.destroy();
    await stop(s.child);
    rows.push({ runtime, name, startRss: base.rss, uploadPeak: afterUpload.hwm, uploadGrowth: afterUpload.hwm - base.rss, idleRss: withIdle.rss, idleGrowth: withIdle.rss - idleBase.rss });
    console.error(`${runtime} ${name}: upload peak ${(afterUpload.hwm / MiB).toFixed(1)} MiB, ${connections} idle ${(withIdle.rss / MiB).toFixed(1)} MiB`);
  }
}

const fmt = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
const lines = [
  "# Memory: ours vs the native servers",
  "",
  `- Command: \`node bench/memory_bench.mjs ${process.argv.slice(2).join(" ")}\``.replace(/ `$/, "`"),
  `- Date: ${new Date().toISOString()}`,
  `- Upload: one ${values.mib} MiB POST, read by the app in chunks with a 1 ms pause every 32 reads. Idle: ${connections} keep-alive connections, one GET each, left open (ours with connectionLimit 2000 so all stay open).`,
  "- Server process only, from /proc/PID/status: start = VmRSS when ready; peak = VmHWM after the upload; idle = VmRSS with the connections open.",
  "",
  "| runtime | server | start | upload peak | growth | idle connections | growth |",
  "|---|---|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.runtime} | ${r.name} | ${fmt(r.startRss)} | ${fmt(r.uploadPeak)} | ${fmt(r.uploadGrowth)} | ${fmt(r.idleRss)} | ${fmt(r.idleGrowth)} |`),
  "",
];
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", "MEMORY.md"), lines.join("\n"));
console.log(lines.join("\n"));
