#!/usr/bin/env node
// The WebSocket conformance table (issue 18): runs every case of tests/ws_conformance/cases.ts against our
// server on Node (built dist/), Deno and Bun (each started with the `waitress-serve` CLI serving
// tests/fixtures/ws_echo_app.ts) and against the reference echo servers (Deno.upgradeWebSocket, Bun.serve,
// `ws` on node:http), one server at a time, and prints a markdown table (rows: cases; columns: servers;
// cells: verdict and how the connection ended), a summary line per column and every cell that is not OK
// with the reason. Also writes it to bench/ws_conformance.md (--out FILE to change, --out - for none).
// Usage: node tools/ws_conformance.mjs [--no-build] [--only COLUMN,...] [--cases PREFIX,...] [--concurrency N] [--timeout MS] [--out FILE]
//   COLUMN: ours-node, ours-deno, ours-bun, deno, bun, ws
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const option = (flag) => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const only = option("--only")?.split(",");
const casePrefixes = option("--cases")?.split(",");
const concurrency = Number(option("--concurrency") ?? 4);
const timeoutMs = Number(option("--timeout") ?? 2000);
const out = option("--out") ?? join("bench", "ws_conformance.md");
const noBuild = args.includes("--no-build");

if (!noBuild) {
  console.error("$ tsc -p tsconfig.build.json");
  const build = spawnSync(bin("tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(1);
}
const dist = (path) => pathToFileURL(join(root, "dist", path)).href;
const { CASES, SECTIONS, WS_LIMIT } = await import(dist("tests/ws_conformance/cases.js"));
const { runCases } = await import(dist("tests/ws_conformance/client.js"));
const ours = await import(dist("mod.js"));
const oursMissing = typeof ours.upgradeWebSocket === "function" ? undefined : "skipped: mod.ts has no upgradeWebSocket yet";

const cli = { node: [process.execPath, [join(root, "dist", "cli.js")]], deno: [bin("deno"), ["run", "-A", "--quiet", join(root, "cli.ts")]], bun: [bin("bun"), [join(root, "cli.ts")]] };
const echoApp = { node: join(root, "dist", "tests", "fixtures", "ws_echo_app.js"), deno: join(root, "tests", "fixtures", "ws_echo_app.ts"), bun: join(root, "tests", "fixtures", "ws_echo_app.ts") };
/** The CLI flag that sets wsMaxMessageSize, if this build has one (from --help). */
const limitFlag = (() => {
  const help = spawnSync(process.execPath, [join(root, "dist", "cli.js"), "--help"], { encoding: "utf8" });
  return /--ws-max-message-size\b/.test(help.stdout ?? "") ? "--ws-max-message-size" : undefined;
})();
const oursColumn = (rt) => ({
  key: `ours-${rt}`,
  title: `ours (${rt})`,
  skip: oursMissing,
  command: [cli[rt][0], [...cli[rt][1], "--listen=127.0.0.1:0", ...(limitFlag ? [`${limitFlag}=${WS_LIMIT}`] : []), `${echoApp[rt]}:default`]],
  port: /Serving on http:\/\/127\.0\.0\.1:(\d+)/,
  limit: limitFlag ? WS_LIMIT : 16 * 1024 * 1024,
});
const COLUMNS = [
  oursColumn("node"),
  oursColumn("deno"),
  oursColumn("bun"),
  { key: "deno", title: "Deno.upgradeWebSocket", command: [bin("deno"), ["run", "-A", "--quiet", join(root, "tests", "fixtures", "ws_ref_deno.ts"), "0"]], port: /listening (\d+)/, limit: null },
  { key: "bun", title: "Bun.serve", command: [bin("bun"), [join(root, "tests", "fixtures", "ws_ref_bun.ts"), "0", String(WS_LIMIT)]], port: /listening (\d+)/, limit: WS_LIMIT },
  { key: "ws", title: "ws", command: [process.execPath, [join(root, "tests", "fixtures", "ws_ref_ws.mjs"), "0", String(WS_LIMIT)]], port: /listening (\d+)/, limit: WS_LIMIT },
].filter((c) => !only || only.includes(c.key));
const cases = CASES.filter((c) => !casePrefixes || casePrefixes.some((p) => c.id === p || c.id.startsWith(`${p}.`)));

/** Starts a server; resolves with { child, port } once it prints its port (15 s at most). */
function start(column) {
  const [cmd, argv] = column.command;
  const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let text = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${column.title}: no port after 15 s:\n${text}`)), 15000);
    const check = (chunk) => {
      text += chunk;
      const m = column.port.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output: () => text });
      }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${column.title} exited with ${code}:\n${text}`));
    });
  });
}

/** SIGTERM by pid, SIGKILL after 3 s. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid, "SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

const results = {};
for (const column of COLUMNS) {
  if (column.skip) {
    console.error(`${column.title}: ${column.skip}`);
    continue;
  }
  const started = Date.now();
  let server;
  try {
    server = await start(column);
  } catch (e) {
    column.skip = `did not start: ${e.message.split("\n")[0]}`;
    console.error(`${column.title}: ${e.message}`);
    continue;
  }
  try {
    results[column.key] = await runCases({ port: server.port, limit: column.limit }, cases, { concurrency, timeoutMs });
  } finally {
    await stop(server.child);
  }
  console.error(`${column.title}: ${cases.length} cases in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const cell = (r) => (r.verdict === "OK" ? `OK ${r.ending}` : `**${r.verdict}** ${r.ending}`);
const version = (cmd, argv) => spawnSync(cmd, argv, { encoding: "utf8" }).stdout?.split("\n")[0].trim();
const lines = [
  "# WebSocket conformance table",
  "",
  `Generated by \`node tools/ws_conformance.mjs\` on ${new Date().toISOString()}: ${cases.length} cases (tests/ws_conformance/cases.ts, the sections of the Autobahn test suite), ` +
    `Node ${process.version}, Deno ${version(bin("deno"), ["--version"])?.replace(/^deno /, "")}, Bun ${version(bin("bun"), ["--version"])}, ws ${JSON.parse(spawnSync(process.execPath, ["-p", "JSON.stringify(require('ws/package.json').version)"], { cwd: root, encoding: "utf8" }).stdout || '"?"')}. ` +
    `Message size limit ${WS_LIMIT} bytes where the server has the setting (Deno.upgradeWebSocket has none). ` +
    "Cell: verdict (OK, NON-STRICT, INFORMATIONAL, FAILED as Autobahn grades) and how the connection ended (the server's close code, `close`: a close frame without a code, `drop`: TCP closed without a close frame, `open`).",
  "",
];
for (const column of COLUMNS) if (column.skip) lines.push(`- ${column.title}: ${column.skip}`);
if (COLUMNS.some((c) => c.skip)) lines.push("");
const shown = COLUMNS.filter((c) => results[c.key]);
lines.push(`| case | description | ${shown.map((c) => c.title).join(" | ")} |`, `|---|---|${shown.map(() => "---").join("|")}|`);
let section = 0;
cases.forEach((c, i) => {
  if (c.section !== section) {
    section = c.section;
    lines.push(`| **${section}** | **${SECTIONS[section]}** |${shown.map(() => " ").join("|")}|`);
  }
  lines.push(`| ${c.id} | ${c.description.replaceAll("|", "\\|")} | ${shown.map((col) => cell(results[col.key][i])).join(" | ")} |`);
});
lines.push("", "## Summary", "");
for (const col of shown) {
  const count = (v) => results[col.key].filter((r) => r.verdict === v).length;
  lines.push(`- ${col.title}: OK ${count("OK")}, NON-STRICT ${count("NON-STRICT")}, INFORMATIONAL ${count("INFORMATIONAL")}, FAILED ${count("FAILED")} (of ${cases.length})`);
}
const { VERDICT_RANK } = await import(dist("tests/ws_conformance/client.js"));
const refs = shown.filter((c) => !c.key.startsWith("ours-"));
for (const col of shown.filter((c) => c.key.startsWith("ours-"))) {
  const worse = refs.map((ref) => {
    const ids = results[col.key].filter((r, i) => VERDICT_RANK[r.verdict] < VERDICT_RANK[results[ref.key][i].verdict]).map((r) => r.id);
    return `${ref.title}: ${ids.length === 0 ? "none" : ids.join(", ")}`;
  });
  if (refs.length > 0) lines.push(`- ${col.title}, cases where its verdict is worse than the reference's: ${worse.join("; ")}`);
}
lines.push("", "## Not OK, with the reason", "");
for (const col of shown) {
  const bad = results[col.key].filter((r) => r.verdict !== "OK");
  lines.push(`### ${col.title}`, "", ...(bad.length === 0 ? ["(none)"] : bad.map((r) => `- ${r.id}: ${r.verdict} ${r.ending}: ${r.detail}`)), "");
}
const markdown = lines.join("\n");
console.log(markdown);
if (out !== "-") {
  writeFileSync(join(root, out), markdown);
  console.error(`wrote ${out}`);
}
process.exit(existsSync(root) ? 0 : 1);
