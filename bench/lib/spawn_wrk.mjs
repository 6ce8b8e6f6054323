// Shared by bench/tls_bench.mjs and bench/workers_bench.mjs: start a server as a child and wait for
// a line on its output, stop it by its pid (SIGTERM, then SIGKILL after 5 s), run wrk and parse it,
// and the CPU seconds of a process tree (the process, its threads and its children's) from /proc.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { cpuSeconds } from "./proc.mjs";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pids of the children running now, killed if the harness is interrupted. */
export const children = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const pid of children) {
      try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
    process.exit(130);
  });
}

/**
 * Starts `cmd args` (cwd `cwd`) and resolves { child, port } once its output matches `ready`
 * (group 1 is the port); rejects with its output when it exits first or after `ms`.
 */
export function startServer(cmd, args, { cwd, ready = /READY (\d+)/, ms = 30000 } = {}) {
  const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  children.add(child.pid);
  child.on("exit", () => children.delete(child.pid));
  let out = "";
  const add = (t) => { out = (out + t).slice(-4000); };
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stopServer(child); reject(new Error(`no ready line within ${ms / 1000} s:\n${out}`)); }, ms);
    const check = (t) => {
      add(t);
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeAllListeners("data");
        child.stderr.removeAllListeners("data");
        child.stdout.resume();
        child.stderr.on("data", add);
        resolve({ child, port: Number(m[1]), output: () => out });
      }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    child.on("exit", (code, signal) => { clearTimeout(timer); reject(new Error(`exited (${code ?? signal}) before ready:\n${out}`)); });
  });
}

/** SIGTERM to the child's pid, SIGKILL 5 s later if it is still running; resolves once it exited. */
export async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try { process.kill(child.pid, "SIGTERM"); } catch { return; }
  if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return;
  try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ }
  await exited;
}

/** Pids of `pid` and all its descendants, from /proc/PID/task/TID/children. */
export function processTree(pid) {
  const seen = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    seen.push(p);
    let tids = [];
    try { tids = readdirSync(`/proc/${p}/task`); } catch { /* gone */ }
    for (const tid of tids) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${tid}/children`, "utf8").split(/\s+/).filter(Boolean)) queue.push(Number(c));
      } catch { /* gone */ }
    }
  }
  return seen;
}

/** CPU seconds (all threads) of each pid of a tree, by pid. */
export function treeCpu(pid) {
  const times = new Map();
  for (const p of processTree(pid)) {
    const t = cpuSeconds(p);
    if (t !== undefined) times.set(p, t);
  }
  return times;
}

/** CPU seconds the tree used between two treeCpu readings (a process that appeared counts in full). */
export function treeDelta(before, after) {
  let sum = 0;
  for (const [p, t] of after) sum += Math.max(0, t - (before.get(p) ?? 0));
  return sum;
}

/** Runs wrk (with `prefix`, e.g. taskset) and returns { requests, rps, errors, raw } or throws. */
export function runWrk(prefix, url, { duration, connections, threads = 1 }) {
  const argv = [...prefix, "wrk", `-t${threads}`, `-c${connections}`, `-d${duration}s`, "--timeout", "10s", url];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child.pid);
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (t) => (out += t));
    child.stderr.on("data", (t) => (out += t));
    child.on("exit", (code) => {
      children.delete(child.pid);
      const m = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk failed (${code}):\n${out}`));
      const requests = Number(m[1]);
      const seconds = Number(m[2]) / (m[3] === "ms" ? 1000 : 1);
      const errLine = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const errors = non2xx + (errLine ? errLine.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
      resolve({ requests, rps: requests / seconds, errors, raw: out });
    });
  });
}

export function firstLine(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: "utf8" });
  if (r.error) return "not found";
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0];
}

export const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");
export const us = (n) => (Number.isFinite(n) ? n.toFixed(n < 100 ? 1 : 0) : "—");
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : "—");
