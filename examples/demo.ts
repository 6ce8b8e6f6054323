/**
 * The demo app: `npm start` (Node), `deno task start` or `deno run -A examples/demo.ts`, `bun examples/demo.ts`.
 * Serves on the default address, 0.0.0.0:8080 (override with HOST / PORT). Routes: `/echo` (POST), `/stream`,
 * `/ws` (a WebSocket echo), anything else a JSON hello.
 */
import { serve, type RequestInfo, upgradeWebSocket } from "../mod.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

function app(request: Request, info: RequestInfo): Response | Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/ws" && request.headers.get("upgrade")?.toLowerCase() === "websocket") {
    // A WebSocket echo: `new WebSocket("ws://localhost:8080/ws")` in a browser console.
    const { socket, response } = upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(typeof event.data === "string" ? `echo: ${event.data}` : event.data);
    return response;
  }
  if (url.pathname === "/echo" && request.method === "POST") {
    return request.text().then((body) => new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } }));
  }
  if (url.pathname === "/stream") {
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (n++ === 5) return controller.close();
        controller.enqueue(new TextEncoder().encode(`chunk ${n}\n`));
      },
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  }
  return Response.json({
    message: "Hello from Waitress for TypeScript",
    method: request.method,
    url: request.url,
    remoteAddress: info.remoteAddress,
    httpVersion: info.httpVersion,
  });
}

serve(app, {
  host: env.HOST ?? "0.0.0.0",
  port: env.PORT ? Number(env.PORT) : 8080, // serve() takes numbers; the environment gives text
  logLevel: "info",
});
