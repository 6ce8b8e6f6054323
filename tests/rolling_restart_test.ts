/**
 * The README's rolling-restart recipe ("Many machines"), against a real nginx: three `waitress-serve`
 * instances behind the README's nginx `upstream` (keep-alive to the instances), each in turn stopped
 * with SIGTERM and started again on its port while client loops keep requesting through nginx. Every
 * request must be answered 200 by one of the instances: zero failures, zero 5xx.
 *
 * The nginx configuration is the block between the README's `rolling-restart nginx` markers, with
 * its ports changed to free ones; the client loops are bounded in requests and time.
 *
 * Skips (with a message) where nginx is not installed. NGINX_BIN overrides /usr/sbin/nginx.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RawClient, runtime, sleep, until } from "./_helpers.ts";
import { type Child, spawnCli, stopChild, within } from "./_child.ts";
import { HAVE_NGINX, NGINX, type Nginx, nginxDir, startNginx } from "./_nginx.ts";
import { freePort, waitForPort } from "./_ports.ts";
import { repoRoot } from "./_root.ts";

const SKIP = `nginx not installed (no ${NGINX}; Debian package nginx-light): rolling-restart test skipped`;
const README_PORTS = [8081, 8082, 8083];
/** Requests each client loop sends at most (paced: one every PACE_MS or so), and how long the restarts may take in all. */
const MAX_REQUESTS_PER_LOOP = 20_000;
const PACE_MS = 3;
const RESTARTS_MS = 60_000;

/** The README's nginx block, between its markers. */
function readmeNginx(): string {
  const readme = readFileSync(join(repoRoot(), "README.md"), "utf8");
  const block = /<!-- rolling-restart nginx: begin -->\s*```nginx\n([\s\S]*?)```\s*<!-- rolling-restart nginx: end -->/.exec(readme);
  if (block === null) throw new Error("README.md has no rolling-restart nginx block between its markers");
  return block[1];
}

/** What the client loops saw. */
interface Tally {
  ok: number;
  failures: string[];
}

/**
 * Sends GET requests through nginx on one keep-alive connection (a new one if nginx closes it) until
 * `stop()` says so or MAX_REQUESTS_PER_LOOP were sent; anything but a 200 from an instance is a failure.
 */
async function clientLoop(port: number, stop: () => boolean, tally: Tally): Promise<void> {
  let client: RawClient | undefined;
  for (let i = 0; i < MAX_REQUESTS_PER_LOOP && !stop(); i++) {
    try {
      client ??= new RawClient(port);
      await client.send(`GET /r${i} HTTP/1.1\r\nHost: app.example\r\n\r\n`);
      const response = await client.response({ timeoutMs: 10_000 });
      if (response.status === 200 && response.text === `handler GET /r${i} HTTP/1.1`) tally.ok++;
      else tally.failures.push(`${response.status} ${response.text.slice(0, 120)}`);
      if (response.header("connection") === "close") {
        client.destroy();
        client = undefined;
      }
    } catch (error) {
      tally.failures.push(`request ${i}: ${error instanceof Error ? error.message : String(error)}`);
      client?.destroy();
      client = undefined;
    }
    await sleep(PACE_MS);
  }
  client?.destroy();
}

describe("rolling restarts behind nginx (README recipe)", () => {
  let dir = "";
  let nginx: Nginx | undefined;
  let nginxPort = 0;
  const nginxOutput = () => nginx?.output() ?? "";
  const ports: number[] = [];
  const instances: Child[] = [];
  // On Node the built fixture (dist/), elsewhere the source.
  const fixtures = join(repoRoot(), runtime === "node" ? "dist/tests/fixtures" : "tests/fixtures");
  const app = `cli_app.${runtime === "node" ? "js" : "ts"}:handler`;

  const startInstance = async (port: number, extra: readonly string[] = ["--log-level=warning"]): Promise<Child> => {
    const c = spawnCli([`--listen=127.0.0.1:${port}`, ...extra, "--shutdown-timeout=10", app], fixtures);
    // --log-level=warning hides "Serving on": wait for the port instead.
    await waitForPort(port, 20_000, () => (c.child.exitCode !== null ? `instance on ${port} exited:\n${c.output()}` : undefined));
    return c;
  };

  before(async () => {
    if (!HAVE_NGINX) return;
    dir = nginxDir("waitress-rolling-");
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    for (const port of ports) instances.push(await startInstance(port));
    nginx = await startNginx(dir, (port) => {
      let block = readmeNginx().replace("listen 127.0.0.1:8080;", `listen 127.0.0.1:${port};`);
      README_PORTS.forEach((readmePort, i) => (block = block.replace(`127.0.0.1:${readmePort} `, `127.0.0.1:${ports[i]} `)));
      for (const readmePort of [8080, ...README_PORTS]) assert.ok(!block.includes(`:${readmePort}`), `port ${readmePort} left in:\n${block}`);
      return block;
    });
    nginxPort = nginx.port;
  });

  after(async () => {
    for (const c of instances) await stopChild(c);
    if (nginx !== undefined) await nginx.stop(); // and its directory
    else if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("each instance stopped with SIGTERM and started again while clients request: zero failures", { skip: HAVE_NGINX ? false : SKIP }, async () => {
    const tally: Tally = { ok: 0, failures: [] };
    let restarting = true;
    let afterRestarts = 0;
    // Keep requesting until the restarts are over and 100 more requests went through.
    const stop = () => !restarting && tally.ok >= afterRestarts + 100;
    const loops = [0, 1, 2].map(() => clientLoop(nginxPort, stop, tally));
    const deadline = Date.now() + RESTARTS_MS;
    try {
      await sleep(200); // traffic on every instance first
      for (let i = 0; i < instances.length; i++) {
        const old = instances[i];
        const before = tally.ok;
        process.kill(old.child.pid!, "SIGTERM"); // not child.kill(): Deno's compat layer kills outright
        const { code, signal } = await within(old.exit, 15_000, () => `waiting for the instance on ${ports[i]} to drain:\n${old.output()}`);
        assert.equal(code, 0, `a drained instance exits 0 (it ended with ${code ?? signal}):\n${old.output()}`);
        instances[i] = await startInstance(ports[i]);
        // Requests kept flowing through the others while this one was away.
        assert.ok(tally.ok > before, `no request answered while the instance on ${ports[i]} restarted`);
        assert.ok(Date.now() < deadline, "the restarts took too long");
        await sleep(1500); // the README's fail_timeout (1 s) and a margin: nginx takes the instance back

      }
    } finally {
      afterRestarts = tally.ok;
      restarting = false;
    }
    await within(Promise.all(loops), 60_000, () => `client loops still running; ${tally.ok} answered`);
    assert.deepEqual(tally.failures, [], `failed requests through nginx (${tally.ok} answered):\n${tally.failures.slice(0, 10).join("\n")}\nnginx:\n${nginxOutput()}`);
    assert.ok(tally.ok >= 300, `only ${tally.ok} requests answered`);
    console.log(`rolling restart through nginx: ${tally.ok} requests, ${tally.failures.length} failed`);
  });
  it("the same with --workers=2, each instance reloaded with SIGHUP (workers replaced one at a time): zero failures", { skip: HAVE_NGINX ? false : SKIP }, async () => {
    // The instances become supervisors of two workers each (a restart, as in the test above).
    for (let i = 0; i < instances.length; i++) {
      process.kill(instances[i].child.pid!, "SIGTERM");
      await within(instances[i].exit, 15_000, () => `waiting for the instance on ${ports[i]} to drain:\n${instances[i].output()}`);
      instances[i] = await startInstance(ports[i], ["--workers=2", "--log-level=info"]);
      await within(until(() => /2 workers ready/.test(instances[i].output()), "both workers ready", 20_000), 21_000, () => instances[i].output());
      await sleep(1500); // nginx's fail_timeout
    }
    const tally: Tally = { ok: 0, failures: [] };
    let reloading = true;
    let afterReloads = 0;
    const stop = () => !reloading && tally.ok >= afterReloads + 100;
    const loops = [0, 1, 2].map(() => clientLoop(nginxPort, stop, tally));
    try {
      await sleep(200);
      for (let i = 0; i < instances.length; i++) {
        const before = tally.ok;
        process.kill(instances[i].child.pid!, "SIGHUP");
        await within(until(() => /Reload done/.test(instances[i].output()), "the reload done", 30_000), 31_000, () => instances[i].output());
        assert.ok(tally.ok > before, `no request answered while the instance on ${ports[i]} reloaded`);
        assert.equal(instances[i].child.exitCode, null, `the supervisor on ${ports[i]} still runs:\n${instances[i].output()}`);
        await sleep(1500); // nginx's fail_timeout: a keep-alive connection closed under it counts as a failure
      }
    } finally {
      afterReloads = tally.ok;
      reloading = false;
    }
    await within(Promise.all(loops), 60_000, () => `client loops still running; ${tally.ok} answered`);
    assert.deepEqual(tally.failures, [], `failed requests through nginx (${tally.ok} answered):\n${tally.failures.slice(0, 10).join("\n")}\nnginx:\n${nginxOutput()}`);
    assert.ok(tally.ok >= 300, `only ${tally.ok} requests answered`);
    console.log(`rolling reload (--workers=2, SIGHUP) through nginx: ${tally.ok} requests, ${tally.failures.length} failed`);
  });
});
