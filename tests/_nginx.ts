/**
 * A real nginx for the reverse-proxy tests: run in the foreground as a child, in a temp directory of
 * its own (temp paths, pid file, logs to stderr), on a free loopback port, stopped by its pid.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { within } from "./_child.ts";
import { freePort, waitForPort } from "./_ports.ts";

/** The nginx binary (Debian package nginx-light); NGINX_BIN overrides it. */
export const NGINX: string = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
/** Whether it is installed: the tests skip, with a message, where it is not. */
export const HAVE_NGINX: boolean = existsSync(NGINX);

/** A running nginx. */
export interface Nginx {
  /** Its temp directory (for unix sockets of the upstreams, say); removed by `stop()`. */
  dir: string;
  /** The loopback port it listens on. */
  port: number;
  /** Everything it wrote so far (its error log goes to stderr). */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/** A temp directory with the `temp/` and `logs/` nginx needs, for a test that must know it first. */
export function nginxDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, "temp"));
  mkdirSync(join(dir, "logs"));
  return dir;
}

/**
 * Starts nginx with `servers(port)` (the `server {}` and `upstream {}` blocks of its `http {}`, for
 * the free port it listens on) in `dir` (from {@linkcode nginxDir}), and waits until it listens.
 *
 * @example
 * ```ts ignore
 * const nginx = await startNginx(nginxDir("waitress-nginx-"), (port) => `server { listen 127.0.0.1:${port}; }`);
 * await nginx.stop();
 * ```
 */
export async function startNginx(dir: string, servers: (port: number) => string): Promise<Nginx> {
  const port = await freePort();
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, `${isRoot ? "user root;\n" : ""}worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/temp/body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
${servers(port)}
}
`);
  const child = spawn(NGINX, ["-p", dir, "-c", conf, "-g", `daemon off; pid ${join(dir, "nginx.pid")}; error_log stderr;`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = `nginx exited (code ${code}, signal ${signal}):\n${output}`;
      resolve();
    });
    child.once("error", (error) => {
      exited = `nginx could not start: ${String(error)}`;
      resolve();
    });
  });
  child.stdout!.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
  child.stderr!.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
  const stop = async (): Promise<void> => {
    try {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, "SIGTERM");
        try {
          await within(exit, 5000, () => "waiting for nginx to stop");
        } catch {
          process.kill(child.pid, "SIGKILL");
          await within(exit, 5000, () => "waiting for the killed nginx").catch(() => {});
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await waitForPort(port, 10_000, () => exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, port, output: () => output, stop };
}
