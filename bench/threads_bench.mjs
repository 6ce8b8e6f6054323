#!/usr/bin/env node
// Thread mode benchmark (issue 4): requests/s of a CPU-bound route with threads=0 (inline), 1, 2
// and 4, and the cost of dispatch on hello world (inline vs threads=1), on Node, Deno and Bun.
// Every server listens on 127.0.0.1 only; wrk (-t1) drives it; the server is stopped by its pid
// after each run. The server is not pinned to a CPU: worker threads need the other cores.
//
// CPU µs/req is the server process's CPU time (all threads, from /proc/<pid>/stat) over the
// requests wrk counted: the price of a request, whichever thread paid it.
//
// Usage: node bench/threads_bench.mjs [--duration 5] [--warmup 1] [--connections 16]
//                                     [--only node,deno,bun] [--work 50000] [--threads 0,1,2,4]
//                                     [--quiet-wait 30]
//
// This file is also the app module the servers serve (export `app`) and the server runner
// (`--serve`): a worker thread imports it by URL, so it must not run anything at the top level
// there.
import process from "node:process";
import { isMainThread } from "node:worker_threads";
import { option } from "./lib/options.mjs";

/** The app: `/cpu?n=N` does N rounds of integer work, anything else is hello world. */
export const app = {
  fetch(request) {
    const url = request.url;
    const at = url.indexOf("/cpu?n=");
    if (at < 0) return new Response("Hello World");
    const n = Number(url.slice(at + 7));
    let x = 1;
    for (let i = 0; i < n; i++) x = (x * 48271 + i) % 2147483647;
    return new Response(String(x));
  },
};

const inWorker = !isMainThread || "WorkerGlobalScope" in globalThis;
const argv = "Deno" in globalThis ? globalThis.Deno.args : process.argv.slice(2);

if (!inWorker && argv.includes("--serve")) await serveMode(argv);
else if (!inWorker && !("Deno" in globalThis) && !("Bun" in globalThis)) await benchMode(argv);

/** `--serve --threads N`: serve this module's `app`, print `READY <port>`, exit on SIGTERM. */
async function serveMode(args) {
  const threads = Number(args[args.indexOf("--threads") + 1] ?? 0);
  const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
  const { serve } = await import(runtime === "node" ? "../dist/mod.js" : "../mod.ts");
  // Inline serves `app` itself: importing this module from its own top-level await would deadlock.
  const target = threads === 0 ? app : new URL(import.meta.url);
  const server = serve(target, { host: "127.0.0.1", port: 0, threads, ...(threads === 0 ? {} : { export: "app" }), logLevel: "error" });
  await server.ready;
  console.log(`READY ${server.addresses[0].port}`);
  process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
}

async function benchMode(args) {
  const { spawn, spawnSync } = await import("node:child_process");
  const { existsSync, readFileSync } = await import("node:fs");
  const { cpus } = await import("node:os");
  const { dirname, join } = await import("node:path");
  const { fileURLToPath } = await import("node:url");

  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const self = fileURLToPath(import.meta.url);
  const opt = (name, fallback) => option(args, name, fallback);
  const duration = Number(opt("duration", 5));
  const warmup = Number(opt("warmup", 1));
  const connections = Number(opt("connections", 16));
  const work = Number(opt("work", 50000));
  const quietWait = Number(opt("quiet-wait", 30));
  const only = opt("only", "node,deno,bun").split(",");
  const threadCounts = opt("threads", "0,1,2,4").split(",").map(Number);
  for (const [name, value] of [["duration", duration], ["warmup", warmup], ["connections", connections], ["work", work], ["quiet-wait", quietWait]]) {
    if (!Number.isInteger(value) || value < 0) {
      console.error(`threads_bench: --${name} ${JSON.stringify(value)}: give a whole number`);
      process.exit(2);
    }
  }
  if (spawnSync("wrk", ["-v"]).error !== undefined) {
    console.error("threads_bench: wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)");
    process.exit(1);
  }
  if (only.includes("node") && !existsSync(join(root, "dist", "mod.js"))) {
    console.error("threads_bench: dist/ is missing: run `npm run build` first (Node serves the built JS)");
    process.exit(1);
  }
  const bin = (name) => join(root, "node_modules", ".bin", name);
  const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;
  const cpuSeconds = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(f[11]) + Number(f[12])) / CLK_TCK;
    } catch {
      return NaN;
    }
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Busy seconds of all CPUs, from /proc/stat. */
  const busySeconds = () => {
    const [user, nice, system] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 4).map(Number);
    return (user + nice + system) / CLK_TCK;
  };
  /** Waits (up to --quiet-wait s) until other processes use under a fifth of a core; returns whether they did. */
  async function waitQuiet() {
    const started = Date.now();
    for (;;) {
      const before = busySeconds();
      await sleep(500);
      if (busySeconds() - before < 0.1) return true;
      if (Date.now() - started > quietWait * 1000) return false;
    }
  }

  const command = (runtime, threads) => {
    const serveArgs = [self, "--serve", "--threads", String(threads)];
    if (runtime === "node") return [process.execPath, serveArgs];
    if (runtime === "deno") return [bin("deno"), ["run", "--quiet", "--no-lock", "--allow-net=127.0.0.1", `--allow-read=${root}`, "--allow-env", ...serveArgs]];
    return [bin("bun"), serveArgs];
  };

  function startServer(runtime, threads) {
    const [cmd, cmdArgs] = command(runtime, threads);
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (t) => (err = (err + t).slice(-2000)));
    child.stdout.setEncoding("utf8");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no READY within 20 s: ${err}`)), 20000);
      child.stdout.on("data", (t) => {
        out += t;
        const m = /READY (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ child, port: Number(m[1]) });
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before READY: ${err}`));
      });
    });
  }

  async function stopServer(child) {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try { process.kill(child.pid, "SIGTERM"); } catch { /* gone */ }
    if (await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])) return;
    try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ }
    await exited;
  }

  function wrk(port, path, seconds) {
    return new Promise((resolve) => {
      const child = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}${path}`], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (t) => (out += t));
      const timer = setTimeout(() => { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }, (seconds + 30) * 1000);
      child.on("close", () => {
        clearTimeout(timer);
        const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
        const errors = /Non-2xx|Socket errors/.test(out);
        resolve({ requests, rps, errors, out });
      });
    });
  }

  async function measure(runtime, threads, path) {
    const quiet = await waitQuiet();
    const { child, port } = await startServer(runtime, threads);
    try {
      if (warmup > 0) await wrk(port, path, warmup);
      const before = cpuSeconds(child.pid);
      const result = await wrk(port, path, duration);
      const cpu = cpuSeconds(child.pid) - before;
      return { ...result, cpuUs: (cpu * 1e6) / result.requests, quiet };
    } finally {
      await stopServer(child);
    }
  }

  const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
  console.log(`# Thread mode: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), wrk -t1 -c${connections} -d${duration}s, CPU route /cpu?n=${work}\n`);
  const rows = [];
  for (const runtime of ["node", "deno", "bun"].filter((r) => only.includes(r))) {
    for (const [workload, path] of [["cpu", `/cpu?n=${work}`], ["hello", "/"]]) {
      const counts = workload === "hello" ? threadCounts.filter((t) => t <= 1) : threadCounts;
      for (const threads of counts) {
        let r;
        try {
          r = await measure(runtime, threads, path);
        } catch (error) {
          console.error(`${runtime} ${workload} threads=${threads}: ${error.message}`);
          continue;
        }
        const row = { runtime, workload, threads, rps: r.rps, cpuUs: r.cpuUs, errors: r.errors, quiet: r.quiet };
        rows.push(row);
        console.error(`${runtime} ${workload} threads=${threads}: ${fmt(r.rps)} req/s, ${r.cpuUs.toFixed(1)} CPU µs/req${r.errors ? " (errors!)" : ""}${r.quiet ? "" : " (machine busy)"}`);
      }
    }
  }
  console.log("| runtime | workload | threads | req/s | vs inline | CPU µs/req |");
  console.log("|---|---|---:|---:|---:|---:|");
  for (const row of rows) {
    const inline = rows.find((r) => r.runtime === row.runtime && r.workload === row.workload && r.threads === 0);
    const ratio = inline ? `${(row.rps / inline.rps).toFixed(2)}×` : "";
    console.log(`| ${row.runtime} | ${row.workload} | ${row.threads === 0 ? "0 (inline)" : row.threads} | ${fmt(row.rps)} | ${ratio} | ${row.cpuUs.toFixed(1)} |${row.quiet ? "" : " machine busy"}`);
  }
  console.log("\nDispatch cost on hello world (threads=1 minus inline):");
  for (const runtime of ["node", "deno", "bun"]) {
    const inline = rows.find((r) => r.runtime === runtime && r.workload === "hello" && r.threads === 0);
    const one = rows.find((r) => r.runtime === runtime && r.workload === "hello" && r.threads === 1);
    if (!inline || !one) continue;
    const wall = 1e6 / one.rps - 1e6 / inline.rps;
    console.log(`- ${runtime}: +${(one.cpuUs - inline.cpuUs).toFixed(1)} CPU µs per request; +${wall.toFixed(1)} µs per request in wall time at -c${connections}`);
  }
}
