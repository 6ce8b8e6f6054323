/**
 * Inherited listening sockets (issue 17): Waitress's `sockets` setting and systemd socket activation,
 * over real sockets. A small Python launcher (tests/fixtures/socket_activate.py) does what systemd
 * does: binds the sockets, puts them at descriptors 3, 4, ..., sets LISTEN_FDS and LISTEN_PID (the
 * id the server keeps after its exec) and starts waitress-serve. Node and Bun serve them; Deno cannot
 * listen on an inherited descriptor, and must say so and exit 1. The systemd units in the
 * README are the ones run here.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { createServer } from "../mod.ts";
import { captureLog, RawClient, runtime } from "./_helpers.ts";
import { type Child, cliEntry, outputMatch, runtimeCommand, signalChild, spawnChild, stopChild, within } from "./_child.ts";
import { repoRoot } from "./_root.ts";
import { describeActivation, readActivation } from "../src/cli/systemd.ts";
import { checkInheritedSocket, procSocketAddress } from "../adapters/shared/inherited.ts";
import { parseCliArgs } from "../src/cli/cli_args.ts";
import { parseIni, settingsFromIni } from "../src/settings/ini.ts";
import { prepareCli } from "../src/cli/cli_main.ts";
import { startServer } from "../src/serve/start_server.ts";
import type { Runtime } from "../src/platform.ts";
import { fakeEnv } from "./_cli_env.ts";

const root = repoRoot();
const fixtures = join(root, "tests", "fixtures");
const launcher = join(fixtures, "socket_activate.py");
const supported = runtime !== "deno";
const title = runtime === "node" ? "Node" : runtime === "deno" ? "Deno" : "Bun";
const hasPython = spawnSync("python3", ["--version"]).status === 0;

let work = "";
before(() => {
  work = mkdtempSync(join(tmpdir(), "waitress-activation-"));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** waitress-serve (or any script, with `script`) started through the launcher with `options`. */
function activate(options: string[], args: string[], script = cliEntry, cwd = fixtures): Child {
  const [command, argv] = runtimeCommand(script, args);
  return spawnChild("python3", [launcher, ...options, "--", command, ...argv], { cwd });
}

/** The port the launcher bound for descriptor `fd`. */
async function activatedPort(c: Child, fd = 3, host = "127\\.0\\.0\\.1"): Promise<number> {
  const m = await within(outputMatch(c, new RegExp(`ACTIVATE tcp ${host}:(\\d+) fd ${fd}`)), 15000, () => c.output());
  assert.ok(m, `the launcher reported no socket:\n${c.output()}`);
  return Number(m[1]);
}

/** Waits for `pattern` in the child's output; fails with the output when it exits first. */
async function expectOutput(c: Child, pattern: RegExp, ms = 20000): Promise<RegExpExecArray> {
  const m = await within(outputMatch(c, pattern), ms, () => `waiting for ${pattern} in:\n${c.output()}`);
  assert.ok(m, `the child ended without printing ${pattern}:\n${c.output()}`);
  return m;
}

/** One GET over TCP (or a unix socket with `path`); the response's status and body. */
async function get(port: number, path?: string): Promise<{ status: number; text: string }> {
  const client = new RawClient(port, "127.0.0.1", path);
  try {
    await client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const response = await client.response();
    return { status: response.status, text: response.text };
  } finally {
    client.destroy();
  }
}

/** Ends the child with SIGTERM and expects exit 0. */
async function stopGracefully(c: Child): Promise<void> {
  signalChild(c, "SIGTERM");
  const { code } = await within(c.exit, 15000, () => `waiting for exit after SIGTERM:\n${c.output()}`);
  assert.equal(code, 0, c.output());
}

/** Expects the child to exit 1 with `pattern` in its output. */
async function expectFailure(c: Child, pattern: RegExp): Promise<void> {
  const { code } = await within(c.exit, 20000, () => `waiting for the CLI to fail:\n${c.output()}`);
  assert.equal(code, 1, c.output());
  assert.match(c.output(), pattern);
}

const UNAVAILABLE = new RegExp("Error: Socket activation \\(LISTEN_FDS=\\d for this process\\) is not available on Deno: " +
  "Deno\\.listen\\(\\) cannot listen on an inherited descriptor .*run waitress-serve on Node or Bun");

describe("reading socket activation", () => {
  const from = (vars: Record<string, string>) => (name: string): string | undefined => vars[name];

  it("readActivation() follows sd_listen_fds(3): LISTEN_PID must name this process", () => {
    assert.deepEqual(readActivation(from({}), 42), { kind: "none" });
    assert.deepEqual(readActivation(from({ LISTEN_PID: "42", LISTEN_FDS: "2", LISTEN_FDNAMES: "web:admin" }), 42),
      { kind: "activated", fds: [3, 4], names: ["web", "admin"] });
    // Names that do not name each descriptor are left out, as sd_listen_fds_with_names() refuses them.
    assert.deepEqual(readActivation(from({ LISTEN_PID: "42", LISTEN_FDS: "2", LISTEN_FDNAMES: "web" }), 42),
      { kind: "activated", fds: [3, 4], names: [] });
    assert.deepEqual(readActivation(from({ LISTEN_PID: "43", LISTEN_FDS: "1" }), 42),
      { kind: "ignored", why: "LISTEN_PID=43 names another process (this one is 42)" });
    assert.equal(readActivation(from({ LISTEN_FDS: "1" }), 42).kind, "ignored");
    assert.equal(readActivation(from({ LISTEN_PID: "42" }), 42).kind, "ignored");
    assert.equal(readActivation(from({ LISTEN_PID: "42", LISTEN_FDS: "0" }), 42).kind, "ignored");
    assert.equal(readActivation(from({ LISTEN_PID: "42", LISTEN_FDS: "1" }), undefined).kind, "ignored");
    assert.throws(() => readActivation(from({ LISTEN_PID: "x", LISTEN_FDS: "1" }), 42), /^CliError: LISTEN_PID="x" is not a process id/);
    assert.throws(() => readActivation(from({ LISTEN_PID: "42", LISTEN_FDS: "-1" }), 42), /^CliError: LISTEN_FDS="-1" is not a number of descriptors/);
    assert.equal(describeActivation([3, 4], ["web", "admin"]), "Socket activation: serving descriptors 3 (web), 4 (admin) from systemd");
    assert.equal(describeActivation([3], []), "Socket activation: serving descriptor 3 from systemd");
  });

  it("procSocketAddress() finds an inherited socket's address in /proc (Bun does not say it)", () => {
    const head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    const tcp = head + "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n";
    const tcp6 = head +
      "   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4343 1\n" +
      "   1: 0000000000000000FFFF00000100007F:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1\n" +
      "   2: B80D0120000000000000000001000000:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4545 1\n";
    const unix = "Num       RefCount Protocol Flags    Type St Inode Path\n" +
      "0000000000000000: 00000002 00000000 00010000 0001 01 5151 /run/app/app.sock\n" +
      "0000000000000000: 00000002 00000000 00010000 0001 01 5252 @abstract\n";
    const files = { tcp, tcp6, unix };
    assert.deepEqual(procSocketAddress({ link: "socket:[4242]", ...files }), { transport: "tcp", hostname: "127.0.0.1", port: 8080 });
    assert.deepEqual(procSocketAddress({ link: "socket:[4343]", ...files }), { transport: "tcp", hostname: "::1", port: 8081 });
    assert.deepEqual(procSocketAddress({ link: "socket:[4444]", ...files }), { transport: "tcp", hostname: "::ffff:127.0.0.1", port: 8082 });
    assert.deepEqual(procSocketAddress({ link: "socket:[4545]", ...files }), { transport: "tcp", hostname: "2001:db8::1", port: 8083 });
    assert.deepEqual(procSocketAddress({ link: "socket:[5151]", ...files }), { transport: "unix", hostname: "/run/app/app.sock", port: 0 });
    assert.deepEqual(procSocketAddress({ link: "socket:[5252]", ...files }), { transport: "unix", hostname: "", port: 0 });
    assert.equal(procSocketAddress({ link: "socket:[9999]", ...files }), undefined);
    assert.equal(procSocketAddress({ link: "/dev/null", ...files }), undefined);
  });

  it("checkInheritedSocket() says what a descriptor is when it is not a socket", () => {
    const stat = (kind: string) => () => ({
      isSocket: () => kind === "socket", isFile: () => kind === "file", isDirectory: () => kind === "dir",
      isFIFO: () => kind === "fifo", isCharacterDevice: () => kind === "chr",
    });
    assert.doesNotThrow(() => checkInheritedSocket(3, stat("socket")));
    assert.throws(() => checkInheritedSocket(3, stat("fifo")), /^Error: Cannot listen on inherited descriptor 3: it is a pipe, not a socket/);
    assert.throws(() => checkInheritedSocket(0, stat("chr")), /^Error: Cannot listen on inherited descriptor 0: it is a character device \(a terminal\?\), not a socket/);
    const closed = () => {
      throw Object.assign(new Error("EBADF: bad file descriptor, fstat"), { code: "EBADF" });
    };
    assert.throws(() => checkInheritedSocket(9, closed), /^Error: Cannot listen on inherited descriptor 9: the descriptor is not open in this process/);
  });

  it("--systemd-sockets / --no-systemd-sockets and systemd_sockets in a config file", () => {
    assert.equal(parseCliArgs(["--systemd-sockets", "app.mjs"]).systemdSockets, true);
    assert.equal(parseCliArgs(["--no-systemd-sockets", "app.mjs"]).systemdSockets, false);
    assert.equal(parseCliArgs(["app.mjs"]).systemdSockets, undefined);
    assert.throws(() => parseCliArgs(["--systemd-sockets=yes"]), /^CliError: option --systemd-sockets does not take a value/);
    assert.throws(() => parseCliArgs(["--systemd-socket"]), /^CliError: option --systemd-socket not recognized; did you mean --systemd-sockets\?/);
    assert.equal(settingsFromIni(parseIni("[server:main]\nsystemd_sockets = yes\n")).systemdSockets, true);
    assert.equal(settingsFromIni(parseIni("[server:main]\nsystemd_sockets = off\n")).systemdSockets, false);
    assert.throws(() => settingsFromIni(parseIni("[server:main]\nsystemd_sockets = maybe\n")),
      /^TypeError: Invalid value "maybe" for "systemd_sockets" in \[server:main\] \(line 2\): use true or false$/);
  });
});

describe("socket activation in prepareCli() (a fake environment)", () => {
  /** A fake CliEnv whose variables are `vars` (unsetEnv removes them) and whose pid is 4242. */
  function activatedEnv(vars: Record<string, string>, files: Record<string, string> = {}) {
    const fake = fakeEnv({ cwd: fixtures, files: Object.fromEntries(Object.entries(files).map(([name, text]) => [join(fixtures, name), text])) });
    const env = { ...fake.env, pid: 4242, getEnv: (name: string) => vars[name], unsetEnv: (name: string) => void delete vars[name] };
    return { env, vars };
  }

  it(supported ? "fills sockets, notes it for the log, and unsets the variables" : `refuses on ${title}, naming the runtime`, async () => {
    const { env, vars } = activatedEnv({ LISTEN_PID: "4242", LISTEN_FDS: "2", LISTEN_FDNAMES: "web:admin", OTHER: "x" });
    if (!supported) {
      await assert.rejects(prepareCli(["hello_app.mjs"], env), /is not available on Deno: Deno\.listen\(\) cannot listen/);
      return;
    }
    const plan = await prepareCli(["hello_app.mjs"], env);
    assert.equal(plan.kind, "serve");
    if (plan.kind !== "serve") return;
    assert.deepEqual(plan.options.sockets, [3, 4]);
    assert.deepEqual(plan.notes, [{ level: "info", text: "Socket activation: serving descriptors 3 (web), 4 (admin) from systemd" }]);
    assert.deepEqual(vars, { OTHER: "x" });
  });

  it("names a config file's listen key, and its systemd_sockets, in the errors", async () => {
    const listenInFile = activatedEnv({ LISTEN_PID: "4242", LISTEN_FDS: "1" }, { "act.ini": "[server:main]\nlisten = 127.0.0.1:8080\n" });
    await assert.rejects(prepareCli(["--config", "act.ini", "hello_app.mjs"], listenInFile.env),
      /^CliError: Socket activation \(LISTEN_FDS=1 for this process\) provides the listening sockets, so "listen" cannot be used/);
    const required = activatedEnv({}, { "req.ini": "[server:main]\nsystemd_sockets = true\n" });
    await assert.rejects(prepareCli(["--config", "req.ini", "hello_app.mjs"], required.env),
      /^CliError: "systemd_sockets" in "req\.ini": systemd passed no sockets \(LISTEN_FDS and LISTEN_PID are not set\)/);
    // The command line overrides the file: --no-systemd-sockets ignores the variables, and keeps them.
    const off = activatedEnv({ LISTEN_PID: "4242", LISTEN_FDS: "1" }, { "off.ini": "[server:main]\nsystemd_sockets = true\n" });
    const plan = await prepareCli(["--config", "off.ini", "--no-systemd-sockets", "--listen=127.0.0.1:0", "hello_app.mjs"], off.env);
    assert.equal(plan.kind === "serve" ? plan.options.sockets : "not served", undefined);
    assert.deepEqual(off.vars, { LISTEN_PID: "4242", LISTEN_FDS: "1" });
  });
});

describe("systemd socket activation (waitress-serve)", { skip: hasPython ? false : "python3 is missing" }, () => {
  it(supported ? "serves the TCP socket passed at descriptor 3, says so, and unsets the variables" : `exits 1 on ${title}, saying it cannot and what to do`, async () => {
    const c = activate(["--tcp=127.0.0.1:0", "--name=web"], ["activation_app.mjs"]);
    try {
      const port = await activatedPort(c);
      if (!supported) return await expectFailure(c, UNAVAILABLE);
      await expectOutput(c, new RegExp(`Serving on http://127\\.0\\.0\\.1:${port} \\(inherited descriptor 3\\)`));
      assert.match(c.output(), /Socket activation: serving descriptor 3 \(web\) from systemd/);
      const { status, text } = await get(port);
      assert.equal(status, 200);
      // Unset once read (sd_listen_fds(1)): the app, and the processes it starts, never see them.
      assert.deepEqual(JSON.parse(text), { LISTEN_PID: null, LISTEN_FDS: null, LISTEN_FDNAMES: null });
      await stopGracefully(c);
    } finally {
      await stopChild(c);
    }
  });

  it(supported ? "serves a TCP and a unix socket together, the unix one named by its path" : `exits 1 on ${title} with two sockets too`, async () => {
    const path = join(work, "activated.sock");
    const c = activate(["--tcp=127.0.0.1:0", `--unix=${path}`], ["activation_app.mjs"]);
    try {
      const port = await activatedPort(c);
      if (!supported) return await expectFailure(c, UNAVAILABLE);
      await expectOutput(c, new RegExp(`Serving on unix:${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(inherited descriptor 4\\)`));
      assert.match(c.output(), new RegExp(`Serving on http://127\\.0\\.0\\.1:${port} \\(inherited descriptor 3\\)`));
      assert.equal((await get(port)).status, 200);
      assert.equal((await get(0, path)).status, 200);
      await stopGracefully(c);
    } finally {
      await stopChild(c);
    }
  });

  it(supported ? "serves an IPv6 socket, reported as [::1]" : `exits 1 on ${title} for an IPv6 socket too`, async () => {
    const c = activate(["--tcp=[::1]:0"], ["activation_app.mjs"]);
    try {
      const port = await activatedPort(c, 3, "::1");
      if (!supported) return await expectFailure(c, UNAVAILABLE);
      await expectOutput(c, new RegExp(`Serving on http://\\[::1\\]:${port} \\(inherited descriptor 3\\)`));
      const client = new RawClient(port, "::1");
      try {
        await client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert.equal((await client.response()).status, 200);
      } finally {
        client.destroy();
      }
      await stopGracefully(c);
    } finally {
      await stopChild(c);
    }
  });

  it("ignores sockets whose LISTEN_PID names another process, with a warning, and listens as configured", async () => {
    const c = activate(["--tcp=127.0.0.1:0", "--wrong-pid"], ["--listen=127.0.0.1:0", "activation_app.mjs"]);
    try {
      const activated = await activatedPort(c);
      const m = await expectOutput(c, /Serving on http:\/\/127\.0\.0\.1:(\d+)(.*)/);
      assert.notEqual(Number(m[1]), activated);
      assert.equal(m[2]!.trim(), "", "not an inherited descriptor");
      assert.match(c.output(), /Socket activation ignored: LISTEN_PID=\d+ names another process \(this one is \d+\); listening as configured instead/);
      // sd_listen_fds(1) unsets them whether they were for this process or not.
      assert.deepEqual(JSON.parse((await get(Number(m[1]))).text), { LISTEN_PID: null, LISTEN_FDS: null, LISTEN_FDNAMES: null });
      await stopGracefully(c);
    } finally {
      await stopChild(c);
    }
  });

  it("--systemd-sockets makes sockets that are not for this process an error", async () => {
    const c = activate(["--tcp=127.0.0.1:0", "--wrong-pid"], ["--systemd-sockets", "activation_app.mjs"]);
    try {
      await expectFailure(c, /Error: --systemd-sockets: systemd's sockets are not for this process: LISTEN_PID=\d+ names another process/);
    } finally {
      await stopChild(c);
    }
  });

  it("--systemd-sockets without any socket is an error", async () => {
    const [command, argv] = runtimeCommand(cliEntry, ["--systemd-sockets", "activation_app.mjs"]);
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
    delete env.LISTEN_PID;
    delete env.LISTEN_FDS;
    const c = spawnChild(command, argv, { cwd: fixtures, env });
    try {
      await expectFailure(c, /Error: --systemd-sockets: systemd passed no sockets \(LISTEN_FDS and LISTEN_PID are not set\)/);
    } finally {
      await stopChild(c);
    }
  });

  it("a listen address given as well is a configuration error naming it", async () => {
    const c = activate(["--tcp=127.0.0.1:0"], ["--listen=127.0.0.1:0", "activation_app.mjs"]);
    try {
      await expectFailure(c, /Error: Socket activation \(LISTEN_FDS=1 for this process\) provides the listening sockets, so --listen cannot be used: remove it .*or pass --no-systemd-sockets/);
    } finally {
      await stopChild(c);
    }
  });

  it("--no-systemd-sockets ignores the sockets and leaves the variables alone", async () => {
    const c = activate(["--tcp=127.0.0.1:0"], ["--no-systemd-sockets", "--listen=127.0.0.1:0", "activation_app.mjs"]);
    try {
      await activatedPort(c);
      const m = await expectOutput(c, /Serving on http:\/\/127\.0\.0\.1:(\d+)\n/);
      const seen = JSON.parse((await get(Number(m[1]))).text) as Record<string, string | null>;
      assert.equal(seen.LISTEN_FDS, "1");
      assert.doesNotMatch(c.output(), /Socket activation/);
      await stopGracefully(c);
    } finally {
      await stopChild(c);
    }
  });
});

describe("serve({ sockets })", () => {
  it(supported ? "serves inherited descriptors in a child, reporting their addresses" : `is refused on ${title} through ready`, { skip: hasPython ? false : "python3 is missing" }, async () => {
    const mod = pathToFileURL(join(root, runtime === "node" ? "dist/mod.js" : "mod.ts")).href;
    const c = activate(["--tcp=127.0.0.1:0", "--no-env"], [mod, "3"], join(fixtures, "serve_fd_child.mjs"));
    try {
      const port = await activatedPort(c);
      if (!supported) {
        await expectOutput(c, /FAILED Setting "sockets" \(inherited descriptor 3\) is not available on Deno: Deno\.listen\(\) cannot listen on an inherited descriptor .*; listen with host and port, listen or unixSocket instead, or run on Node or Bun/);
        return;
      }
      const m = await expectOutput(c, /ADDRESSES (.*)/);
      assert.deepEqual(JSON.parse(m[1]!), [{ transport: "tcp", hostname: "127.0.0.1", port, fd: 3 }]);
      assert.equal((await get(port)).text, "served on an inherited socket");
      await stopGracefully(c);
    } finally {
      await stopChild(c);
    }
  });

  it("a runtime given as it is, without listenFd, makes startServer() throw at once, naming the descriptors", () => {
    const cannot = { name: "deno", listenFdUnavailable: "Deno.listen() cannot listen on an inherited descriptor" } as unknown as Runtime;
    assert.throws(() => startServer(() => new Response("x"), { sockets: [3, 4] }, cannot),
      /^TypeError: Setting "sockets" \(inherited descriptors 3, 4\) is not available on Deno: Deno\.listen\(\) cannot listen on an inherited descriptor; listen with host and port, listen or unixSocket instead, or run on Node or Bun$/);
  });

  it(supported ? "rejects ready for a datagram socket, saying it must be a stream socket" : `rejects ready on ${title} for a datagram socket too`, { skip: hasPython ? false : "python3 is missing" }, async () => {
    const mod = pathToFileURL(join(root, runtime === "node" ? "dist/mod.js" : "mod.ts")).href;
    const c = activate(["--udp=127.0.0.1:0", "--no-env"], [mod, "3"], join(fixtures, "serve_fd_child.mjs"));
    try {
      await expectOutput(c, supported
        ? /FAILED Cannot listen on inherited descriptor 3: the socket cannot listen \(EINVAL\): it must be a bound TCP or unix stream socket, not a datagram or connected one/
        : /FAILED Setting "sockets" \(inherited descriptor 3\) is not available on Deno/);
      assert.equal((await within(c.exit, 15000, () => c.output())).code, 3, c.output());
    } finally {
      await stopChild(c);
    }
  });

  it(supported ? "rejects ready for a descriptor that is a file, or not open, saying so" : `rejects ready on ${title}`, async () => {
    const file = join(work, "not-a-socket.txt");
    writeFileSync(file, "x");
    const fd = openSync(file, "r");
    try {
      const hello = () => new Response("x");
      for (const [fds, reason] of [
        [[fd], `Cannot listen on inherited descriptor ${fd}: it is a file, not a socket: pass the descriptor of a bound TCP or unix stream socket`],
        [[1020], "Cannot listen on inherited descriptor 1020: the descriptor is not open in this process (was it passed to it?)"],
      ] as const) {
        const server = createServer(hello, { sockets: fds, logger: captureLog().sink });
        await assert.rejects(server.ready, (error: Error) => {
          if (supported) assert.equal(error.message, reason);
          else assert.match(error.message, new RegExp(`^Setting "sockets" \\(inherited descriptor ${fds[0]}\\) is not available on ${title}`));
          return true;
        });
        await server.close();
      }
    } finally {
      closeSync(fd);
    }
  });
});

/** The fenced block of the README that starts with `# /etc/systemd/system/NAME`. */
function unitFile(name: string): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = new RegExp("```ini\\n(# /etc/systemd/system/" + name.replace(".", "\\.") + "\\n[\\s\\S]*?)```").exec(readme);
  assert.ok(block, `README.md has no \`\`\`ini block starting with "# /etc/systemd/system/${name}"`);
  return block[1]!;
}

/** The values of `key=` in a unit file. */
function unitValues(unit: string, key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]!.trim());
}

describe("the systemd units in the README", { skip: hasPython ? false : "python3 is missing" }, () => {
  it("run as documented: ListenStream= and FileDescriptorName= as the launcher binds, ExecStart= as the CLI runs", async () => {
    const socket = unitFile("app.socket");
    const service = unitFile("app.service");
    assert.deepEqual(unitValues(service, "Requires"), ["app.socket"], "the service names its socket");
    const [listen, ...more] = unitValues(socket, "ListenStream");
    assert.equal(more.length, 0, "one ListenStream= (the test runs one)");
    const host = /^(127\.0\.0\.1):(\d+)$/.exec(listen ?? "");
    assert.ok(host, `ListenStream=${listen} is HOST:PORT on 127.0.0.1`);
    const names = unitValues(socket, "FileDescriptorName");
    const [execStart] = unitValues(service, "ExecStart");
    const words = execStart!.split(/\s+/);
    // The package's bin (dist/cli.js, whose #!/usr/bin/env node execs node: LISTEN_PID names the server).
    assert.match(words[0]!, /\/node_modules\/\.bin\/waitress-(?:ts|serve)$/, "ExecStart= runs the bin itself, not npx or a shell");
    const args = words.slice(1);
    assert.deepEqual(args, ["--systemd-sockets", "app.mjs"]);
    // WorkingDirectory= holds app.mjs: here a copy of the fixture app.
    writeFileSync(join(work, "app.mjs"), readFileSync(join(fixtures, "activation_app.mjs")));
    const c = activate([`--tcp=${host[1]}:0`, ...names.map((n) => `--name=${n}`)], args, cliEntry, work);
    try {
      const port = await activatedPort(c);
      if (!supported) return await expectFailure(c, UNAVAILABLE);
      await expectOutput(c, new RegExp(`Serving on http://127\\.0\\.0\\.1:${port} \\(inherited descriptor 3\\)`));
      assert.match(c.output(), new RegExp(`Socket activation: serving descriptor 3 \\(${names[0]}\\) from systemd`));
      assert.equal((await get(port)).status, 200);
      await stopGracefully(c);
    } finally {
      await stopChild(c);
    }
  });
});
