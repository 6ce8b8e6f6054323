#!/usr/bin/env node
// Memory of each server (ours and the runtime's own), from /proc/<pid>/status of the server process
// alone: idle (VmRSS once it listens and has settled), with 1000 idle keep-alive connections open
// (VmRSS), and the peak (VmHWM) of a 200 MiB upload that the app reads slowly.
// Usage: node bench/memory_bench.mjs [--only node,deno,bun] [--mib 200] [--connections 1000]
// `npm run bench -- --memory` (implied by `--workload all`) runs the same measurement through
// measureMemory() and puts memoryTable() in its report. Traffic goes to 127.0.0.1 only, at most
// MAX_CONNECTIONS connections, all closed at the end; every server is stopped by its pid.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import * as net from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuild } from "./build.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MiB = 1024 * 1024;
/** The idle-connection count is bounded: each one is a socket here and one in the server. */
export const MAX_CONNECTIONS = 5000;
const NATIVE = { node: "node:http", deno: "Deno.serve", bun: "Bun.serve" };
const bin = (name) => join(root, "node_modules", ".bin", name);
const commands = {
  node: [process.execPath, []],
  deno: [bin("deno"), ["run", "-A"]],
  bun: [bin("bun"), []],
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with `what` unless `promise` settles first. */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
}

/** Starts memory_server.mjs; its pid is in `children` (the caller's set of pids to stop) while it runs. */
async function start(runtime, kind, children) {
  const [command, prefix] = commands[runtime];
  const child = spawn(command, [...prefix, join(root, "bench", "apps", "memory_server.mjs"), kind], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  if (child.pid !== undefined) children.add(child.pid);
  const exited = new Promise((resolve) => child.once("exit", (code) => {
    children.delete(child.pid);
    resolve(code);
  }));
  try {
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
      child.once("error", (error) => { clearTimeout(timer); reject(error); });
      exited.then((code) => { clearTimeout(timer); reject(new Error(`${runtime} ${kind} exited with ${code}`)); });
    });
    return { child, exited, port };
  } catch (error) {
    await stop({ child, exited });
    throw error;
  }
}

/** SIGTERM by pid, SIGKILL after 3 s. */
async function stop({ child, exited }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
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

async function upload(port, total) {
  const socket = await connect(port);
  try {
    const response = firstResponse(socket);
    await write(socket, `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    for (let sent = 0; sent < total; sent += chunk.length) await write(socket, sent + chunk.length <= total ? chunk : chunk.subarray(0, total - sent));
    const text = await response;
    if (!text.endsWith(`\r\n\r\n${total}`)) throw new Error(`upload answered ${JSON.stringify(text.slice(0, 200))}`);
  } finally {
    socket.destroy();
  }
}

/** Opens `count` keep-alive connections with one GET each; they go into `sockets` (closed by the caller). */
async function idle(port, count, sockets) {
  for (let i = 0; i < count; i++) sockets.push(await connect(port));
  await Promise.all(sockets.map(async (s) => {
    const r = firstResponse(s);
    s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await r;
  }));
}

/**
 * Measures ours and the native server on each runtime of `runtimes`: idle RSS (500 ms after READY),
 * the peak RSS of one `mib` MiB upload (a fresh server), and RSS with `connections` idle keep-alive
 * connections (another fresh server). Resolves with one row per server; a server that fails gets a
 * row with `error` instead of figures. `log` receives a line per server; `children`, a set of pids,
 * holds the running server's (so an interrupted caller can stop it).
 */
export async function measureMemory({ runtimes, mib = 200, connections = 1000, log = (line) => console.error(line), children = new Set() }) {
  if (!(connections >= 1 && connections <= MAX_CONNECTIONS)) throw new RangeError(`connections: give 1 to ${MAX_CONNECTIONS}`);
  const total = mib * MiB;
  const rows = [];
  for (const runtime of runtimes) {
    for (const kind of ["native", "ours"]) {
      const name = kind === "ours" ? "ours" : NATIVE[runtime];
      const row = { runtime, kind, name };
      try {
        let s = await start(runtime, kind, children);
        try {
          await sleep(500); // let start-up work (compilation, lazy imports) settle
          row.startRss = memory(s.child.pid).rss;
          await within(upload(s.port, total), 120_000, "upload");
          row.uploadPeak = memory(s.child.pid).hwm;
        } finally {
          await stop(s);
        }
        s = await start(runtime, kind, children);
        const sockets = [];
        try {
          await sleep(500);
          const before = memory(s.child.pid).rss;
          await within(idle(s.port, connections, sockets), 60_000, `${connections} idle connections`);
          await sleep(500);
          row.idleRss = memory(s.child.pid).rss;
          row.idleGrowth = row.idleRss - before;
        } finally {
          for (const socket of sockets) socket.destroy();
          await stop(s);
        }
        log(`  memory ${runtime} ${name}: idle ${mb(row.startRss)}, ${connections} idle connections ${mb(row.idleRss)}, ${mib} MiB upload peak ${mb(row.uploadPeak)}`);
      } catch (error) {
        row.error = error.message;
        log(`  memory ${runtime} ${name}: FAILED ${error.message}`);
      }
      rows.push(row);
    }
  }
  return rows;
}

const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / MiB).toFixed(1)} MiB` : "—");
const signedMb = (bytes) => (Number.isFinite(bytes) ? `${bytes < 0 ? "−" : "+"}${Math.abs(bytes / MiB).toFixed(1)} MiB` : "—");
const kib = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : "—");

/**
 * The memory table (Markdown lines) of `measureMemory`'s rows, with ours against the native server
 * of its runtime and the performance issue's targets: idle RSS within 5 MiB of the native server's,
 * memory per idle connection no more than the native server's, upload peak within 10 MiB.
 */
export function memoryTable(rows, { mib, connections }) {
  const lines = [
    `| runtime | server | idle RSS | RSS with ${connections} idle connections | per connection | ${mib} MiB upload, peak RSS | ours − native: idle / per connection / upload peak | targets met |`,
    "|---|---|---:|---:|---:|---:|---|---|",
  ];
  const perConn = (r) => r.idleGrowth / connections;
  for (const r of rows) {
    let diff = "", met = "";
    const native = rows.find((n) => n.runtime === r.runtime && n.kind === "native");
    if (r.kind === "ours" && native && !r.error && !native.error) {
      const idleD = r.startRss - native.startRss, connD = perConn(r) - perConn(native), peakD = r.uploadPeak - native.uploadPeak;
      diff = `${signedMb(idleD)} / ${connD < 0 ? "−" : "+"}${kib(Math.abs(connD))} / ${signedMb(peakD)}`;
      const ok = [idleD <= 5 * MiB, connD <= 0, peakD <= 10 * MiB];
      met = ok.every(Boolean) ? "yes" : `**${["idle", "per connection", "upload"].filter((_, i) => !ok[i]).join(", ")}: no**`;
    }
    if (r.error) lines.push(`| ${r.runtime} | ${r.name} | failed: ${r.error.replace(/\|/g, "/").slice(0, 200)} | | | | | |`);
    else lines.push(`| ${r.runtime} | ${r.name} | ${mb(r.startRss)} | ${mb(r.idleRss)} | ${kib(perConn(r))} | ${mb(r.uploadPeak)} | ${diff} | ${met} |`);
  }
  lines.push("", `Server process only, from /proc/PID/status. Idle RSS: VmRSS 0.5 s after the server said READY, before any request. With ${connections} idle connections: VmRSS of a fresh server once each of ${connections} keep-alive connections got one GET answered and 0.5 s passed (ours with connectionLimit 2000 so all stay open); per connection: the growth from its own idle RSS divided by ${connections}. Upload: VmHWM (peak RSS) of a fresh server after one ${mib} MiB POST that the app reads as a stream with a 1 ms pause every 32 reads (bench/apps/memory_server.mjs). Targets (the performance issue): ours' idle RSS within 5 MiB of the native server's, per connection no more than the native server's, upload peak within 10 MiB of the native server's.`);
  return lines;
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: "string", default: "node,deno,bun" }, mib: { type: "string", default: "200" }, connections: { type: "string", default: "1000" } } });
  const runtimes = values.only.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = runtimes.filter((r) => !(r in commands));
  const mib = Number(values.mib), connections = Number(values.connections);
  if (bad.length || !runtimes.length) throw new RangeError(`--only: a comma-separated subset of node,deno,bun`);
  if (!(Number.isInteger(mib) && mib >= 1 && mib <= 4096)) throw new RangeError("--mib: an integer from 1 to 4096");
  if (!(Number.isInteger(connections) && connections >= 1 && connections <= MAX_CONNECTIONS)) throw new RangeError(`--connections: an integer from 1 to ${MAX_CONNECTIONS}`);
  if (runtimes.includes("node")) ensureBuild(root, "memory_bench", "pass --only deno,bun");
  const rows = await measureMemory({ runtimes, mib, connections });
  const lines = [
    "# Memory: ours vs the native servers",
    "",
    `- Command: \`node bench/memory_bench.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}\``,
    `- Date: ${new Date().toISOString()}`,
    "",
    ...memoryTable(rows, { mib, connections }),
    "",
  ];
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  writeFileSync(join(root, "bench", "results", "MEMORY.md"), lines.join("\n"));
  console.log(lines.join("\n"));
  if (rows.some((r) => r.error)) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`memory_bench: ${error.message}`);
    process.exit(2);
  });
}
