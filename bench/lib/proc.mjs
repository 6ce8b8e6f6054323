// CPU accounting for the benchmarks, read from Linux's /proc (proc(5)): a process's CPU time with
// all its threads, every other process's CPU time, and how busy one core was. Off Linux every
// reading is undefined and the report shows "—".
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { cpus } from "node:os";

/** Clock ticks per second, the unit of the times in /proc/PID/stat and /proc/stat. */
export const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** The fields of a /proc/.../stat line after the command name (field 3 of proc(5) is index 0). */
function statFields(path) {
  const stat = readFileSync(path, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime + stime of one stat file, in ticks (fields 14 and 15 of proc(5)). */
const ownTicks = (f) => Number(f[11]) + Number(f[12]);

/**
 * utime + stime of a process and all its threads, in seconds; undefined once it is gone (or off
 * Linux). Node, Deno and Bun run helper threads (JIT, GC, I/O), so the per-thread lines of
 * /proc/PID/task/ are summed too; the process's own line also counts threads that already exited,
 * so the larger of the two is the process's CPU time.
 */
export function cpuSeconds(pid) {
  let total;
  try {
    total = ownTicks(statFields(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
  let threads = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try { threads += ownTicks(statFields(`/proc/${pid}/task/${tid}/stat`)); } catch { /* exited meanwhile */ }
    }
  } catch { /* the process exited meanwhile */ }
  return Math.max(total, threads) / CLK_TCK;
}

/**
 * CPU seconds of every other user-space process (self + reaped children, so a test runner's
 * finished children count too), by pid; undefined off Linux. Kernel threads are left out.
 */
export function otherProcesses(exclude) {
  const times = new Map();
  let pids;
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (exclude.includes(Number(pid))) continue;
    try {
      const f = statFields(`/proc/${pid}/stat`);
      if (pid === "2" || f[1] === "2") continue; // kthreadd and kernel threads
      times.set(pid, (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK);
    } catch { /* exited meanwhile */ }
  }
  return times;
}

/** Other processes' CPU over a run, as a share of one core, capped at the machine's cores. */
export function otherShare(before, after, elapsed) {
  if (!before || !after) return NaN;
  let sum = 0;
  for (const [pid, t] of after) sum += Math.max(0, t - (before.get(pid) ?? 0)); // new processes count in full
  return Math.min(cpus().length, sum / elapsed);
}

/** Busy time of all CPUs (user + nice + system), in seconds; undefined off Linux. */
export function allBusySeconds() {
  try {
    const [user, nice, system] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 4).map(Number);
    return (user + nice + system) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/**
 * The busy and total ticks of one core (the `cpuN` line of /proc/stat); undefined when `core` is
 * undefined (not pinned) or off Linux. Busy is everything but idle and iowait: user, nice, system,
 * irq, softirq (loopback TCP is processed there) and steal (a VM's host took the core).
 */
export function coreTicks(core) {
  if (core === undefined) return undefined;
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${core} `));
    if (!line) return undefined;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map((n) => Number(n) || 0);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return undefined;
  }
}

/** The share of the time a core was busy between two `coreTicks` readings (0..1), or NaN. */
export function coreBusy(before, after) {
  if (!before || !after || after.total <= before.total) return NaN;
  return (after.busy - before.busy) / (after.total - before.total);
}
