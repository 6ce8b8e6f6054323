#!/usr/bin/env node
// Workers benchmark: `waitress-serve --workers=2` against `--workers=1` (hello world, keep-alive)
// on Node (`node dist/cli.js`), Deno (`deno run -A cli.ts`; the supervisor adds --unstable-net for
// the workers' reusePort itself) and Bun (`bun cli.ts`), the CLI started as a child serving
// bench/apps/cli_hello.mjs with --threads=0 on 127.0.0.1 port 0. The server is NOT pinned: the
// workers need both cores, so on a 2-core machine wrk shares them with the server and the figures
// show what a second worker costs, not how workers scale (bench/README.md gives the argument).
// CPU µs/req sums the supervisor and all its descendants (each process with all its threads, read
// from /proc/PID/stat and /proc/PID/task/*/children) over the requests wrk counted. The CLI is
// stopped by its pid (SIGTERM: it drains and stops its workers; SIGKILL after 5 s).
// Prints a Markdown report; exits 1 if a server failed.
//
// Usage: node bench/workers_bench.mjs [--duration 3] [--warmup 1] [--connections 50] [--wrk-threads 2]
//                                     [--only node,deno,bun] [--workers 1,2]
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { allBusySeconds } from "./lib/proc.mjs";
import { firstLine, int, processTree, ratio, runWrk, sleep, startServer, stopServer, treeCpu, treeDelta, us } from "./lib/spawn_wrk.mjs";
import { option } from "./lib/options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const app = join(root, "bench", "apps", "cli_hello.mjs");
const bin = (name) => join(root, "node_modules", ".bin", name);

const args = process.argv.slice(2);
const opt = (name, fallback) => option(args, name, fallback);
const duration = Number(opt("duration", 3));
const warmup = Number(opt("warmup", 1));
const connections = Number(opt("connections", 50));
const wrkThreads = Number(opt("wrk-threads", 2));
const only = opt("only", "node,deno,bun").split(",");
const workerCounts = opt("workers", "1,2").split(",").map(Number);
if (![duration, connections, wrkThreads, ...workerCounts].every((n) => Number.isInteger(n) && n > 0) || !Number.isInteger(warmup) || warmup < 0) {
  console.error("workers_bench: --duration, --connections, --wrk-threads, --workers: whole numbers > 0; --warmup >= 0");
  process.exit(2);
}
if (only.some((r) => !["node", "deno", "bun"].includes(r))) { console.error("workers_bench: --only from node,deno,bun"); process.exit(2); }
if (spawnSync("wrk", ["-v"]).error !== undefined) { console.error("workers_bench: wrk is not installed"); process.exit(1); }
if (only.includes("node") && !existsSync(join(root, "dist", "cli.js"))) { console.error("workers_bench: dist/ is missing: run `npm run build`"); process.exit(1); }

const command = (runtime, workers) => {
  const cliArgs = ["--listen=127.0.0.1:0", `--workers=${workers}`, "--threads=0", app];
  if (runtime === "node") return [process.execPath, [join(root, "dist", "cli.js"), ...cliArgs]];
  if (runtime === "deno") return [bin("deno"), ["run", "-A", "--quiet", "--no-lock", join(root, "cli.ts"), ...cliArgs]];
  return [bin("bun"), [join(root, "cli.ts"), ...cliArgs]];
};
// One worker: its "Serving on" line. Several: every worker's, then the supervisor's "N workers ready".
const readyLine = (workers) => workers === 1
  ? /Serving on http:\/\/127\.0\.0\.1:(\d+)/
  : new RegExp(`Serving on http://127\\.0\\.0\\.1:(\\d+)[\\s\\S]*${workers} workers ready`);

const rows = [];
let failed = 0;
for (const runtime of only) {
  const results = {};
  for (const workers of workerCounts) {
    const [cmd, cmdArgs] = command(runtime, workers);
    let s;
    try {
      s = await startServer(cmd, cmdArgs, { cwd: root, ready: readyLine(workers), ms: 60000 });
      const url = `http://127.0.0.1:${s.port}/`;
      if (warmup > 0) await runWrk([], url, { duration: warmup, connections, threads: wrkThreads });
      const processes = processTree(s.child.pid).length;
      const before = treeCpu(s.child.pid);
      const busy0 = allBusySeconds();
      const t0 = performance.now();
      const w = await runWrk([], url, { duration, connections, threads: wrkThreads });
      const elapsed = (performance.now() - t0) / 1000;
      const busy1 = allBusySeconds();
      const after = treeCpu(s.child.pid);
      if (s.child.exitCode !== null) throw new Error(`exited during the run:\n${s.output()}`);
      const serverCpu = treeDelta(before, after);
      results[workers] = { rps: w.rps, cpu: (serverCpu / w.requests) * 1e6, cores: serverCpu / elapsed, machine: (busy1 - busy0) / elapsed, processes, errors: w.errors };
    } catch (error) {
      failed++;
      console.error(`workers_bench: ${runtime} --workers=${workers} failed: ${error.message}`);
      results[workers] = { rps: NaN, cpu: NaN, cores: NaN, machine: NaN, processes: NaN, errors: NaN };
    } finally {
      if (s) await stopServer(s.child);
    }
    await sleep(500);
  }
  rows.push({ runtime, results });
}

let model = "unknown";
try { model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? model; } catch { /* not Linux */ }
const quoted = args.map((a) => (/^[\w./,=:-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
const [one, many] = [workerCounts[0], workerCounts[workerCounts.length - 1]];
const out = [];
out.push(`## Workers: waitress-serve --workers=${many} against --workers=${one}`, "");
out.push(`- command: \`node bench/workers_bench.mjs${quoted ? ` ${quoted}` : ""}\``);
out.push(`- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; ${cpus().length} × ${model}; ${process.platform} ${release()}`);
out.push(`- versions: node ${process.version}${only.includes("deno") ? `, ${firstLine(bin("deno"), ["--version"])}` : ""}${only.includes("bun") ? `, bun ${firstLine(bin("bun"), ["--version"])}` : ""}, wrk ${firstLine("wrk", ["-v"]).replace(/\s*Copyright.*$/, "").replace(/^wrk\s+/, "")}`);
out.push(`- hello world, keep-alive, ${duration} s measured after ${warmup} s warm-up, 1 round, wrk -t${wrkThreads} -c${connections}; CLI with --threads=0; NOT pinned: wrk shares the ${cpus().length} cores with the server`);
out.push("- server CPU = the supervisor and all its descendants (every thread); processes = that tree's size during the run");
out.push("");
out.push("| runtime | workers | processes | req/s | server CPU µs/req | server cores busy | machine cores busy | wrk errors |");
out.push("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  for (const n of workerCounts) {
    const x = r.results[n];
    out.push(`| ${r.runtime} | ${n} | ${Number.isFinite(x.processes) ? x.processes : "—"} | ${int(x.rps)} | ${us(x.cpu)} | ${Number.isFinite(x.cores) ? x.cores.toFixed(2) : "—"} | ${Number.isFinite(x.machine) ? x.machine.toFixed(2) : "—"} | ${Number.isFinite(x.errors) ? x.errors : "—"} |`);
  }
}
if (workerCounts.length > 1) {
  out.push("", `| runtime | req/s ${many}/${one} | CPU µs/req ${many}/${one} |`, "|---|---:|---:|");
  for (const r of rows) out.push(`| ${r.runtime} | ${ratio(r.results[many].rps, r.results[one].rps)} | ${ratio(r.results[many].cpu, r.results[one].cpu)} |`);
}
out.push("", `On ${cpus().length} cores shared with wrk this measures the cost of the extra worker(s), not the scaling: see bench/README.md.`);
console.log(out.join("\n"));
process.exit(failed ? 1 : 0);
