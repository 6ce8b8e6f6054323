/**
 * Our WebSocket server against a real browser: headless Chromium (Debian package chromium) opens a
 * page our server serves (tests/fixtures/ws_browser_page.html); the page's script uses the browser's
 * own WebSocket on ws://127.0.0.1:PORT/ws to send text (non-ASCII, empty, 100 KB) and binary
 * (ArrayBuffer, a Uint8Array view at an offset, a DataView, a Blob), checks each echo, closes with a
 * code and reason, has the server close a second socket, and POSTs what it saw to /report on the
 * same server. The test waits for the report (at most 20 s), asserts on it and on what our server
 * saw, and kills Chromium by its pid and process group.
 *
 * Chromium runs in a process group of its own with a temporary profile, --no-sandbox when running
 * as root, and DNS answering only 127.0.0.1 (no traffic off the machine). Skips (with a message)
 * where chromium is missing. CHROMIUM picks the binary.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type Child, spawnChild, within } from "./_child.ts";
import { until } from "./_helpers.ts";
import { repoRoot } from "./_root.ts";
import { type EchoServer, reference, startEcho } from "./_ws_echo.ts";

const CHROMIUM = process.env.CHROMIUM ?? "chromium";
const found = spawnSync("sh", ["-c", `command -v "$0"`, CHROMIUM], { encoding: "utf8" }).status === 0;
const BROWSER_SKIP = found ? false : `${CHROMIUM} not found (Debian package chromium; CHROMIUM picks another binary): browser WebSocket test skipped`;
const PAGE = readFileSync(join(repoRoot(), "tests", "fixtures", "ws_browser_page.html"), "utf8");

/** What the page POSTs to /report. */
interface Report {
  userAgent: string;
  protocol: string;
  extensions: string;
  texts: { length: number; type: string; ok: boolean }[];
  binaries: { what: string; type: string; length: number; ok: boolean }[];
  bufferedAmount: number;
  clientClose: { code: number; reason: string; wasClean: boolean };
  serverClose: { code: number; reason: string; wasClean: boolean };
  errors: string[];
}

/** Starts headless Chromium on `url` in a process group of its own. */
function startChromium(url: string, profile: string): Child {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const args = [
    "--headless=new", "--disable-gpu", ...(root ? ["--no-sandbox"] : []), `--user-data-dir=${profile}`,
    "--no-first-run", "--no-default-browser-check", "--disable-crash-reporter", "--disable-breakpad", "--disable-extensions", "--disable-sync", "--disable-default-apps",
    "--disable-background-networking", "--disable-component-update", "--disable-domain-reliability", "--disable-dev-shm-usage",
    "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", url,
  ];
  return spawnChild(CHROMIUM, args, { cwd: profile, detached: true });
}

/** Pids of the live (not zombie) processes of process group `pgid`, from /proc (Linux; [] elsewhere). */
function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  let entries: string[] = [];
  try { entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name)); } catch { return pids; }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // state, ppid, pgrp, ...
      if (Number(fields[2]) === pgid && fields[0] !== "Z") pids.push(Number(name));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

/** SIGKILL to Chromium's process group (its renderer and helper processes) and to its pid; waits until they are gone. */
async function stopChromium(c: Child): Promise<void> {
  const pid = c.child.pid;
  if (pid === undefined) return;
  spawnSync("kill", ["-KILL", "--", `-${pid}`]); // the group: Chromium and its children
  try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
  await within(c.exit, 5000, () => "waiting for chromium to end").catch(() => {});
  await until(() => groupMembers(pid).length === 0, `chromium's process group ${pid} to end`, 5000).catch(() => {});
}

for (const deflate of [false, true]) describe(`a real browser (headless Chromium) against our server${deflate ? ", wsPerMessageDeflate on" : ""}`, () => {
  const skip = BROWSER_SKIP;
  let server: EchoServer;
  let report: Report;
  let chromium: Child | undefined;
  let profile = "";

  before(async () => {
    if (skip) return;
    let resolveReport: (r: Report) => void = () => {};
    const reported = new Promise<Report>((resolve) => (resolveReport = resolve));
    server = await startEcho(async (request) => {
      const path = new URL(request.url).pathname;
      if (request.method === "GET" && path === "/") return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
      if (request.method === "POST" && path === "/report") {
        resolveReport(await request.json() as Report);
        return new Response(null, { status: 204 });
      }
      return new Response("not found", { status: 404 });
    }, { wsMaxMessageSize: 1024 * 1024, wsPerMessageDeflate: deflate });
    profile = mkdtempSync(join(tmpdir(), "waitress-chromium-"));
    chromium = startChromium(`http://127.0.0.1:${server.port}/`, profile);
    report = await within(reported, 20000, () => `waiting for the page's report; chromium said:\n${chromium!.output().slice(-3000)}`);
  });

  after(async () => {
    if (chromium) await stopChromium(chromium);
    if (profile) rmSync(profile, { recursive: true, force: true });
    await server?.close();
  });

  it("the page's socket opened with the subprotocol it asked for, and saw no error", { skip }, () => {
    assert.deepEqual(report.errors, [], `the page failed (${report.userAgent})`);
    assert.equal(report.protocol, "chat");
    // Chromium offers permessage-deflate: agreed only when the server has it on.
    assert.equal(report.extensions, deflate ? "permessage-deflate" : "");
    assert.match(report.userAgent, /Chrome\//);
  });

  it("text comes back as the same string: ASCII, non-ASCII, empty and 100 KB", { skip }, () => {
    assert.deepEqual(report.texts, [
      { length: 5, type: "string", ok: true },
      { length: 20, type: "string", ok: true },
      { length: 0, type: "string", ok: true },
      { length: 102400, type: "string", ok: true },
    ]);
  });

  it("binary comes back byte for byte from an ArrayBuffer, a view at an offset, a DataView and a Blob", { skip }, () => {
    assert.deepEqual(report.binaries.map((b) => [b.what, b.type, b.length, b.ok]), [
      ["ArrayBuffer 256 B", "[object ArrayBuffer]", 256, true],
      ["Uint8Array view at an offset, 64 KiB", "[object ArrayBuffer]", 65536, true],
      ["DataView 10 B", "[object ArrayBuffer]", 10, true],
      ["Blob 3000 B", "[object ArrayBuffer]", 3000, true],
    ]);
    assert.equal(report.bufferedAmount, 0);
  });

  it("the close handshake works from the browser's side and from the server's, with codes and reasons", { skip }, async () => {
    assert.equal(report.clientClose.code, 1000);
    assert.equal(report.clientClose.wasClean, true);
    assert.deepEqual(report.serverClose, { code: 4002, reason: "server bye ✓", wasClean: true });
    await until(() => server.log.closes.length === 2, "our server's two close events");
    const byCode = [...server.log.closes].sort((a, b) => a.code - b.code);
    assert.deepEqual(byCode[0], { code: 1000, reason: "browser done ✓", wasClean: true });
    assert.equal(byCode[1].code, 4002);
    // Deno's own server socket says "" for protocol even after selecting one (the reference run).
    if (!reference) assert.deepEqual(server.log.protocols, ["chat", ""], "socket.protocol on our side");
    assert.deepEqual(server.log.errors, []);
  });
});
