// The Hono app of the Hono comparison, shared by hono_node_server.mjs (@hono/node-server) and
// ours_hono_node.mjs (ours): a real Hono router whose route for `/` calls the workload's Fetch
// handler from workloads.mjs on the raw Request, so both servers return the same Response objects
// as every other server in this folder (hello: 200 "Hello World", text/plain;charset=UTF-8).
// Other paths get Hono's own 404.
import { Hono } from "hono";
import { fetchHandler } from "./workloads.mjs";

/** A Hono app serving `workload` on `/` (GET for hello, pipelined, close and big; POST for echo and stream-echo). */
export function honoApp(workload) {
  const handler = fetchHandler(workload);
  const app = new Hono();
  app.on(workload === "echo" || workload === "stream-echo" ? "POST" : "GET", "/", (c) => handler(c.req.raw));
  return app;
}
