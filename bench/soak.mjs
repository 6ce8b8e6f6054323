#!/usr/bin/env node
// The soak benchmark (issue 13): on each runtime, ours and the runtime's native server (node:http,
// Deno.serve, Bun.serve) each take, in one run, at least 2 million keep-alive requests (wrk) while a
// churn client opens and closes 100,000 connections, a tenth of them reset mid-request (SO_LINGER 0
// after part of a request). The hello-world app of bench/apps/ serves them. Reported per server:
// resident memory (VmRSS of /proc/PID/status) and open descriptors (/proc/PID/fd) at the start (after
// a warm-up and a settle) and at the end (after the load stops and the same settle), and the failed
// responses to the well-behaved clients: wrk's non-2xx responses and socket errors, and the churn
// client's own failures. Targets: RSS growth under 10 MiB, 0 more descriptors, 0 failed responses.
// Prints a Markdown report and writes bench/results/SOAK.md. A benchmark, not a timed test.
//
// Usage: node bench/soak.mjs [--runtime node,deno,bun] [--servers ours,native] [--requests 2000000]
//                            [--connections 100000] [--reset-fraction 0.1] [--quick] [--settle 5]
//                            [--warmup 10] [--warmup-max 90] [--wrk-connections 50] [--concurrency 16]
//                            [--phase-timeout 900]
//
// Servers run pinned to CPU 0, wrk and the churn client to CPU 1 (taskset), on 127.0.0.1 only.
// Everything it starts (servers, wrk, the churn client) is stopped by its pid, on every path.
// The churn client is this same file run as `node bench/soak.mjs --churn-client ...`.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { cpus, loadavg, release } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuild } from "./build.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const apps = join(root, "bench", "apps");
const resultsDir = join(root, "bench", "results");
const bin = (name) => join(root, "node_modules", ".bin", name);
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const RUNTIMES = ["node", "deno", "bun"];
const SERVERS = [
  { runtime: "node", kind: "native", label: "node:http", script: "node_http.mjs" },
  { runtime: "node", kind: "ours", label: "ours (dist/)", script: "ours_node.mjs" },
  { runtime: "deno", kind: "native", label: "Deno.serve", script: "deno_serve.mjs" },
  { runtime: "deno", kind: "ours", label: "ours (mod.ts)", script: "ours_deno.mjs" },
  { runtime: "bun", kind: "native", label: "Bun.serve", script: "bun_serve.mjs" },
  { runtime: "bun", kind: "ours", label: "ours (mod.ts)", script: "ours_bun.mjs" },
];
/** Extra warm-up rounds: seconds of wrk, churn connections, and the peak-RSS rise (bytes) that asks for another round. */
const WARMUP_ROUND = { seconds: 10, connections: 2000, rise: 2 * 1024 * 1024 };
/** Connections the churn client makes during the warm-up. */
const warmupConnections = (opts) => Math.min(opts.quick ? 1000 : 5000, opts.connections);
const TARGET = { rssGrowth: 10 * MiB, fdGrowth: 0, failed: 0 };

// The requests the churn client sends. Well-behaved: alternately `Connection: close` (the server
// closes after the response) and keep-alive (the client closes after reading the response).
const REQUEST_CLOSE = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: soak\r\nConnection: close\r\n\r\n";
const REQUEST_KEEP = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: soak\r\n\r\n";
// What a reset connection sends before its RST, in turn: mid request-line, mid head, the whole head
// but its final CRLF, and a POST head with half of its body.
const PARTIALS = [
  "GET /partial",
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Ag",
  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: soak\r\n",
  "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 64\r\n\r\n" + "x".repeat(32),
];
const BODY = "Hello World";

// ---------------------------------------------------------------------------------------------
// Options

function usage(code) {
  console.log(`Usage: node bench/soak.mjs [options]

  --runtime LIST        node,deno,bun (default all three); --only is the same
  --servers LIST        ours,native (default both): ours and/or the runtime's own server
  --requests N          keep-alive requests per server, sent by wrk (default 2000000)
  --connections N       connections the churn client opens and closes per server (default 100000)
  --reset-fraction F    share of those connections reset mid-request (default 0.1)
  --quick               a smoke run: 100000 requests, 5000 connections, 2 s warm-up, 3 s settle
                        (explicit --requests/--connections/--warmup/--settle still win)
  --warmup N            seconds of wrk warm-up, with 5000 churn connections (1000 with --quick), before the start figures (default 10)
  --warmup-max N        then more warm-up rounds (10 s of wrk + 2000 connections) while the server's peak RSS
                        still rose by more than 2 MiB in the last round, up to N seconds of warm-up in all
                        (default 90; 0 or --quick: no extra rounds)
  --settle N            seconds of quiet before the start figures and before the end figures (default 5)
  --wrk-connections N   wrk -c (default 50)
  --concurrency N       connections the churn client keeps in flight (default 16)
  --phase-timeout N     seconds the load may take per server before it is stopped and reported (default 900)
  --help                this text`);
  process.exit(code);
}

function fail(message) {
  console.error(`soak: ${message} (see --help)`);
  process.exit(2);
}

function parseOptions(argv) {
  const opts = { runtimes: [...RUNTIMES], kinds: ["native", "ours"], quick: false, given: new Set() };
  const defaults = { requests: 2_000_000, connections: 100_000, resetFraction: 0.1, warmup: 10, warmupMax: 90, settle: 5, wrkConnections: 50, concurrency: 16, phaseTimeout: 900 };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    const num = (key, min, integer = true) => {
      const raw = next().replace(/_/g, "");
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) fail(`${arg} ${JSON.stringify(raw)}: give ${integer ? "an integer" : "a number"} >= ${min}`);
      opts[key] = n;
      opts.given.add(key);
    };
    const list = (allowed) => {
      const items = next().split(",").map((s) => s.trim()).filter(Boolean);
      if (!items.length || items.some((x) => !allowed.includes(x))) fail(`${arg} ${JSON.stringify(items.join(","))}: use a comma-separated subset of ${allowed.join(",")}`);
      return allowed.filter((x) => items.includes(x));
    };
    switch (arg) {
      case "--runtime": case "--runtimes": case "--only": opts.runtimes = list(RUNTIMES); break;
      case "--servers": opts.kinds = list(["native", "ours"]); break;
      case "--requests": num("requests", 1); break;
      case "--connections": num("connections", 0); break;
      case "--reset-fraction": num("resetFraction", 0, false); if (opts.resetFraction > 1) fail("--reset-fraction: give a number from 0 to 1"); break;
      case "--warmup": num("warmup", 0); break;
      case "--warmup-max": num("warmupMax", 0); break;
      case "--settle": num("settle", 0); break;
      case "--wrk-connections": num("wrkConnections", 1); break;
      case "--concurrency": num("concurrency", 1); break;
      case "--phase-timeout": num("phaseTimeout", 10); break;
      case "--quick": opts.quick = true; break;
      case "--help": case "-h": usage(0); break;
      default: fail(`Unknown option ${JSON.stringify(argv[i])}`);
    }
  }
  const quick = { requests: 100_000, connections: 5_000, warmup: 2, warmupMax: 0, settle: 3 };
  for (const [key, value] of Object.entries(defaults)) {
    if (!opts.given.has(key)) opts[key] = opts.quick && key in quick ? quick[key] : value;
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// The churn client (a child process: `node bench/soak.mjs --churn-client --port P ...`)

/**
 * Opens `count` connections, `concurrency` at a time. Connection i is reset mid-request when
 * floor((i+1)·f) > floor(i·f) (exactly a fraction f, spread evenly); the others send one request,
 * check the answer (200, `Hello World`) and close. Prints one `RESULT {json}` line at the end, or
 * on SIGTERM with what was done so far.
 */
async function churnClient(argv) {
  const arg = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  const port = Number(arg("port"));
  const count = Number(arg("count", "0"));
  const fraction = Number(arg("reset-fraction", "0.1"));
  const concurrency = Number(arg("concurrency", "16"));
  const timeoutMs = Number(arg("timeout-ms", "10000"));
  const stats = { started: 0, ok: 0, resets: 0, failed: 0, kinds: {}, examples: [], seconds: 0 };
  const began = performance.now();
  let stopping = false;
  const report = () => {
    stats.seconds = (performance.now() - began) / 1000;
    process.stdout.write(`RESULT ${JSON.stringify(stats)}\n`);
  };
  process.on("SIGTERM", () => {
    stopping = true;
    stats.stopped = true;
    report();
    process.exit(0);
  });
  const failure = (kind, detail) => {
    stats.failed++;
    stats.kinds[kind] = (stats.kinds[kind] ?? 0) + 1;
    if (stats.examples.length < 5) stats.examples.push(`${kind}: ${detail}`.slice(0, 200));
  };

  const one = (i) => new Promise((resolve) => {
    const reset = Math.floor((i + 1) * fraction) > Math.floor(i * fraction);
    const keepAlive = !reset && i % 2 === 1;
    const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
    let finished = false;
    const finish = (kind, detail) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (kind === "ok") stats.ok++;
      else if (kind === "reset") stats.resets++;
      else failure(kind, detail);
      if (!socket.destroyed) socket.destroy();
      resolve();
    };
    let answered = false; // keep-alive: the whole response arrived and the client sent its FIN
    const timer = setTimeout(() => {
      if (answered) {
        // The answer was right, but the server never closed after the client's FIN.
        stats.noClose = (stats.noClose ?? 0) + 1;
        return finish("ok");
      }
      finish(reset ? "reset client: timeout" : "timeout", `no complete answer within ${timeoutMs} ms`);
    }, timeoutMs);
    socket.on("error", (error) => finish(reset ? "reset client: socket error" : `socket error ${error.code ?? ""}`.trim(), error.message));
    if (reset) {
      socket.on("connect", () => {
        socket.write(PARTIALS[Math.floor(i * fraction) % PARTIALS.length], () => {
          // Let the bytes reach the server first: then SO_LINGER 0 and close, which sends a RST.
          setImmediate(() => {
            if (finished) return;
            socket.resetAndDestroy();
            finish("reset");
          });
        });
      });
      return;
    }
    let text = "";
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(keepAlive ? REQUEST_KEEP : REQUEST_CLOSE));
    /** "ok", an error text, or undefined while the response is incomplete. */
    const check = () => {
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return undefined;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      if (status !== "200") return `status ${status ?? JSON.stringify(text.slice(0, 40))}`;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end + 2))?.[1] ?? NaN);
      if (!(length >= 0)) return "no content-length";
      if (text.length < end + 4 + length) return undefined;
      const body = text.slice(end + 4, end + 4 + length);
      return body === BODY ? "ok" : `body ${JSON.stringify(body.slice(0, 40))}`;
    };
    socket.on("data", (chunk) => {
      text += chunk;
      if (!keepAlive) return; // Connection: close: judged once the server closes
      const verdict = check();
      if (verdict === undefined) return;
      if (verdict !== "ok") return finish("bad response", verdict);
      // The whole response arrived: the client closes (FIN) and waits for the server's close.
      answered = true;
      socket.end();
    });
    socket.on("end", () => {
      if (keepAlive) {
        if (!answered) finish("closed before the response", JSON.stringify(text.slice(0, 60)));
        return;
      }
      const verdict = check();
      if (verdict === "ok") finish("ok");
      else finish(verdict === undefined ? "closed before the response" : "bad response", verdict ?? JSON.stringify(text.slice(0, 60)));
    });
    socket.on("close", () => (answered ? finish("ok") : finish("closed before the response", JSON.stringify(text.slice(0, 60)))));
  });

  let next = 0;
  const worker = async () => {
    while (!stopping && next < count) {
      const i = next++;
      stats.started++;
      await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  report();
}

// ---------------------------------------------------------------------------------------------
// Environment

function ensureWrk() {
  if (spawnSync("wrk", ["-v"], { encoding: "utf8" }).error === undefined) return;
  console.error(`soak: the load generator wrk is not installed (it sends the keep-alive requests).
Install it, then run again:
  Debian/Ubuntu:  sudo apt-get install -y wrk
  Fedora:         sudo dnf install wrk
  macOS:          brew install wrk`);
  process.exit(1);
}

function firstLine(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", cwd: root });
  if (r.error) return "not found";
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0];
}

function pinning() {
  const hasTaskset = spawnSync("taskset", ["-V"]).error === undefined;
  if (hasTaskset && cpus().length >= 2) return { server: ["taskset", "-c", "0"], client: ["taskset", "-c", "1"], note: "server `taskset -c 0`; wrk and the churn client `taskset -c 1`" };
  return { server: [], client: [], note: hasTaskset ? "not pinned (only one CPU)" : "not pinned (taskset not found)" };
}

function environment(opts, pin) {
  let model = "unknown";
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? model;
  } catch { /* not Linux */ }
  const versions = { node: process.version, wrk: firstLine("wrk", ["-v"]).replace(/\s*Copyright.*$/, "").replace(/^wrk\s+/, "") };
  if (opts.runtimes.includes("deno")) versions.deno = firstLine(bin("deno"), ["--version"]).replace(/^deno\s+/, "");
  if (opts.runtimes.includes("bun")) versions.bun = firstLine(bin("bun"), ["--version"]);
  const commit = firstLine("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src", "adapters", "mod.ts"], { cwd: root, encoding: "utf8" }).stdout?.trim();
  const args = process.argv.slice(2);
  const quoted = args.map((a) => (/^[\w./,=:-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cores: cpus().length,
    model,
    kernel: `${process.platform} ${release()}`,
    load: loadavg()[0],
    versions,
    commit: dirty ? `${commit} (with uncommitted changes in src/ or adapters/)` : commit,
    command: `node ${relative(process.cwd(), fileURLToPath(import.meta.url)) || "bench/soak.mjs"}${args.length ? ` ${quoted}` : ""}`,
    pin: pin.note,
  };
}

// ---------------------------------------------------------------------------------------------
// Processes: every child's pid is kept here and stopped on every exit path.

const children = new Map(); // pid -> name
function stopChildrenOnSignals() {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      for (const pid of children.keys()) {
        try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
      }
      console.error(`\nsoak: interrupted by ${signal}; stopped ${children.size} child process${children.size === 1 ? "" : "es"}`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

/** Spawns a child, tracks its pid, and collects its output. */
function launch(name, argv, { keepStderr = 4000 } = {}) {
  const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const state = { name, child, pid: child.pid, stdout: "", stderr: "", stderrLines: 0, exit: undefined };
  if (child.pid !== undefined) children.set(child.pid, name);
  state.exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      state.exit = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.on("error", (error) => {
      state.exit = `could not start: ${error.message}`;
      resolve();
    });
  });
  // "close" comes after the pipes are drained: the pid is forgotten only then.
  child.on("close", () => children.delete(child.pid));
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (t) => { state.stdout = (state.stdout + t).slice(-64_000); });
  child.stderr.on("data", (t) => {
    state.stderr = (state.stderr + t).slice(-keepStderr);
    state.stderrLines += (t.match(/\n/g) ?? []).length;
  });
  return state;
}

/** SIGTERM by pid, SIGKILL after `grace` ms; resolves once it exited (or 2 s after the SIGKILL). */
async function stop(state, grace = 3000) {
  if (!state || state.pid === undefined) return;
  if (state.exit === undefined) {
    try { process.kill(state.pid, "SIGTERM"); } catch { /* already gone */ }
    const timedOut = await Promise.race([state.exited.then(() => false), sleep(grace).then(() => true)]);
    if (timedOut && state.exit === undefined) {
      try { process.kill(state.pid, "SIGKILL"); } catch { /* already gone */ }
      await Promise.race([state.exited, sleep(2000)]);
    }
  }
  children.delete(state.pid);
}

function serverArgv(server, pin) {
  const script = join(apps, server.script);
  const args = ["--port", "0", "--workload", "hello"];
  const run = {
    node: [process.execPath, script, ...args],
    deno: [bin("deno"), "run", "--quiet", "--no-lock", "--allow-net=127.0.0.1", script, ...args],
    bun: [bin("bun"), script, ...args],
  }[server.runtime];
  // taskset execs the runtime, so the child's pid is the server's own pid (its /proc entry).
  return [...pin.server, ...run];
}

async function startServer(server, pin) {
  const state = launch(`${server.runtime} ${server.label}`, serverArgv(server, pin));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = /^READY (\d+)$/m.exec(state.stdout);
    if (m) {
      state.port = Number(m[1]);
      return state;
    }
    if (state.exit !== undefined) throw Object.assign(new Error(`exited before READY (${state.exit})${state.stderr ? `; stderr: ${state.stderr.trim()}` : ""}`), { state });
    await sleep(50);
  }
  throw Object.assign(new Error(`no "READY <port>" line within 20 s${state.stderr ? `; stderr: ${state.stderr.trim()}` : ""}`), { state });
}

/** RSS (bytes), peak RSS (bytes) and open descriptors of a process, from /proc. */
function sample(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib("VmRSS"), hwm: kib("VmHWM"), fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rss: NaN, hwm: NaN, fds: NaN };
  }
}

/** One request on a fresh connection with `Connection: close`: resolves "ok" or a reason. */
function probe(port, timeoutMs = 5000) {
  return new Promise((resolve) => {
    let text = "";
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (verdict) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(REQUEST_CLOSE));
    socket.on("data", (t) => { text += t; });
    socket.on("error", (e) => done(`socket error ${e.code ?? e.message}`));
    socket.on("end", () => done(/^HTTP\/1\.1 200 /.test(text) && text.endsWith(`\r\n\r\n${BODY}`) ? "ok" : `bad answer ${JSON.stringify(text.slice(0, 80))}`));
  });
}

/** Parses wrk's report: requests, duration, non-2xx, socket errors. */
function parseWrk(out) {
  const m = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)/m.exec(out);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60 };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: m ? Number(m[1]) : NaN,
    seconds: m ? Number(m[2]) * unit[m[3]] : NaN,
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    socket: sock ? { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] } : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

/** One wrk run of `seconds`, killed by pid if it overruns by 30 s. */
async function wrkOnce(port, seconds, opts, pin, live) {
  const argv = [...pin.client, "wrk", "-t1", `-c${opts.wrkConnections}`, `-d${seconds}s`, "--timeout", "5s", `http://127.0.0.1:${port}/`];
  const state = launch("wrk", argv);
  live.add(state);
  const timer = setTimeout(() => stop(state, 1000), (seconds + 30) * 1000);
  await state.exited;
  await new Promise((resolve) => (children.has(state.pid) ? state.child.once("close", resolve) : resolve()));
  clearTimeout(timer);
  live.delete(state);
  const r = parseWrk(state.stdout + state.stderr);
  if (!Number.isFinite(r.requests)) r.error = `wrk (${state.exit}): ${(state.stdout + state.stderr).trim().replace(/\s+/g, " ").slice(0, 300)}`;
  return r;
}

/**
 * Keep-alive load: wrk runs until `total` requests are done, in runs whose length follows the rate
 * measured so far (at most 60 s each), and stops at `deadline` (ms, Date.now()) in any case.
 */
async function keepAliveLoad(port, total, opts, pin, deadline, live, isCancelled) {
  const sum = { requests: 0, seconds: 0, runs: 0, non2xx: 0, socket: { connect: 0, read: 0, write: 0, timeout: 0 }, errors: [] };
  let rate = 20_000; // a first guess; replaced by the measured rate after the first run
  while (sum.requests < total && !isCancelled()) {
    const left = (deadline - Date.now()) / 1000;
    if (left < 1) {
      sum.stopped = `phase timeout: ${sum.requests.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} requests done`;
      break;
    }
    // The first run is short: it measures the rate the next runs are sized by.
    const seconds = Math.max(1, Math.min(sum.runs === 0 ? 5 : 60, Math.floor(left), Math.ceil(((total - sum.requests) / rate) * 1.03)));
    const r = await wrkOnce(port, seconds, opts, pin, live);
    sum.runs++;
    if (r.error) {
      sum.errors.push(r.error);
      if (sum.errors.length >= 3) break;
      continue;
    }
    sum.requests += r.requests;
    sum.seconds += r.seconds;
    sum.non2xx += r.non2xx;
    for (const k of Object.keys(sum.socket)) sum.socket[k] += r.socket[k];
    if (r.requests > 0 && r.seconds > 0) rate = sum.requests / sum.seconds;
    else if (r.requests === 0) {
      sum.errors.push(`a ${seconds} s wrk run completed no request (the server stalled)`);
      if (sum.errors.length >= 3) break;
    }
  }
  return sum;
}

/** The churn client as a child process; stopped by pid (SIGTERM, it reports what it did) at the deadline. */
async function churnLoad(port, count, opts, pin, deadline, live) {
  if (count === 0) return { started: 0, ok: 0, resets: 0, failed: 0, kinds: {}, examples: [], seconds: 0 };
  const argv = [...pin.client, process.execPath, fileURLToPath(import.meta.url), "--churn-client", "--port", String(port), "--count", String(count),
    "--reset-fraction", String(opts.resetFraction), "--concurrency", String(opts.concurrency), "--timeout-ms", "10000"];
  const state = launch("churn client", argv);
  live.add(state);
  const timer = setTimeout(() => stop(state, 3000), Math.max(1000, deadline - Date.now()));
  await state.exited;
  await new Promise((resolve) => (children.has(state.pid) ? state.child.once("close", resolve) : resolve()));
  clearTimeout(timer);
  live.delete(state);
  const line = /^RESULT (.+)$/m.exec(state.stdout)?.[1];
  if (!line) return { error: `churn client (${state.exit}) printed no result; stderr: ${state.stderr.trim().slice(0, 300)}` };
  const result = JSON.parse(line);
  if (result.stopped) result.stoppedNote = `phase timeout: ${result.started.toLocaleString("en-US")} of ${count.toLocaleString("en-US")} connections done`;
  return result;
}

/** Warm-up, start figures, load, settle, end figures, a last probe: one server. */
async function soakOne(server, opts, pin) {
  const name = `${server.runtime} ${server.label}`;
  const row = { server, notes: [] };
  let state;
  const live = new Set();
  try {
    try {
      state = await startServer(server, pin);
    } catch (error) {
      state = error.state;
      row.error = `start failed: ${error.message}`;
      return row;
    }
    const first = await probe(state.port);
    if (first !== "ok") {
      row.error = `first request: ${first}`;
      return row;
    }
    // Warm-up: the same mix, smaller (wrk for --warmup s while the churn client does its first
    // connections), so that the heaps and pools have grown to their working size; then the settle.
    const warmDeadline = Date.now() + 60_000 + opts.warmup * 1000;
    await Promise.all([
      opts.warmup > 0 ? wrkOnce(state.port, opts.warmup, opts, pin, live) : undefined,
      churnLoad(state.port, warmupConnections(opts), opts, pin, warmDeadline, live),
    ]);
    // A heap grows in steps with the work done, not with time: V8's young generation doubles (up to
    // 2 x 32 MiB on Deno 2.9) each time enough objects survived its collections. Ours on Deno makes
    // ~5 KiB of garbage per request, so 10 s on a busy machine left it halfway (bench/README.md,
    // "Soak"). More rounds of the same mix while the peak RSS (VmHWM, which does not fall back
    // when a collection hands memory back) still rises: the start figures then show the working size.
    row.warmupSeconds = opts.warmup;
    let peak = sample(state.pid).hwm;
    while (row.warmupSeconds + WARMUP_ROUND.seconds <= opts.warmupMax && state.exit === undefined) {
      await Promise.all([
        wrkOnce(state.port, WARMUP_ROUND.seconds, opts, pin, live),
        churnLoad(state.port, Math.min(WARMUP_ROUND.connections, opts.connections), opts, pin, Date.now() + 60_000, live),
      ]);
      row.warmupSeconds += WARMUP_ROUND.seconds;
      const now = sample(state.pid).hwm;
      const rose = now - peak;
      peak = now;
      if (!(rose > WARMUP_ROUND.rise)) break;
    }
    row.warmupPeak = peak;
    await sleep(opts.settle * 1000);
    if (state.exit !== undefined) {
      row.error = `died during the warm-up (${state.exit})${state.stderr ? `; stderr: ${state.stderr.trim().slice(-600)}` : ""}`;
      return row;
    }
    row.start = sample(state.pid);
    const logBefore = state.stderrLines;
    console.log(`  ${name}: start RSS ${mib(row.start.rss)} (warm-up ${row.warmupSeconds} s, peak ${mib(row.warmupPeak)}), ${row.start.fds} fds; load: ${int(opts.requests)} keep-alive requests + ${int(opts.connections)} connections (${pct(opts.resetFraction)} reset)`);

    // The load: wrk and the churn client at once; a watcher samples the server and stops the
    // load if the server dies.
    const deadline = Date.now() + opts.phaseTimeout * 1000;
    let died = false;
    row.peakFds = row.start.fds;
    row.timeline = []; // [seconds since the load began, RSS]
    const began = performance.now();
    const watcher = setInterval(() => {
      const s = sample(state.pid);
      if (Number.isFinite(s.fds)) row.peakFds = Math.max(row.peakFds, s.fds);
      if (Number.isFinite(s.rss)) row.timeline.push([(performance.now() - began) / 1000, s.rss]);
      if (state.exit !== undefined && !died) {
        died = true;
        for (const child of live) stop(child, 500);
      }
    }, 1000);
    let wrk, churn;
    try {
      [wrk, churn] = await Promise.all([
        keepAliveLoad(state.port, opts.requests, opts, pin, deadline, live, () => died).then((r) => { r.wall = (performance.now() - began) / 1000; return r; }),
        churnLoad(state.port, opts.connections, opts, pin, deadline, live).then((r) => { r.wall = (performance.now() - began) / 1000; return r; }),
      ]);
    } finally {
      clearInterval(watcher);
    }
    row.wrk = wrk;
    row.churn = churn;
    row.loadSeconds = (performance.now() - began) / 1000;
    row.peakRss = sample(state.pid).hwm;
    if (wrk.stopped) row.notes.push(wrk.stopped);
    if (churn.stoppedNote) row.notes.push(churn.stoppedNote);
    for (const e of wrk.errors) row.notes.push(e);
    if (churn.error) row.notes.push(churn.error);
    if (state.exit !== undefined) {
      row.error = `died during the load (${state.exit}) after ${row.loadSeconds.toFixed(0)} s${state.stderr ? `; stderr: ${state.stderr.trim().slice(-600)}` : ""}`;
      return row;
    }
    await sleep(opts.settle * 1000);
    row.end = sample(state.pid);
    row.logLines = state.stderrLines - logBefore;
    row.stderrTail = state.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 400);
    // Still serving? (after the end figures: this connection must not be counted in them)
    row.after = await probe(state.port);
    return row;
  } finally {
    for (const child of live) await stop(child, 500);
    if (state) {
      if (state.exit !== undefined && !row.error) row.error = `exited (${state.exit})`;
      await stop(state);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");
const mib = (b) => (Number.isFinite(b) ? `${(b / MiB).toFixed(1)} MiB` : "—");
const signedMib = (b) => (Number.isFinite(b) ? `${b >= 0 ? "+" : "−"}${(Math.abs(b) / MiB).toFixed(1)} MiB` : "—");
const signed = (n) => (Number.isFinite(n) ? `${n > 0 ? "+" : n < 0 ? "−" : "±"}${Math.abs(n)}` : "—");
const pct = (x) => `${+(x * 100).toFixed(2)}%`;

/** Failed responses to the well-behaved clients: wrk's non-2xx and socket errors, the churn client's failures. */
function failures(row) {
  const wrkFailed = row.wrk ? row.wrk.non2xx + Object.values(row.wrk.socket).reduce((a, b) => a + b, 0) : NaN;
  const churnFailed = row.churn && !row.churn.error ? row.churn.failed : NaN;
  const after = row.after === undefined ? 0 : row.after === "ok" ? 0 : 1;
  return { wrk: wrkFailed, churn: churnFailed, after, total: wrkFailed + churnFailed + after };
}

function verdict(row) {
  if (row.error) return "**failed**";
  const f = failures(row);
  const misses = [];
  const growth = row.end.rss - row.start.rss;
  if (!(growth < TARGET.rssGrowth)) misses.push("RSS");
  if (!(row.end.fds - row.start.fds <= TARGET.fdGrowth)) misses.push("fds");
  if (!(f.total <= TARGET.failed)) misses.push("failures");
  if (row.notes.some((n) => n.startsWith("phase timeout"))) misses.push("incomplete");
  return misses.length ? `**no** (${misses.join(", ")})` : "yes";
}

function markdown(env, opts, rows) {
  const lines = [];
  lines.push("# Soak: ours vs the native servers", "");
  lines.push(`- Command: \`${env.command}\``);
  lines.push(`- Date: ${env.date}; commit ${env.commit}`);
  lines.push(`- Machine: ${env.cores} cores, ${env.model}, ${env.kernel}; load average ${env.load.toFixed(2)} at the start`);
  lines.push(`- Versions: ${Object.entries(env.versions).map(([k, v]) => `${k} \`${v}\``).join(", ")}`);
  lines.push(`- Load per server, at once: \`wrk -t1 -c${opts.wrkConnections} --timeout 5s\` (keep-alive \`GET /\`) until ${int(opts.requests)} requests, and a churn client (node:net, ${opts.concurrency} in flight) opening and closing ${int(opts.connections)} connections, ${pct(opts.resetFraction)} of them reset mid-request (SO_LINGER 0 after part of a request line, a head, or a body); the others send one \`GET /\` (alternately \`Connection: close\` and keep-alive closed by the client) and check the answer. ${env.pin}.`);
  const extra = opts.warmupMax >= opts.warmup + WARMUP_ROUND.seconds ? `, then rounds of ${WARMUP_ROUND.seconds} s of wrk + ${int(WARMUP_ROUND.connections)} connections while the server's peak RSS still rose by more than ${WARMUP_ROUND.rise / MiB} MiB in a round, up to ${opts.warmupMax} s of warm-up in all (the details say how long each server took)` : "";
  lines.push(`- Start: after a warm-up of the same mix (wrk for ${opts.warmup} s while the churn client makes ${int(warmupConnections(opts))} connections, resets included${extra}) and ${opts.settle} s of quiet. End: ${opts.settle} s after the load stopped. RSS: VmRSS of /proc/PID/status; fds: entries in /proc/PID/fd (the server process alone).`);
  lines.push(`- Targets: RSS growth < ${TARGET.rssGrowth / MiB} MiB, descriptor growth ${TARGET.fdGrowth}, failed responses ${TARGET.failed}.`);
  lines.push("");
  lines.push("| runtime | server | RSS start | RSS end | growth | fds start | fds end | growth | failed responses | keep-alive req/s | churn conn/s | targets met |");
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const row of rows) {
    const s = row.server;
    const rt = runtimeLabel(env, s.runtime);
    if (row.error && !row.start) {
      lines.push(`| ${rt} | ${s.label} | — | — | — | — | — | — | — | — | — | **failed**: see below |`);
      continue;
    }
    const f = failures(row);
    const end = row.end ?? {};
    const rps = row.wrk && row.wrk.seconds > 0 ? row.wrk.requests / row.wrk.seconds : NaN;
    const cps = row.churn && row.churn.seconds > 0 ? row.churn.started / row.churn.seconds : NaN;
    lines.push(`| ${rt} | ${s.label} | ${mib(row.start.rss)} | ${mib(end.rss)} | ${signedMib(end.rss - row.start.rss)} | ${row.start.fds} | ${end.fds ?? "—"} | ${signed(end.fds - row.start.fds)} | ${int(f.total)} | ${int(rps)} | ${int(cps)} | ${verdict(row)} |`);
  }
  lines.push("");
  lines.push("## Details", "");
  lines.push("| runtime | server | warm-up | keep-alive requests | wrk errors | connections (ok / reset) | churn failures | RSS at ¼ ½ ¾ of the load | peak RSS | peak fds | load time | stderr lines | after the soak |");
  lines.push("|---|---|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---|");
  for (const row of rows) {
    const s = row.server;
    if (!row.wrk) continue;
    const w = row.wrk;
    const wrkErr = [w.non2xx && `${int(w.non2xx)} non-2xx`, ...Object.entries(w.socket).filter(([, n]) => n).map(([k, n]) => `${int(n)} ${k}`)].filter(Boolean).join(", ") || "0";
    const c = row.churn;
    let churnErr = c.error ? "no result" : Object.entries(c.kinds).map(([k, n]) => `${int(n)} ${k}`).join(", ") || "0";
    if (c.noClose) churnErr += ` (and ${int(c.noClose)} answered but not closed by the server within 10 s of the client's FIN)`;
    lines.push(`| ${runtimeLabel(env, s.runtime)} | ${s.label} | ${row.warmupSeconds ?? "—"} s | ${int(w.requests)} (${w.runs} wrk run${w.runs === 1 ? "" : "s"}, ${w.seconds.toFixed(0)} s) | ${wrkErr} | ${int(c.started)} (${int(c.ok)} / ${int(c.resets)}) | ${churnErr} | ${quarters(row)} | ${mib(row.peakRss)} | ${row.peakFds ?? "—"} | ${row.loadSeconds.toFixed(0)} s | ${row.logLines ?? "—"} | ${row.after === undefined ? "—" : row.after === "ok" ? "answers" : `**${row.after}**`} |`);
  }
  lines.push("");
  const notes = [];
  for (const row of rows) {
    const who = `${runtimeLabel(env, row.server.runtime)} ${row.server.label}`;
    if (row.error) notes.push(`- **${who}: ${row.error.replace(/\s+/g, " ").slice(0, 800)}**`);
    for (const n of row.notes) notes.push(`- ${who}: ${n.replace(/\s+/g, " ").slice(0, 400)}`);
    if (row.churn?.examples?.length) notes.push(`- ${who}, churn failures, first ones: ${row.churn.examples.map((e) => `\`${e.replace(/`/g, "'")}\``).join("; ")}`);
    if (row.logLines) notes.push(`- ${who}, the last stderr lines: \`${row.stderrTail.replace(/`/g, "'")}\``);
  }
  if (notes.length) lines.push(...notes, "");
  lines.push("Failed responses: wrk's non-2xx responses and socket errors (connect, read, write, timeout), plus the churn client's well-behaved connections that got no complete `200 Hello World` (an error, a timeout of 10 s, an early close or a wrong answer), plus 1 if a last request after the end figures was not answered. The reset connections are not counted: they expect nothing. keep-alive req/s: wrk's requests over wrk's own time; churn conn/s: connections over the churn client's time. wrk and the churn client share one core, so these rates are lower than `npm run bench`'s and are shown only to compare the servers with each other. Peak RSS: VmHWM at the end of the load; peak fds: the most seen in a once-a-second sample.");
  return lines.join("\n") + "\n";
}

/** RSS (MiB) sampled at a quarter, half and three quarters of the load: a leak keeps climbing. */
function quarters(row) {
  const t = row.timeline ?? [];
  if (t.length < 4) return "—";
  const at = (q) => t.reduce((best, x) => (Math.abs(x[0] - q * row.loadSeconds) < Math.abs(best[0] - q * row.loadSeconds) ? x : best))[1];
  return [0.25, 0.5, 0.75].map((q) => (at(q) / MiB).toFixed(1)).join(" / ");
}

function runtimeLabel(env, runtime) {
  const v = env.versions[runtime] ?? "";
  if (runtime === "node") return `Node ${v.replace(/^v/, "")}`;
  if (runtime === "deno") return `Deno ${/^([\d.]+)/.exec(v)?.[1] ?? v}`;
  return `Bun ${v}`;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--churn-client") return churnClient(argv.slice(1));
  const opts = parseOptions(argv);
  stopChildrenOnSignals();
  ensureWrk();
  if (typeof net.Socket.prototype.resetAndDestroy !== "function") {
    console.error(`soak: this Node (${process.version}) has no socket.resetAndDestroy(); run the soak with Node 20 or later`);
    process.exit(1);
  }
  if (!existsSync("/proc/self/status")) {
    console.error("soak: needs Linux's /proc (VmRSS and /proc/PID/fd of the server)");
    process.exit(1);
  }
  if (opts.runtimes.includes("node") && opts.kinds.includes("ours")) ensureBuild(root, "soak", "pass --runtime deno,bun");
  for (const r of ["deno", "bun"]) {
    if (opts.runtimes.includes(r) && !existsSync(bin(r))) fail(`${bin(r)} is missing: run \`npm ci\` (or leave ${r} out of --runtime)`);
  }
  const pin = pinning();
  const env = environment(opts, pin);
  const servers = SERVERS.filter((s) => opts.runtimes.includes(s.runtime) && opts.kinds.includes(s.kind));
  console.log(`Soak: ${servers.length} server${servers.length === 1 ? "" : "s"}, each ${int(opts.requests)} keep-alive requests + ${int(opts.connections)} connections (${pct(opts.resetFraction)} reset mid-request); ${pin.note}.`);
  if (env.load > 0.5) console.log(`Note: the 1-minute load average is ${env.load.toFixed(2)}: other work on this machine shares the cores.`);

  const rows = [];
  for (const server of servers) {
    const began = performance.now();
    const row = await soakOne(server, opts, pin);
    rows.push(row);
    const f = row.start && row.end ? failures(row) : undefined;
    console.log(`  ${server.runtime} ${server.label}: ${row.error ? `FAILED ${row.error.slice(0, 300)}` : `RSS ${mib(row.start.rss)} → ${mib(row.end.rss)}, fds ${row.start.fds} → ${row.end.fds}, ${int(f.total)} failed`} (${((performance.now() - began) / 1000).toFixed(0)} s)`);
  }

  const report = markdown(env, opts, rows);
  console.log("\n" + report);
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, "SOAK.md");
  writeFileSync(out, report);
  console.log(`Wrote ${relative(process.cwd(), out)}`);
  process.exit(rows.some((r) => r.error) ? 1 : 0);
}

try {
  await main();
} catch (error) {
  for (const pid of children.keys()) {
    try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
  }
  console.error(`soak: ${error.stack ?? error}`);
  process.exit(1);
}
