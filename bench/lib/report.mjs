// The report of `npm run bench` (bench/run.mjs): the medians of the rounds, the Markdown tables
// (bench/results/LATEST.md and the console) and the bar chart (bench/results/LATEST.svg).
import { memoryTable } from "../memory_bench.mjs";
import { CLIENT_BUSY_LIMIT, RAW_WORKLOADS, RUNTIMES, SERVER, TARGETS, WORKLOADS, runtimesOf, selected, serversFor } from "./config.mjs";

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");
const kilo = (n) => (Number.isFinite(n) ? (n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n)}`) : "—");
export const ms = (n) => (Number.isFinite(n) ? (n < 1 ? `${n.toFixed(2)} ms` : n < 100 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`) : "—");
export const pct = (n) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : "—");
/** CPU microseconds, three significant digits at most. */
export const us = (n) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : String(Math.round(n))) : "—");
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const runtimeLabel = (env, runtime) => {
  const v = env.versions[runtime] ?? "";
  if (runtime === "node") return `Node ${v.replace(/^v/, "")}`;
  if (runtime === "deno") return `Deno ${/deno ([\d.]+)/.exec(v)?.[1] ?? v}`;
  if (runtime === "python") return `Python ${v}`;
  return `Bun ${v}`;
};
const bold = (text) => (text === "—" ? text : `**${text}**`);
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "—");
/** The client core was over the limit: that run's req/s is a lower bound. */
const flagged = (s) => Number.isFinite(s?.clientBusy) && s.clientBusy > CLIENT_BUSY_LIMIT;
const busyCell = (s) => (flagged(s) ? `**${pct(s.clientBusy)}** †` : pct(s?.clientBusy));
/** Views of one server's summary: the wrk figures, or h2load's. */
const VIEWS = { wrk: (s) => s, h2load: (s) => s?.h2 };
/** req/s of a server divided by its `ratioTo` server's (NaN when either failed). */
const rpsRatio = (server, w, results, view = VIEWS.wrk) => (server.ratioTo && results[w][server.ratioTo] ? ratio(view(results[w][server.key])?.rps, view(results[w][server.ratioTo])?.rps) : NaN);
/** CPU per request of the `ratioTo` server divided by this one's: above 1×, this one is cheaper. */
const cpuRatio = (server, w, results, view = VIEWS.wrk) => (server.ratioTo && results[w][server.ratioTo] ? ratio(view(results[w][server.ratioTo])?.cpuUs, view(results[w][server.key])?.cpuUs) : NaN);

/** Median of the rounds plus the error totals, per server (and the same for h2load's runs). */
export function summarise(rounds) {
  const ok = rounds.filter((r) => Number.isFinite(r.rps));
  const errors = rounds.reduce((sum, r) => sum + (r.non2xx ?? 0) + Object.values(r.socket ?? {}).reduce((a, b) => a + b, 0), 0);
  const messages = new Map();
  for (const r of rounds) {
    for (const [key, { text, count }] of r.messages ?? []) {
      const entry = messages.get(key) ?? { text, count: 0 };
      entry.count += count;
      messages.set(key, entry);
    }
  }
  const h2 = rounds.map((r) => r.h2).filter(Boolean);
  const h2ok = h2.filter((r) => Number.isFinite(r.rps));
  return {
    rps: median(ok.map((r) => r.rps)),
    each: rounds.map((r) => r.rps),
    p50: median(ok.map((r) => r.p50)),
    p99: median(ok.map((r) => r.p99)),
    cpu: median(ok.map((r) => r.cpu)),
    cpuUs: median(ok.map((r) => r.cpuUs)),
    clientBusy: median(ok.map((r) => r.clientBusy)),
    clientCpu: median(ok.map((r) => r.clientCpu)),
    other: median(ok.map((r) => r.other)),
    non2xx: rounds.reduce((s, r) => s + (r.non2xx ?? 0), 0),
    socket: rounds.reduce((s, r) => {
      for (const k of ["connect", "read", "write", "timeout"]) s[k] += r.socket?.[k] ?? 0;
      return s;
    }, { connect: 0, read: 0, write: 0, timeout: 0 }),
    errors,
    notes: [...new Set(rounds.map((r) => r.error).filter(Boolean))],
    logs: rounds.reduce((sum, r) => sum + (r.logLines ?? 0), 0),
    messages: [...messages.values()].sort((a, b) => b.count - a.count),
    h2: h2.length ? {
      rps: median(h2ok.map((r) => r.rps)),
      each: h2.map((r) => r.rps),
      mean: median(h2ok.map((r) => r.mean)),
      cpu: median(h2ok.map((r) => r.cpu)),
      cpuUs: median(h2ok.map((r) => r.cpuUs)),
      clientBusy: median(h2ok.map((r) => r.clientBusy)),
      clientCpu: median(h2ok.map((r) => r.clientCpu)),
      failed: h2.reduce((s, r) => s + (r.failed ?? 0), 0),
      notes: [...new Set(h2.map((r) => r.error).filter(Boolean))],
    } : undefined,
  };
}

function errorCell(s) {
  const parts = [];
  if (s.non2xx) parts.push(`${s.non2xx} non-2xx`);
  for (const k of ["connect", "read", "write", "timeout"]) if (s.socket[k]) parts.push(`${s.socket[k]} ${k}`);
  if (s.notes.length) parts.push(`${s.notes.length} failed round${s.notes.length === 1 ? "" : "s"}`);
  return parts.length ? parts.join(", ") : "0";
}

/** The rows of the extra-comparisons summary: ours / Waitress per runtime, ours+Hono / @hono/node-server. */
function extraComparisons(env, opts, results) {
  const rows = [];
  const row = (w, what, ours, ref, target) => ({ w, what, ours: ours?.rps ?? NaN, ref: ref?.rps ?? NaN, x: ratio(ours?.rps, ref?.rps), oursUs: ours?.cpuUs ?? NaN, refUs: ref?.cpuUs ?? NaN, target });
  for (const w of opts.workloads) {
    if (results[w]["python-waitress"]) {
      const ref = results[w]["python-waitress"];
      const target = TARGETS.python.workloads.includes(w) ? TARGETS.python.ratio : undefined;
      for (const r of runtimesOf(opts)) rows.push(row(w, `ours on ${runtimeLabel(env, r)} / Python Waitress ${env.versions.waitress ?? ""}`.trim(), results[w][`${r}-ours`], ref, target));
      if (!runtimesOf(opts).length) rows.push(row(w, "ours / Python Waitress (no runtime in --only: add node, deno or bun)", undefined, ref, target));
    } else if (opts.waitressSkipped && TARGETS.python.workloads.includes(w)) {
      rows.push(row(w, "ours / Python Waitress (skipped: waitress is not installed, see above)", undefined, undefined, TARGETS.python.ratio));
    }
    if (results[w]["node-ours-hono"]) {
      rows.push(row(w, `ours + Hono / @hono/node-server + Hono (${runtimeLabel(env, "node")})`, results[w]["node-ours-hono"], results[w]["node-hono"], TARGETS.hono.ratio));
    }
  }
  return rows;
}

/** The rows of the raw-ceiling summary: per workload and runtime, the raw, native and ours figures. */
function rawCeilings(opts, results) {
  const rows = [];
  for (const w of opts.workloads) {
    for (const runtime of RUNTIMES) {
      const raw = results[w][`${runtime}-raw`];
      if (raw) rows.push({ w, runtime, raw, native: results[w][`${runtime}-native`], ours: results[w][`${runtime}-ours`] });
    }
  }
  return rows;
}

/** One row of a per-workload wrk table. */
function serverRow(env, server, s, x, cpuX) {
  return `| ${runtimeLabel(env, server.runtime)} | ${server.label} | ${int(s.rps)} | ${s.each.map(kilo).join(" / ")} | ${ms(s.p50)} | ${ms(s.p99)} | ${us(s.cpuUs)} | ${pct(s.cpu)} | ${busyCell(s)} | ${pct(s.clientCpu)} | ${pct(s.other)} | ${errorCell(s)} | ${x} | ${cpuX} |`;
}

/** One row of a per-workload h2load table. */
function h2Row(env, server, s, w, results) {
  const h = s.h2;
  const cell = (x) => (Number.isFinite(x) ? `**${x.toFixed(2)}×**` : "");
  const failed = `${h.failed}${h.notes.length ? `, ${h.notes.length} failed round${h.notes.length === 1 ? "" : "s"}` : ""}`;
  return `| ${runtimeLabel(env, server.runtime)} | ${server.label} | ${int(h.rps)} | ${h.each.map(kilo).join(" / ")} | ${times(ratio(h.rps, s.rps))} | ${ms(h.mean)} | ${us(h.cpuUs)} | ${pct(h.cpu)} | ${busyCell(h)} | ${pct(h.clientCpu)} | ${failed} | ${cell(rpsRatio(server, w, results, VIEWS.h2load))} | ${cell(cpuRatio(server, w, results, VIEWS.h2load))} |`;
}

/** The compact ours/native tables (req/s and CPU per request) of one load generator. */
function summaryTables(env, opts, results, runtimes, view, client) {
  const lines = [];
  const head = `| workload | ${runtimes.map((r) => runtimeLabel(env, r)).join(" | ")} |`;
  const rule = `|---|${runtimes.map(() => "---:").join("|")}|`;
  lines.push(`## ours / native, requests per second (${client})`, "", head, rule);
  let anyFlag = false;
  for (const w of opts.workloads) {
    lines.push(`| ${w} | ${runtimes.map((r) => {
      const ours = view(results[w][`${r}-ours`]), native = view(results[w][`${r}-native`]);
      const flag = flagged(ours) || flagged(native);
      anyFlag ||= flag;
      return `${times(ratio(ours?.rps, native?.rps))}${flag ? " †" : ""}`;
    }).join(" | ")} |`);
  }
  if (anyFlag) lines.push("", `†: the client's core was over ${pct(CLIENT_BUSY_LIMIT)} busy in the run of ours or of the native server: that req/s is a lower bound (the client set the pace), so the ratio can be off either way; the CPU per request below is not affected.`);
  lines.push("", `## CPU per request, native ÷ ours (${client}; above 1×, ours costs less CPU per request)`, "", head, rule);
  for (const w of opts.workloads) {
    lines.push(`| ${w} | ${runtimes.map((r) => {
      const ours = view(results[w][`${r}-ours`]), native = view(results[w][`${r}-native`]);
      const x = ratio(native?.cpuUs, ours?.cpuUs);
      return Number.isFinite(x) ? `**${times(x)}** (ours ${us(ours.cpuUs)} µs, native ${us(native.cpuUs)} µs)` : "—";
    }).join(" | ")} |`);
  }
  lines.push("");
  return lines;
}

/** The whole Markdown report; `memory` is `{ rows, mib, connections }` when memory was measured. */
export function markdown(env, opts, results, memory) {
  const runtimes = runtimesOf(opts);
  const extras = selected(opts).some((s) => s.group === "python" || s.group === "hono");
  const raw = opts.only.includes("raw") && opts.workloads.some((w) => RAW_WORKLOADS.includes(w));
  const also = [extras && "the extra comparisons", raw && "the raw socket ceiling"].filter(Boolean);
  const lines = [];
  lines.push(`# Benchmark: ours vs the native servers${also.length ? ` (and ${also.join(" and ")})` : ""}`, "");
  lines.push(`- Command: \`${env.command}\``);
  lines.push(`- Date: ${env.date}`);
  lines.push(`- Machine: ${env.cores} cores, ${env.model}, ${env.kernel}; load average ${env.load.toFixed(2)} at the start`);
  lines.push(`- Versions: ${Object.entries(env.versions).map(([k, v]) => `${k} \`${v}\``).join(", ")}`);
  const runs = ["-t1", `-c${opts.connections}`, `-d${opts.duration}s`, "--latency"].join(" ");
  lines.push(`- Method: \`wrk ${runs} http://127.0.0.1:PORT/\`; ${env.pin}; ${opts.warmup ? `${opts.warmup} s warm-up before each measured run` : "no warm-up"}; ${opts.rounds} round${opts.rounds === 1 ? "" : "s"} per server, interleaved, server restarted each round; the median is shown.`);
  if (opts.h2load) lines.push(`- Cross-check: after wrk, in the same server process, \`h2load --h1 -t1 -c${opts.connections} -n N\` (${env.versions.h2load ?? "h2load"}) sends the same workload, pinned like wrk, N being the number of requests wrk completed (so it runs about as long; see "Cross-check with h2load" under each workload).`);
  lines.push(`- CPU per request: the server process's user + system time, all threads, from /proc/PID/stat and /proc/PID/task/*/stat, read just before and just after the measured run, divided by the responses the client completed.`);
  for (const note of opts.skipped) lines.push(`- **${note}**`);
  lines.push("");

  if (runtimes.length) {
    lines.push(...summaryTables(env, opts, results, runtimes, VIEWS.wrk, "wrk"));
    if (opts.h2load) lines.push(...summaryTables(env, opts, results, runtimes, VIEWS.h2load, "h2load"));
  }

  const rows = extraComparisons(env, opts, results);
  if (rows.length) {
    lines.push("## Extra comparisons", "");
    lines.push("| workload | comparison | ours req/s | reference req/s | ratio | target | met | ours CPU µs/req | reference CPU µs/req | CPU reference ÷ ours |");
    lines.push("|---|---|---:|---:|---:|---:|---|---:|---:|---:|");
    for (const row of rows) {
      const met = row.target === undefined ? "" : !Number.isFinite(row.x) ? "not measured" : row.x >= row.target ? "yes" : "**no**";
      lines.push(`| ${row.w} | ${row.what} | ${int(row.ours)} | ${int(row.ref)} | **${times(row.x)}** | ${row.target === undefined ? "—" : `≥ ${row.target}×`} | ${met} | ${us(row.oursUs)} | ${us(row.refUs)} | ${times(ratio(row.refUs, row.oursUs))} |`);
    }
    const judged = rows.filter((row) => row.target !== undefined);
    if (judged.length) {
      const met = judged.filter((row) => Number.isFinite(row.x) && row.x >= row.target).length;
      lines.push("", `Targets met: ${met} of ${judged.length}. Targets (the performance issue): ours ≥ ${TARGETS.python.ratio}× Python's Waitress on every runtime for ${TARGETS.python.workloads.join(", ")} (other workloads against Waitress are shown without a target), and ours + Hono ≥ ${TARGETS.hono.ratio}× @hono/node-server + Hono on Node on every workload, in requests per second.`);
    }
    if (opts.only.includes("python") && results[opts.workloads[0]]?.["python-waitress"]) {
      lines.push("", `Python Waitress: \`${opts.python}\`, \`waitress.create_server(app, host="127.0.0.1", port=0, threads=4)\` with a plain WSGI app (bench/apps/python_waitress.py), pinned to the same single CPU as every server, so its 4 threads share one core (and the GIL).`);
    }
    lines.push("");
  }

  // The raw socket ceiling: how close ours (and the native server) come to a responder on the
  // same socket API that parses nothing; its CPU per request is the floor of that runtime.
  const ceilings = rawCeilings(opts, results);
  if (ceilings.length) {
    lines.push("## Raw socket ceiling and CPU floor", "");
    lines.push("| workload | runtime | raw server | raw req/s | native req/s | ours req/s | ours / raw | native / raw | raw CPU µs/req (floor) | native µs/req | ours µs/req | ours CPU ÷ raw CPU |");
    lines.push("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const { w, runtime, raw, native, ours } of ceilings) {
      lines.push(`| ${w} | ${runtimeLabel(env, runtime)} | ${SERVER[`${runtime}-raw`].label} | ${int(raw.rps)} | ${int(native?.rps)} | ${int(ours?.rps)} | ${bold(times(ratio(ours?.rps, raw.rps)))} | ${times(ratio(native?.rps, raw.rps))} | ${us(raw.cpuUs)} | ${us(native?.cpuUs)} | ${us(ours?.cpuUs)} | ${bold(times(ratio(ours?.cpuUs, raw.cpuUs)))} |`);
    }
    const skipped = opts.workloads.filter((w) => !RAW_WORKLOADS.includes(w));
    lines.push("", `Raw: a responder written directly on the runtime's socket API (bench/apps/raw_*.mjs) that parses nothing: it counts the "\\r\\n\\r\\n" in each chunk and writes as many copies of one pre-encoded hello response in one write (closing after it when the chunk says \`connection: close\`). No parsing, no validation, no limits, no Fetch objects: the most any server on that socket API could do on this machine, not a competitor. ours / raw is the share of that ceiling ours reaches; native / raw is the same for the runtime's own server (it can exceed 1×: the native servers do not go through the JavaScript socket API). The raw responder's CPU per request is the floor of the runtime's socket API: ours CPU ÷ raw CPU is how far above it ours is (the performance issue asks for at most 1.10×). Look at the raw row's server CPU in the workload's table: well below 100% (e.g. with \`Connection: close\`), the limit was wrk or the kernel, not the server, so the req/s ratios then say less (the CPU per request still holds). "—": not measured (add the runtime to --only).${skipped.length ? ` The raw servers answer only ${RAW_WORKLOADS.join(", ")}: not run for ${skipped.join(", ")}.` : ""}`);
    lines.push("");
  }

  for (const w of opts.workloads) lines.push(...workloadSection(env, opts, results, w));

  if (memory) {
    lines.push(`## Memory: idle, ${memory.connections} idle keep-alive connections, a ${memory.mib} MiB upload`, "");
    lines.push(...memoryTable(memory.rows, memory), "");
  }
  lines.push(`req/s: wrk's Requests/sec, median of the rounds (each round listed). p50/p99: wrk latency percentiles, median of the rounds. CPU µs/req: the server's user + system CPU time (all its threads) during the measured run divided by the responses completed in it, median of the rounds: what one request costs the server, whatever the client could send. Server CPU: the same CPU time divided by the run's wall time (100% = one core saturated; below that the client, the kernel or other load is the limit). Client core: how busy the core the client is pinned to was during the run (from its line in /proc/stat: user, system, irq, softirq and steal, so the kernel's loopback work there counts); † marks runs above ${pct(CLIENT_BUSY_LIMIT)}: the client set the pace, req/s is a lower bound. wrk CPU: the load generator's own user+system CPU time over the run. Other processes: CPU time used by every other user-space process on the machine during the measured run (100% = one core), median of the rounds; anything well above 0% means the machine was busy and the figures are less reliable. Errors: wrk's non-2xx responses and socket errors summed over the measured rounds. native ÷ ours CPU: above 1×, ours costs less CPU per request.`);
  return lines.join("\n") + "\n";
}

/** One workload's tables: wrk (main servers, then the extra comparisons), then h2load. */
function workloadSection(env, opts, results, w) {
  const lines = [`## ${w}: ${WORKLOADS[w].title}`, ""];
  const servers = serversFor(opts, w);
  const main = servers.filter((s) => RUNTIMES.includes(s.group) || s.group === "raw");
  const extra = servers.filter((s) => !RUNTIMES.includes(s.group) && s.group !== "raw");
  const ratioCell = (x) => (Number.isFinite(x) ? `**${x.toFixed(2)}×**` : "");
  const head = (last) => [
    `| runtime | server | req/s (median) | rounds | p50 | p99 | CPU µs/req | server CPU | client core | wrk CPU | other processes | errors | ${last} | CPU native ÷ ours |`,
    "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
  ];
  if (!servers.length) lines.push(`Nothing measured: the servers selected (--only ${opts.only.join(",")}) do not run this workload (the raw servers answer only ${RAW_WORKLOADS.join(", ")}).`);
  if (main.length) {
    lines.push(...head("ours/native"));
    for (const server of main) lines.push(serverRow(env, server, results[w][server.key], ratioCell(rpsRatio(server, w, results)), ratioCell(cpuRatio(server, w, results))));
    if (main.some((s) => s.group === "raw")) lines.push("", "The raw rows (no parsing, a ceiling; see \"Raw socket ceiling\") are for reference: the ours/native ratios do not use them.");
  }
  if (extra.length) {
    if (main.length) lines.push("", "Extra comparisons:", "");
    lines.push(...head("ratio"));
    for (const server of extra) {
      let cell = "", cpuCell = "";
      if (server.key === "python-waitress") {
        cell = runtimesOf(opts).map((r) => `ours on ${runtimeLabel(env, r).split(" ")[0]} ${times(ratio(results[w][`${r}-ours`].rps, results[w][server.key].rps))}`).join(", ");
        cpuCell = runtimesOf(opts).map((r) => `ours on ${runtimeLabel(env, r).split(" ")[0]} ${times(ratio(results[w][server.key].cpuUs, results[w][`${r}-ours`].cpuUs))}`).join(", ");
      } else if (server.ratioTo) {
        const x = rpsRatio(server, w, results), c = cpuRatio(server, w, results);
        cell = Number.isFinite(x) ? `**${x.toFixed(2)}×** vs ${SERVER[server.ratioTo].label}` : "";
        cpuCell = ratioCell(c);
      }
      lines.push(serverRow(env, server, results[w][server.key], cell, cpuCell));
    }
  }
  const h2 = servers.filter((s) => results[w][s.key].h2);
  if (h2.length) {
    lines.push("", "Cross-check with h2load (same server process, right after wrk):", "");
    lines.push("| runtime | server | h2load req/s | rounds | h2load ÷ wrk | mean time per request | CPU µs/req | server CPU | client core | h2load CPU | failed | ours/native | CPU native ÷ ours |");
    lines.push("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    for (const server of h2) lines.push(h2Row(env, server, results[w][server.key], w, results));
  }
  const notes = [];
  for (const server of servers) {
    const s = results[w][server.key];
    for (const n of s.notes) notes.push(`- ${runtimeLabel(env, server.runtime)} ${server.label}: ${n.replace(/\s+/g, " ").slice(0, 600)}`);
    for (const n of s.h2?.notes ?? []) notes.push(`- ${runtimeLabel(env, server.runtime)} ${server.label}, h2load: ${n.replace(/\s+/g, " ").slice(0, 600)}`);
    if (s.logs) {
      const kinds = s.messages.slice(0, 3).map((m) => `${m.count}× \`${m.text.replace(/`/g, "'").slice(0, 160)}\``).join("; ");
      notes.push(`- ${runtimeLabel(env, server.runtime)} ${server.label}: ${s.logs} stderr line${s.logs === 1 ? "" : "s"} during the measured runs: ${kinds}${s.messages.length > 3 ? "; …" : ""}`);
    }
  }
  if (w === "pipelined") notes.push(`- wrk measures latency per pipelined batch, not per request, and leaves most percentiles empty (—): compare requests/s only.${h2.length ? " h2load keeps 16 requests in flight per connection (`-m 16`) instead of writing batches of 16." : ""}`);
  if (notes.length) lines.push("", ...notes);
  lines.push("");
  return lines;
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A horizontal bar chart, one panel per workload with its own scale. Plain SVG, no dependencies. */
export function svg(env, opts, results) {
  const width = 820, labelW = 250, valueW = 190, barW = width - labelW - valueW - 20, barH = 18, gap = 6;
  const parts = [];
  let y = 30;
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">Requests per second and server CPU per request (median of ${opts.rounds}; wrk -c${opts.connections}, ${opts.duration} s) — ${esc(env.model)}, ${env.cores} cores</text>`);
  for (const w of opts.workloads) {
    y += 14;
    parts.push(`<text x="10" y="${y + 4}" font-size="13" font-weight="bold">${esc(w)}: ${esc(WORKLOADS[w].title.replace(/`/g, ""))}</text>`);
    y += 12;
    const servers = serversFor(opts, w);
    const max = Math.max(1, ...servers.map((s) => results[w][s.key].rps).filter(Number.isFinite));
    for (const s of servers) {
      const r = results[w][s.key];
      const len = Number.isFinite(r.rps) ? Math.max(1, (r.rps / max) * barW) : 0;
      const x = rpsRatio(s, w, results);
      const value = Number.isFinite(r.rps) ? `${int(r.rps)}${Number.isFinite(x) ? ` (${x.toFixed(2)}×)` : ""}${Number.isFinite(r.cpuUs) ? ` · ${us(r.cpuUs)} µs` : ""}` : "failed";
      parts.push(`<text x="${labelW - 8}" y="${y + barH - 5}" font-size="12" text-anchor="end">${esc(`${runtimeLabel(env, s.runtime)} ${s.label}`)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${s.color}"/>`);
      parts.push(`<text x="${(labelW + len + 6).toFixed(1)}" y="${y + barH - 5}" font-size="12">${esc(value)}</text>`);
      y += barH + gap;
    }
  }
  y += 16;
  parts.push(`<text x="10" y="${y}" font-size="11" fill="#555">${esc(`${env.date} · ${Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(" · ")}`)}</text>`);
  const height = y + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join("\n")}
</svg>
`;
}
