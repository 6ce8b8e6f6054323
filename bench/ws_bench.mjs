#!/usr/bin/env node
// WebSocket benchmark: echo of 64-byte and 64 KiB binary messages on 100 connections, closed loop
// (each connection sends one message and waits for its echo), ours (`upgradeWebSocket` in a Fetch
// handler, serve() with threads: 0) against each runtime's own WebSocket server (`ws` on node:http,
// Deno.serve + Deno.upgradeWebSocket, Bun.serve's `websocket`), on Node (dist/), Deno and Bun
// (TypeScript sources), in one run. The servers are bench/apps/ws_apps.mjs; the load client is
// bench/lib/ws_load.mjs (raw node:net, pre-masked frames), run as its own process. The server is
// pinned with `taskset -c 0`, the client with `taskset -c 1` (as bench/run.mjs). Messages/s and
// latency p50/p99 are the client's, over the measured period after the warm-up; CPU µs/msg is the
// server's CPU (all threads, /proc) over that period divided by the messages echoed; the client
// core's busy share says whether the client set the pace. Traffic to 127.0.0.1 only.
// Prints a Markdown report; exits 1 if a server failed (ours being absent is a skip, not a failure).
//
// Before each run it waits (up to --quiet-wait seconds) for the machine to go quiet, as bench/run.mjs.
//
// Usage: node bench/ws_bench.mjs [--duration 5] [--warmup 2] [--connections 100] [--quiet-wait 15]
//                                [--only node,deno,bun] [--workload 64,64k]
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuild } from "./build.mjs";
import { pinning } from "./lib/environment.mjs";
import { allBusySeconds, coreBusy, coreTicks, cpuSeconds } from "./lib/proc.mjs";
import { children, firstLine, int, ratio, sleep, startServer, stopServer, us } from "./lib/spawn_wrk.mjs";
import { option } from "./lib/options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const app = join(root, "bench", "apps", "ws_apps.mjs");
const load = join(root, "bench", "lib", "ws_load.mjs");
const bin = (name) => join(root, "node_modules", ".bin", name);
const SIZES = { 64: 64, "64k": 65536 };
const TITLES = { 64: "64 B", "64k": "64 KiB" };

const args = process.argv.slice(2);
const opt = (name, fallback) => option(args, name, fallback);
const duration = Number(opt("duration", 5));
const warmup = Number(opt("warmup", 2));
const connections = Number(opt("connections", 100));
const quietWait = Number(opt("quiet-wait", 15));
const only = opt("only", "node,deno,bun").split(",");
const workloads = opt("workload", "64,64k").split(",");
if (![duration, connections].every((n) => Number.isInteger(n) && n > 0) || ![warmup, quietWait].every((n) => Number.isInteger(n) && n >= 0)) {
  console.error("ws_bench: --duration, --connections: whole numbers > 0; --warmup, --quiet-wait >= 0");
  process.exit(2);
}
if (workloads.some((w) => !(w in SIZES)) || only.some((r) => !["node", "deno", "bun"].includes(r))) {
  console.error("ws_bench: --workload from 64,64k; --only from node,deno,bun");
  process.exit(2);
}
if (only.includes("node")) ensureBuild(root, "ws_bench", "leave node out of --only");

const pin = pinning();
const startLoad = loadavg()[0];
const command = (runtime, server) => {
  const appArgs = [app, "--server", server, "--port", "0"];
  if (runtime === "node") return [process.execPath, appArgs];
  if (runtime === "deno") return [bin("deno"), ["run", "--quiet", "--no-lock", "--allow-net=127.0.0.1", `--allow-read=${root}`, "--allow-env", ...appArgs]];
  return [bin("bun"), appArgs];
};

/** Runs the load client pinned to the client core; reads the server's CPU and the client core at START and END. */
function runClient(port, size, pid) {
  const argv = [...pin.client, process.execPath, load, "--port", String(port), "--size", String(size), "--connections", String(connections), "--warmup", String(warmup), "--duration", String(duration)];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child.pid);
    let out = "";
    let pending = "";
    const marks = {};
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (t) => (out += t));
    child.stdout.on("data", (t) => {
      out += t;
      const lines = (pending + t).split("\n");
      pending = lines.pop();
      for (const line of lines) {
        if (line === "START" || line === "END") marks[line] = { cpu: cpuSeconds(pid), core: coreTicks(pin.clientCore) };
      }
    });
    child.on("exit", (code) => {
      children.delete(child.pid);
      const m = /^RESULT (.*)$/m.exec(out);
      if (code !== 0 || !m) return reject(new Error(`load client failed (${code}):\n${out.slice(-2000)}`));
      const r = JSON.parse(m[1]);
      if (!marks.START || !marks.END) return reject(new Error(`load client printed no START/END:\n${out.slice(-2000)}`));
      const serverCpu = marks.END.cpu - marks.START.cpu;
      resolve({ ...r, cpuUs: (serverCpu / r.messages) * 1e6, busy: serverCpu / r.seconds, clientCore: coreBusy(marks.START.core, marks.END.core) });
    });
  });
}

/**
 * Waits (at most `limit` seconds) until the machine is quiet: all processes together using less than a
 * fifth of a core over half a second (as bench/run.mjs). Resolves true when it got quiet.
 */
async function waitQuiet(limit) {
  const started = performance.now();
  while (limit > 0) {
    const before = allBusySeconds();
    if (before === undefined) return true;
    await sleep(500);
    if (allBusySeconds() - before < 0.1) return true;
    if ((performance.now() - started) / 1000 >= limit) return false;
  }
  return true;
}

const rows = [];
let noisy = 0;
let runs = 0;
const skipped = new Set();
let failed = 0;
for (const workload of workloads) {
  for (const runtime of only) {
    const result = {};
    for (const server of ["ours", "native"]) {
      const [cmd, cmdArgs] = command(runtime, server);
      let s;
      runs++;
      if (!(await waitQuiet(quietWait))) noisy++;
      try {
        s = await startServer(pin.server[0] ?? cmd, pin.server.length ? [...pin.server.slice(1), cmd, ...cmdArgs] : cmdArgs, { cwd: root });
        const r = await runClient(s.port, SIZES[workload], s.child.pid);
        if (s.child.exitCode !== null) throw new Error(`exited during the run:\n${s.output()}`);
        result[server] = r;
      } catch (error) {
        const why = /UNAVAILABLE (.*)/.exec(error.message)?.[1];
        if (why) skipped.add(why);
        else { failed++; console.error(`ws_bench: ${runtime} ${server} ${workload} failed: ${error.message}`); }
        result[server] = { rate: NaN, p50: NaN, p99: NaN, cpuUs: NaN, busy: NaN, clientCore: NaN, clientCpu: NaN, errors: why ? ["skipped"] : ["failed"] };
      } finally {
        if (s) await stopServer(s.child);
      }
      await sleep(300);
    }
    rows.push({ workload, runtime, ...result });
  }
}

let model = "unknown";
try { model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? model; } catch { /* not Linux */ }
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : "—");
const pc = (n) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : "—");
const lat = (n) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : "—");
const errs = (r) => (r.errors.length === 0 ? "0" : r.errors[0] === "skipped" || r.errors[0] === "failed" ? r.errors[0] : `${r.errors.length} (${r.errors[0]})`);
const native = { node: "`ws` WebSocketServer on node:http", deno: "Deno.serve + `Deno.upgradeWebSocket`", bun: "`Bun.serve({ websocket })`" };
const wsVersion = (() => { try { return JSON.parse(readFileSync(join(root, "node_modules", "ws", "package.json"), "utf8")).version; } catch { return "?"; } })();
const quoted = args.map((a) => (/^[\w./,=:-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
const out = [];
out.push("## WebSocket: ours against each runtime's own WebSocket server", "");
out.push(`- command: \`node bench/ws_bench.mjs${quoted ? ` ${quoted}` : ""}\``);
out.push(`- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; ${cpus().length} × ${model}; ${process.platform} ${release()}; load average ${startLoad.toFixed(2)} at the start`);
out.push(`- versions: node ${process.version}, ws ${wsVersion}${only.includes("deno") ? `, ${firstLine(bin("deno"), ["--version"])}` : ""}${only.includes("bun") ? `, bun ${firstLine(bin("bun"), ["--version"])}` : ""}`);
out.push(`- ${duration} s measured after ${warmup} s warm-up, 1 round; ${connections} connections, closed loop (each sends one binary message, waits for its echo, sends the next); client: bench/lib/ws_load.mjs (node:net, pre-masked frames) on node ${process.version}; ${pin.clientCore === undefined ? pin.note : "server `taskset -c 0`, load client `taskset -c 1`"}`);
out.push(`- before each run, waited up to ${quietWait} s for the machine to go quiet (< 0.2 cores busy): ${quietWait === 0 ? "not done (--quiet-wait 0)" : `${runs - noisy} of ${runs} runs started quiet${noisy ? `, ${noisy} started with other work running` : ""}`}`);
for (const why of skipped) out.push(`- **ours skipped: ${why}**`);
out.push("");
out.push("| message | runtime | native server | ours msg/s | native msg/s | msg/s ours/native | ours p50 / p99 ms | native p50 / p99 ms | ours CPU µs/msg | native CPU µs/msg | CPU ours/native | server cores busy (ours/native) | client core busy (ours/native) | of which the client (ours/native) | errors (ours/native) |");
out.push("|---|---|---|---:|---:|---:|---|---|---:|---:|---:|---|---|---|---|");
for (const r of rows) {
  out.push(`| ${TITLES[r.workload]} | ${r.runtime} | ${native[r.runtime]} | ${int(r.ours.rate)} | ${int(r.native.rate)} | **${ratio(r.ours.rate, r.native.rate)}** | ${lat(r.ours.p50)} / ${lat(r.ours.p99)} | ${lat(r.native.p50)} / ${lat(r.native.p99)} | ${us(r.ours.cpuUs)} | ${us(r.native.cpuUs)} | **${ratio(r.ours.cpuUs, r.native.cpuUs)}** | ${f2(r.ours.busy)}/${f2(r.native.busy)} | ${pc(r.ours.clientCore)}/${pc(r.native.clientCore)} | ${pc(r.ours.clientCpu)}/${pc(r.native.clientCpu)} | ${errs(r.ours)}/${errs(r.native)} |`);
}
out.push("", "msg/s ours/native above 1 and CPU ours/native below 1 favour ours. One short round on a shared machine: read differences under ~10% as noise. The client core's busy share counts every process on that core; \"of which the client\" is the load client's own CPU (the rest is the kernel's loopback TCP work in softirq, and any other process on that core). A client core near 100% busy means the client (or that other work) set the pace (then msg/s understates the server and CPU µs/msg is the figure to compare); a server below ~0.9 cores busy was not the limit.");
console.log(out.join("\n"));
process.exit(failed ? 1 : 0);
