/**
 * The WebSocket echo server of the independent-client tests (ws_python, ws_npm_client, ws_browser):
 * one Fetch handler that upgrades with `upgradeWebSocket` from mod.ts, picks a subprotocol, echoes
 * every message as it came (text as text, binary as binary), closes when asked to by a text message
 * `cmd:close CODE REASON`, and records what the server side saw (opens, closes with code, reason and
 * wasClean, errors) so the tests can check both ends. Requests without `Upgrade: websocket` go to
 * the test's own `extra` handler (the browser page and its report).
 *
 * With WS_TEST_REFERENCE=1 on Deno the same handler is served by `Deno.serve` with
 * `Deno.upgradeWebSocket` instead: the tests' clients and checks run against a server nobody here
 * wrote, to tell a harness bug from a server bug (settings such as wsMaxMessageSize do not apply).
 *
 * @module
 */
import process from "node:process";
import { type ServeOptions, upgradeWebSocket } from "../mod.ts";
import { runtime, startServer } from "./_helpers.ts";

/** The options of an upgrade: the subprotocol to select. */
export interface UpgradeOptions {
  protocol?: string;
}

/** The part of a server-side WebSocket the echo handler uses: ours and Deno's both have it. */
export interface EchoSocket {
  binaryType: BinaryType;
  readonly protocol: string;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void;
  close(code?: number, reason?: string): void;
}

/** `upgradeWebSocket(request, options)`: ours, or Deno's for the reference run. */
export type Upgrade = (request: Request, options?: UpgradeOptions) => { socket: EchoSocket; response: Response };

type DenoServe = {
  upgradeWebSocket: Upgrade;
  serve(options: { hostname: string; port: number; onListen(addr: { port: number }): void }, handler: (request: Request) => Response | Promise<Response>): { shutdown(): Promise<void> };
};
const deno = (globalThis as { Deno?: DenoServe }).Deno;

/** The reference run: WS_TEST_REFERENCE=1 on Deno. */
export const reference: boolean = runtime === "deno" && process.env.WS_TEST_REFERENCE === "1";

/** The subprotocols the echo server speaks, in its order of preference. */
export const SERVER_PROTOCOLS: readonly string[] = ["superchat", "chat"];

/** What the server side saw. */
export interface EchoLog {
  opened: number;
  messages: number;
  protocols: string[];
  closes: { code: number; reason: string; wasClean: boolean }[];
  errors: string[];
}

/**
 * An empty log.
 *
 * @example
 * ```ts ignore
 * const log = echoLog(); // log.closes fills as sockets close
 * ```
 */
export function echoLog(): EchoLog {
  return { opened: 0, messages: 0, protocols: [], closes: [], errors: [] };
}

/**
 * The echo handler. `?binaryType=blob` leaves the socket's binaryType at its default ("blob"), so
 * binary messages arrive as Blob and are sent back as Blob; otherwise they are ArrayBuffers.
 *
 * @example
 * ```ts ignore
 * const log = echoLog();
 * const server = serve(echoApp(upgradeWebSocket, log), { port: 0 });
 * ```
 */
export function echoApp(upgrade: Upgrade, log: EchoLog, extra?: (request: Request) => Response | Promise<Response> | undefined): (request: Request) => Response | Promise<Response> {
  return (request) => {
    if ((request.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") {
      return extra?.(request) ?? new Response("not found", { status: 404 });
    }
    const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim()).filter(Boolean);
    const protocol = SERVER_PROTOCOLS.find((p) => offered.includes(p));
    const { socket, response } = upgrade(request, protocol === undefined ? {} : { protocol });
    if (new URL(request.url).searchParams.get("binaryType") !== "blob") socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      log.opened++;
      log.protocols.push(socket.protocol);
    };
    socket.onmessage = (event: MessageEvent) => {
      log.messages++;
      const data = event.data as string | ArrayBuffer | Blob;
      if (typeof data === "string" && data.startsWith("cmd:close ")) {
        const [, code, ...reason] = data.split(" ");
        socket.close(Number(code), reason.join(" "));
        return;
      }
      socket.send(data);
    };
    socket.onclose = (event: CloseEvent) => {
      log.closes.push({ code: event.code, reason: event.reason, wasClean: event.wasClean });
    };
    socket.onerror = (event: Event) => {
      log.errors.push(String((event as ErrorEvent).message ?? event.type));
    };
    return response;
  };
}

/** A running echo server. */
export interface EchoServer {
  port: number;
  log: EchoLog;
  close(): Promise<void>;
}

/**
 * Starts the echo server on 127.0.0.1 (a free port): ours in-process via startServer with `options`,
 * or Deno.serve in the reference run.
 *
 * @example
 * ```ts ignore
 * const server = await startEcho(undefined, { wsMaxMessageSize: 1024 });
 * const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
 * // ... then: await server.close();
 * ```
 */
export async function startEcho(extra?: (request: Request) => Response | Promise<Response> | undefined, options: Record<string, unknown> = {}): Promise<EchoServer> {
  const log = echoLog();
  if (reference) {
    let port = 0;
    let stop = async (): Promise<void> => {};
    const listening = new Promise<void>((resolve) => {
      const server = deno!.serve({ hostname: "127.0.0.1", port: 0, onListen: (addr) => { port = addr.port; resolve(); } }, echoApp(deno!.upgradeWebSocket, log, extra));
      stop = () => server.shutdown();
    });
    await listening;
    return { port, log, close: () => stop() };
  }
  const s = await startServer(echoApp(upgradeWebSocket, log, extra), options as ServeOptions);
  return { port: s.port, log, close: () => s.close() };
}
