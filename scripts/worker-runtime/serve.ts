import path from "node:path";
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

/**
 * Serves a Worker on workerd the way the edge receives it: the bundle `wrangler deploy` would upload (made by
 * worker-bundle.ts), its bindings, assets, crons and Durable Objects from its wrangler.toml, and nothing in front.
 * `wrangler dev` puts its own proxy Worker (a second workerd process) ahead of the Worker, which doubles every
 * request's and every WebSocket message's hops and negotiates permessage-deflate itself, so a Worker's own
 * choice about compression could not be seen locally. Crons are triggered on the trigger port with
 * GET /cdn-cgi/local/scheduled?cron=.
 *
 * Usage: serve.ts --config wrangler.toml --script <bundled module> --host 127.0.0.1 --port 8787 --trigger-port 8788
 *   --persist-to <dir>
 */
const { values } = parseArgs({
  options: {
    config: { type: "string" },
    script: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    "trigger-port": { type: "string" },
    "persist-to": { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});
const { config, script, host, port } = values;
const triggerPort = values["trigger-port"];
const persistTo = values["persist-to"];
if (!config || !script || !host || !port || !triggerPort || !persistTo)
  throw new Error("serve.ts needs --config, --script, --host, --port, --trigger-port and --persist-to");

// .dev.vars beside the config become the Worker's secrets, as under wrangler dev.
// Module rules only matter to an unbundled script: the bundle is one module.
const { modulesRules: _unbundledOnly, ...workerOptions } = unstable_getMiniflareWorkerOptions(path.resolve(config)).workerOptions;
// wrangler hands its worker options over in Miniflare 4's shape; Miniflare 5 converts them.
const miniflare = new Miniflare(
  convertV4MiniflareOptions({
    ...workerOptions,
    modules: true,
    modulesRoot: path.dirname(path.resolve(script)),
    scriptPath: path.resolve(script),
    // Clients reach the Worker's own socket, as at the edge; Miniflare's entry Worker (which would otherwise sit in
    // front and negotiate WebSocket compression itself) serves only the trigger routes, on their own port.
    unsafeDirectSockets: [{ host, port: Number(port) }],
    host,
    port: Number(triggerPort),
    // The same layout wrangler dev uses under --persist-to, so local data survives the switch either way.
    resourcePersistencePath: path.join(path.resolve(persistTo), "v3"),
    // No request.cf download: the network is closed.
    cf: false,
    unsafeTriggerHandlers: true,
    // Production logs no line per request from inside the runtime; each one here costs a round trip to Node.
    logRequests: false,
    log: new Log(values.quiet ? LogLevel.WARN : LogLevel.INFO),
  }),
);

const entryUrl = await miniflare.ready;
console.log(`triggers on ${entryUrl.href}`);
console.log(`worker ready on http://${host}:${port}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await miniflare.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
