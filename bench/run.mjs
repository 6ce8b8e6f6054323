#!/usr/bin/env node
// `npm run bench`: measures our serve() against each runtime's native HTTP server with wrk, on
// 127.0.0.1 only, plus two extra comparisons: ours (on each runtime) against Python's Waitress,
// and ours serving a Hono app against @hono/node-server on Node, and a "raw socket ceiling" per
// runtime (a responder on the bare socket API that parses nothing). For every workload and round it
// starts each server (bench/apps/*.mjs, bench/apps/python_waitress.py) pinned to
// CPU 0, waits for its "READY <port>" line, checks one response, runs a warm-up and a measured
// `wrk` pinned to CPU 1 (then, with --h2load, a measured `h2load --h1`), reads the server's CPU
// time and the client core's busy time from /proc around each measured run, then stops the server
// by its pid. With --memory (implied by --workload all) it also measures memory (bench/memory_bench.mjs).
// Prints a Markdown report and writes bench/results/LATEST.md and bench/results/LATEST.svg.
// See bench/README.md. The workloads and servers are in bench/lib/config.mjs, the report in
// bench/lib/report.mjs, the /proc readings in bench/lib/proc.mjs.
//
// Usage: node bench/run.mjs [--duration 5] [--rounds 3] [--warmup 2] [--connections 50] [--quiet-wait 15]
//                           [--only node,deno,bun,python,hono,raw] [--workload hello|...|all]
//                           [--h2load] [--memory|--no-memory] [--python /usr/bin/python3]
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuild } from "./build.mjs";
import { ensureWaitress, ensureWrk, environment, pinning } from "./lib/environment.mjs";
import { DEFAULT_PYTHON, GROUPS, RAW_WORKLOADS, WORKLOADS, runtimesOf, selected, serversFor, usesRuntime } from "./lib/config.mjs";
import { H2LOAD_INSTALL, h2loadArgs, h2loadVersion, parseH2load } from "./lib/h2load.mjs";
import { allBusySeconds, coreBusy, coreTicks, cpuSeconds, otherProcesses, otherShare } from "./lib/proc.mjs";
import { int, markdown, ms, pct, summarise, svg, us } from "./lib/report.mjs";
import { MAX_CONNECTIONS, measureMemory } from "./memory_bench.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const apps = join(root, "bench", "apps");
const resultsDir = join(root, "bench", "results");
const bin = (name) => join(root, "node_modules", ".bin", name);

// ---------------------------------------------------------------------------------------------
// Options

function usage(code) {
  console.log(`Usage: npm run bench -- [options]

  --duration N      seconds per measured wrk run (default 5)
  --rounds N        measured runs per server; the report shows the median (default 3)
  --warmup N        seconds of warm-up before each measured run (default 2; 0 to skip)
  --connections N   wrk connections (default 50)
  --quiet-wait N    before each run, wait up to N seconds for other processes to go idle (default 15; 0 = don't)
  --only LIST       comma-separated: node,deno,bun (each runtime's native server and ours),
                    python (Python's Waitress, compared with ours on each runtime measured),
                    hono (a Hono app on @hono/node-server and on ours, Node),
                    raw (a responder on each runtime's bare socket API that parses nothing:
                    node:net, Deno.listen, Bun.listen; only for hello, pipelined, close);
                    default all six
  --workload LIST   comma-separated: ${Object.keys(WORKLOADS).join(", ")}, or all (default hello)
  --h2load          after each measured wrk run, run the same workload with \`h2load --h1\` (Debian's
                    nghttp2-client) against the same server and report both
  --memory          also measure memory (idle, idle keep-alive connections, an upload) of ours and
                    the native server on each runtime selected; implied by --workload all
  --no-memory       do not, even with --workload all
  --memory-mib N    size of the memory upload in MiB (default 200)
  --memory-connections N   idle keep-alive connections for the memory figures (default 1000, at most ${MAX_CONNECTIONS})
  --python PATH     the Python that has waitress (default ${DEFAULT_PYTHON}; Debian's python3-waitress)
  --help            this text`);
  process.exit(code);
}

function parseOptions(argv) {
  const opts = { duration: 5, rounds: 3, warmup: 2, connections: 50, quiet: 15, only: [...GROUPS], workloads: ["hello"], python: DEFAULT_PYTHON, skipped: [], h2load: false, memory: undefined, memoryMib: 200, memoryConnections: 1000 };
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
    const integer = (min) => {
      const raw = next();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min) fail(`${arg} ${JSON.stringify(raw)}: give an integer >= ${min}`);
      return n;
    };
    switch (arg) {
      case "--duration": opts.duration = integer(1); break;
      case "--rounds": opts.rounds = integer(1); break;
      case "--warmup": opts.warmup = integer(0); break;
      case "--connections": opts.connections = integer(1); break;
      case "--quiet-wait": opts.quiet = integer(0); break;
      case "--only": {
        const list = next().split(",").map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((r) => !GROUPS.includes(r));
        if (bad.length || !list.length) fail(`--only ${JSON.stringify(list.join(","))}: use a comma-separated subset of ${GROUPS.join(",")}`);
        opts.only = GROUPS.filter((r) => list.includes(r));
        break;
      }
      case "--python": opts.python = next(); break;
      case "--h2load": opts.h2load = true; break;
      case "--memory": opts.memory = true; break;
      case "--no-memory": opts.memory = false; break;
      case "--memory-mib": opts.memoryMib = integer(1); break;
      case "--memory-connections": {
        opts.memoryConnections = integer(1);
        if (opts.memoryConnections > MAX_CONNECTIONS) fail(`--memory-connections: at most ${MAX_CONNECTIONS}`);
        break;
      }
      case "--workload": case "--workloads": {
        const raw = next();
        const list = raw === "all" ? Object.keys(WORKLOADS) : raw.split(",").map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((w) => !(w in WORKLOADS));
        if (bad.length || !list.length) fail(`--workload ${JSON.stringify(raw)}: use ${Object.keys(WORKLOADS).join(", ")} or all`);
        opts.workloads = Object.keys(WORKLOADS).filter((w) => list.includes(w));
        opts.all = raw === "all";
        break;
      }
      case "--help": case "-h": usage(0); break;
      default: fail(`Unknown option ${JSON.stringify(argv[i])}`);
    }
  }
  opts.memory ??= Boolean(opts.all); // --workload all measures memory too, unless --no-memory
  return opts;
}

function fail(message) {
  console.error(`bench: ${message} (see --help)`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Running servers and wrk

/** Pids of the children running now (a server, wrk), stopped if the harness is interrupted. */
const children = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const pid of children) {
      try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
    console.error(`\nbench: interrupted by ${signal}; stopped ${children.size} child process${children.size === 1 ? "" : "es"}`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Waits (at most `limit` seconds) until the machine is quiet: other processes using less than a
 * fifth of a core over half a second. Resolves with the seconds waited, or -1 if it stayed busy.
 */
async function waitQuiet(limit) {
  const started = performance.now();
  while (true) {
    const before = allBusySeconds();
    if (before === undefined) return 0;
    await sleep(500);
    if (allBusySeconds() - before < 0.1) return (performance.now() - started) / 1000 - 0.5;
    if ((performance.now() - started) / 1000 >= limit) return -1;
  }
}

function serverCommand(server, workload, opts) {
  const script = join(apps, server.script);
  const args = ["--port", "0", "--workload", workload];
  switch (server.runtime) {
    case "node": return [process.execPath, [script, ...args]];
    case "deno": return [bin("deno"), ["run", "--quiet", "--no-lock", "--allow-net=127.0.0.1", script, ...args]];
    case "bun": return [bin("bun"), [script, ...args]];
    case "python": return [opts.python, ["-u", script, ...args]];
  }
  throw new Error(`no runtime ${server.runtime}`);
}

/** Starts a server as a child process and resolves once it printed "READY <port>" (or rejects). */
function startServer(server, workload, pin, opts) {
  const [cmd, args] = serverCommand(server, workload, opts);
  const argv = [...pin.server, cmd, ...args];
  // taskset execs the runtime, so child.pid is the server's own pid.
  const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const state = { child, pid: child.pid, stderr: "", partial: "", logLines: 0, messages: undefined, exit: undefined };
  if (child.pid !== undefined) children.add(child.pid);
  state.exited = new Promise((resolve) => child.on("exit", (code, signal) => {
    children.delete(child.pid);
    state.exit = signal ? `signal ${signal}` : `exit code ${code}`;
    resolve();
  }));
  // Keep draining both pipes for the whole run so a chatty server never blocks on a full pipe.
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text) => {
    state.stderr = (state.stderr + text).slice(-4000);
    const lines = (state.partial + text).split("\n");
    state.partial = lines.pop();
    state.logLines += lines.length;
    if (state.messages) for (const line of lines) countMessage(state.messages, line);
  });
  child.stdout.setEncoding("utf8");
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no "READY <port>" line within 20 s${state.stderr ? `; stderr: ${state.stderr.trim()}` : ""}`));
    }, 20_000);
    child.stdout.on("data", (text) => {
      if (state.port !== undefined) return;
      out += text;
      const m = /^READY (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        state.port = Number(m[1]);
        resolve(state);
      }
    });
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    state.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before READY (${state.exit})${state.stderr ? `; stderr: ${state.stderr.trim()}` : ""}`));
    });
  });
}

/**
 * Counts a server's stderr line by kind: lines that differ only in numbers (ports, addresses,
 * counts) are one kind, shown by its first instance.
 */
function countMessage(messages, line) {
  const text = line.trim();
  if (!text) return;
  const key = text.replace(/\d+/g, "#");
  const entry = messages.get(key) ?? (messages.size < 8 ? { text, count: 0 } : messages.get("(other)") ?? { text: "(other lines)", count: 0 });
  entry.count++;
  messages.set(messages.has(key) || messages.size < 8 ? key : "(other)", entry);
}

/** SIGTERM by pid, then SIGKILL after 3 s. */
async function stopServer(state) {
  if (state.exit !== undefined) return;
  try { process.kill(state.pid, "SIGTERM"); } catch { /* already gone */ }
  const timedOut = await Promise.race([state.exited.then(() => false), sleep(3000).then(() => true)]);
  if (timedOut && state.exit === undefined) {
    try { process.kill(state.pid, "SIGKILL"); } catch { /* already gone */ }
    await Promise.race([state.exited, sleep(2000)]);
  }
}

/** One request with Node's fetch: the server answers 200 with the expected body length. */
async function checkResponse(port, check) {
  const init = check.post ? { method: "POST", body: new Uint8Array(check.post).fill(0x78) } : {};
  const response = await fetch(`http://127.0.0.1:${port}/`, { ...init, signal: AbortSignal.timeout(5000) });
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`check request answered ${response.status}`);
  if (body.length !== check.bytes) throw new Error(`check request got ${body.length} body bytes, expected ${check.bytes}`);
}

/** The wrk command line (pinned) for a run of `seconds` against `port`. */
function wrkArgv(port, seconds, opts, workload, scripts, pin) {
  const args = ["-t1", `-c${opts.connections}`, `-d${seconds}s`, "--latency"];
  if (WORKLOADS[workload].wrkArgs) args.push(...WORKLOADS[workload].wrkArgs);
  if (scripts[workload]) args.push("-s", scripts[workload]);
  args.push(`http://127.0.0.1:${port}/`);
  return [...pin.client, "wrk", ...args];
}

/**
 * Runs a load generator (wrk or h2load); resolves with its output and its own CPU share. Killed by
 * pid if it runs longer than `limit` seconds.
 */
function runClient(argv, limit) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid !== undefined) children.add(child.pid);
    child.on("exit", () => children.delete(child.pid));
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (t) => { out += t; });
    child.stderr.on("data", (t) => { out += t; });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ }
    }, limit * 1000);
    // The client's own CPU time, sampled while it runs (its /proc entry is gone once it exits): a
    // client near 100% of its core means the client, not the server, set the pace.
    const started = performance.now();
    let clientCpu = NaN;
    const sampler = setInterval(() => {
      const cpu = cpuSeconds(child.pid);
      if (cpu !== undefined) clientCpu = cpu / ((performance.now() - started) / 1000);
    }, 100);
    const done = (result) => { clearTimeout(timer); clearInterval(sampler); resolve({ ...result, pid: child.pid, clientCpu, killed }); };
    child.on("close", (code) => done({ code, out }));
    child.on("error", (error) => done({ code: -1, out: String(error) }));
  });
}

/**
 * One measured client run against a running server: the server's CPU seconds (all threads) and the
 * client core's busy share are read right before and right after it, other processes' CPU around it.
 */
async function measuredRun(state, argv, limit, pin) {
  const others = otherProcesses([process.pid, state.pid]);
  const cpuBefore = cpuSeconds(state.pid);
  const coreBefore = coreTicks(pin.clientCore);
  const started = performance.now();
  const run = await runClient(argv, limit);
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(state.pid);
  const coreAfter = coreTicks(pin.clientCore);
  const othersAfter = otherProcesses([process.pid, state.pid, run.pid]);
  const serverCpu = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : NaN;
  // CPU other processes took meanwhile: on a busy machine the figures are skewed.
  return { ...run, elapsed, serverCpu, clientBusy: coreBusy(coreBefore, coreAfter), other: otherShare(others, othersAfter, elapsed) };
}

/** CPU microseconds per completed request (NaN when nothing completed). */
const perRequest = (seconds, requests) => (requests > 0 ? (seconds / requests) * 1e6 : NaN);

const UNIT = { us: 1e-3, ms: 1, s: 1000 };
const toMs = (value, unit) => Number(value) * (UNIT[unit] ?? NaN);

/** Requests/sec, latency p50/p99 (ms), request count, error counts from wrk's report. */
function parseWrk(out) {
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1] ?? NaN);
  const p = (q) => {
    const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    // wrk prints 0.00us for percentiles it has no sample for (pipelining): not a measurement.
    return m && Number(m[1]) > 0 ? toMs(m[1], m[2]) : NaN;
  };
  const requests = Number(/^\s*(\d+) requests in/m.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socket = sock ? { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] } : { connect: 0, read: 0, write: 0, timeout: 0 };
  return { rps, p50: p(50), p99: p(99), requests, non2xx, socket };
}

/** One round of one server: start, check, warm up, measure, stop. */
async function measure(server, workload, opts, scripts, pin) {
  const waited = opts.quiet > 0 ? await waitQuiet(opts.quiet) : 0;
  if (waited < 0) console.log(`  (the machine stayed busy for ${opts.quiet} s; measuring anyway)`);
  else if (waited >= 1) console.log(`  (waited ${waited.toFixed(0)} s for other work on the machine to finish)`);
  let state;
  try {
    state = await startServer(server, workload, pin, opts);
  } catch (error) {
    return { error: `start failed: ${error.message}` };
  }
  try {
    try {
      await checkResponse(state.port, WORKLOADS[workload].check);
    } catch (error) {
      return { error: `bad response: ${error.message}${state.stderr ? `; stderr: ${state.stderr.trim()}` : ""}` };
    }
    if (opts.warmup > 0) await runClient(wrkArgv(state.port, opts.warmup, opts, workload, scripts, pin), opts.warmup + 30);
    if (state.exit !== undefined) return { error: `died during warm-up (${state.exit}); stderr: ${state.stderr.trim()}` };
    const logBefore = state.logLines;
    state.messages = new Map();
    const wrk = await measuredRun(state, wrkArgv(state.port, opts.duration, opts, workload, scripts, pin), opts.duration + 30, pin);
    const result = parseWrk(wrk.out);
    result.cpu = wrk.serverCpu / wrk.elapsed;
    result.cpuUs = perRequest(wrk.serverCpu, result.requests);
    result.clientBusy = wrk.clientBusy;
    result.clientCpu = wrk.clientCpu;
    result.other = wrk.other;
    if (state.exit !== undefined) {
      result.error = `crashed during the run (${state.exit}); stderr: ${state.stderr.trim()}`;
    } else if (!Number.isFinite(result.rps)) {
      result.error = `could not read wrk's output (exit ${wrk.code}): ${wrk.out.trim().slice(0, 500)}`;
    } else if (!(result.requests > 0)) {
      result.error = `no response completed in ${opts.duration} s (the server stalled); wrk: ${wrk.out.trim().replace(/\s+/g, " ").slice(0, 500)}`;
      result.rps = NaN;
    }
    if (opts.h2load && !result.error) result.h2 = await h2loadRun(state, workload, opts, pin, result);
    result.logLines = state.logLines - logBefore;
    result.messages = state.messages;
    state.messages = undefined;
    return result;
  } finally {
    await stopServer(state);
  }
}

/**
 * The h2load run that follows wrk's in the same server process: the same workload and connections,
 * and as many requests as wrk completed, so that it lasts about as long.
 */
async function h2loadRun(state, workload, opts, pin, wrk) {
  const spec = WORKLOADS[workload].h2load;
  const args = h2loadArgs(spec, { port: state.port, connections: opts.connections, requests: wrk.requests, bodyFile: opts.bodyFile });
  const limit = opts.duration * 4 + 30; // a server 4× slower under h2load than under wrk still finishes
  const run = await measuredRun(state, [...pin.client, "h2load", ...args], limit, pin);
  const h = parseH2load(run.out);
  h.cpu = run.serverCpu / run.elapsed;
  h.cpuUs = perRequest(run.serverCpu, h.requests);
  h.clientBusy = run.clientBusy;
  h.clientCpu = run.clientCpu;
  const tail = () => run.out.trim().split("\n").slice(-6).join(" ").replace(/\s+/g, " ").slice(0, 500);
  if (state.exit !== undefined) h.error = `the server crashed during the h2load run (${state.exit}); stderr: ${state.stderr.trim()}`;
  else if (run.killed) h.error = `h2load did not finish within ${limit} s and was stopped: ${tail()}`;
  else if (!Number.isFinite(h.rps) || !(h.requests > 0)) h.error = `no completed request in h2load's output (exit ${run.code}): ${tail()}`;
  if (h.error) h.rps = NaN;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  ensureWrk();
  const pin = pinning();
  if (opts.only.includes("node") || opts.only.includes("hono")) ensureBuild(root, "bench", "pass --only deno,bun");
  for (const r of ["deno", "bun"]) {
    if (usesRuntime(opts, r) && !existsSync(bin(r))) fail(`${bin(r)} is missing: run \`npm ci\` (or pass --only without ${r}${opts.only.includes("raw") ? " and raw" : ""})`);
  }
  if (opts.only.includes("hono")) {
    for (const name of ["hono", "@hono/node-server"]) {
      if (!existsSync(join(root, "node_modules", name, "package.json"))) fail(`node_modules/${name} is missing: run \`npm ci\` (or pass --only without hono)`);
    }
  }
  if (opts.only.includes("python")) {
    opts.waitress = ensureWaitress(opts);
    if (!opts.waitress) opts.only = opts.only.filter((g) => g !== "python");
  }
  if (opts.h2load) {
    const version = h2loadVersion();
    if (version) opts.h2load = version;
    else {
      const note = `h2load skipped: it is not installed (Debian/Ubuntu: \`${H2LOAD_INSTALL}\`, the nghttp2-client package); measured with wrk alone.`;
      console.error(`bench: ${note}`);
      opts.skipped.push(note);
      opts.h2load = false;
    }
  }
  if (opts.memory && !runtimesOf(opts).length) {
    opts.skipped.push("Memory not measured: it compares ours with the native server of each runtime in --only (node, deno, bun), and none is selected.");
    opts.memory = false;
  }
  if (!opts.only.length) {
    console.error("bench: nothing left to measure");
    process.exit(1);
  }
  const runs = opts.workloads.reduce((sum, w) => sum + serversFor(opts, w).length, 0);
  if (runs === 0) fail(`nothing to measure: the raw servers only answer ${RAW_WORKLOADS.join(", ")} (add one to --workload, or another group to --only)`);
  const env = environment(opts, pin, root, fileURLToPath(import.meta.url));

  // wrk Lua scripts and h2load's request body live in a temporary folder for the run.
  const tmp = mkdtempSync(join(tmpdir(), "waitress-bench-"));
  const scripts = {};
  for (const w of opts.workloads) {
    if (!WORKLOADS[w].lua) continue;
    scripts[w] = join(tmp, `${w}.lua`);
    writeFileSync(scripts[w], WORKLOADS[w].lua);
  }
  const post = Math.max(0, ...opts.workloads.map((w) => WORKLOADS[w].h2load.post ?? 0));
  if (opts.h2load && post) {
    opts.bodyFile = join(tmp, "body.bin");
    writeFileSync(opts.bodyFile, new Uint8Array(post).fill(0x78)); // "x", as wrk's body
  }

  const perRun = opts.warmup + opts.duration + 1.5 + (opts.h2load ? opts.duration + 0.5 : 0);
  const total = runs * opts.rounds * perRun + (opts.memory ? runtimesOf(opts).length * 2 * 15 : 0);
  if (env.load > 0.5) console.log(`Note: the 1-minute load average is ${env.load.toFixed(2)}; other work on this machine will skew the figures (see "other processes" in the report).`);
  console.log(`Benchmarking ${selected(opts).length} servers × ${opts.workloads.length} workload(s) × ${opts.rounds} round(s)${runs < selected(opts).length * opts.workloads.length ? ` (${runs} server runs per round: the raw servers only run ${RAW_WORKLOADS.join(", ")})` : ""}${opts.h2load ? ", wrk then h2load" : ""}${opts.memory ? ", then memory" : ""}: about ${Math.ceil(total / 60)} min. ${pin.note}.`);

  const results = {};
  try {
    for (const w of opts.workloads) {
      const servers = serversFor(opts, w);
      const rounds = Object.fromEntries(servers.map((s) => [s.key, []]));
      // Rounds are interleaved across servers so slow drift (thermal, neighbours) hits all alike.
      for (let round = 1; round <= opts.rounds; round++) {
        for (const s of servers) {
          const r = await measure(s, w, opts, scripts, pin);
          rounds[s.key].push(r);
          console.log(`  ${w} round ${round}/${opts.rounds} ${s.runtime} ${s.label}: ${roundLine(r)}`);
        }
      }
      results[w] = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, summarise(v)]));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  let memory;
  if (opts.memory) {
    console.log(`Memory: ours and the native server on ${runtimesOf(opts).join(", ")} (idle, ${opts.memoryConnections} idle connections, a ${opts.memoryMib} MiB upload)`);
    const rows = await measureMemory({ runtimes: runtimesOf(opts), mib: opts.memoryMib, connections: opts.memoryConnections, log: console.log, children });
    memory = { rows, mib: opts.memoryMib, connections: opts.memoryConnections };
  }

  const report = markdown(env, opts, results, memory);
  console.log("\n" + report);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "LATEST.md"), report);
  writeFileSync(join(resultsDir, "LATEST.svg"), svg(env, opts, results));
  console.log(`Wrote ${relative(process.cwd(), join(resultsDir, "LATEST.md"))} and ${relative(process.cwd(), join(resultsDir, "LATEST.svg"))}`);
  const failed = opts.workloads.some((w) => Object.values(results[w]).some((s) => !Number.isFinite(s.rps))) || Boolean(memory?.rows.some((r) => r.error));
  process.exit(failed ? 1 : 0);
}

/** The progress line of one round: wrk's figures, then h2load's. */
function roundLine(r) {
  if (r.error) return `FAILED ${r.error.slice(0, 300)}`;
  const errs = (r.non2xx ?? 0) + Object.values(r.socket ?? {}).reduce((a, b) => a + b, 0);
  let line = `${int(r.rps)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, server CPU ${pct(r.cpu)}, ${us(r.cpuUs)} µs/req, client core ${pct(r.clientBusy)}${errs ? `, ${errs} errors` : ""}`;
  if (r.h2) line += r.h2.error ? `; h2load FAILED ${r.h2.error.slice(0, 200)}` : `; h2load ${int(r.h2.rps)} req/s, ${us(r.h2.cpuUs)} µs/req, client core ${pct(r.h2.clientBusy)}${r.h2.failed ? `, ${r.h2.failed} failed` : ""}`;
  return line;
}

await main();
