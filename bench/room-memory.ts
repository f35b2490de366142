import fs from "node:fs";
import WebSocket from "ws";
import { databaseUrl, host, loadOrCreateSecrets, ports } from "../scripts/lib/local-config.ts";
import { provisionTenant } from "../scripts/lib/dev-tenant.ts";
import { workerUrl } from "../scripts/services/worker.ts";
import { runBounded } from "./latency-stats.ts";

/**
 * What an idle participant costs the runtime: workerd's resident memory (VmRSS of the process serving the
 * stack's Worker) before and after 1,000 sockets joined 10 meetings and went quiet. RSS includes the isolate's
 * heap, which the garbage collector grows in steps, so the figure is an estimate to compare runs, not a bill.
 */

export interface MemoryOptions {
  meetings: number;
  participantsPerMeeting: number;
  settleMs: number;
}

export const defaultMemoryOptions: MemoryOptions = { meetings: 10, participantsPerMeeting: 100, settleMs: 5_000 };

/** The workerd process serving the stack's Worker: the one given its trigger port as the entry socket (serve.ts). */
function workerdPid(): number {
  const entry = `entry=${host}:${ports.workerTriggers}`;
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (argv[0]?.endsWith("workerd") && argv.some((arg) => arg.includes(entry))) return Number(name);
    } catch {
      /* gone meanwhile */
    }
  }
  throw new Error(`no workerd serving ${entry}`);
}

const residentBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

async function postJson<T>(path: string, apiKey: string, body: unknown): Promise<T> {
  const response = await fetch(`${workerUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

function joinIdle(connectUrl: string, timeoutMs = 20_000): Promise<WebSocket> {
  const socket = new WebSocket(connectUrl, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no welcome in time")), timeoutMs);
    socket.once("open", () => socket.send(JSON.stringify({ id: "hello", type: "hello", protocolVersion: 1 })));
    socket.once("error", reject);
    socket.on("message", (data) => {
      if (!String(data).includes('"welcome"')) return;
      clearTimeout(timer);
      socket.removeAllListeners("message");
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

export async function benchRoomMemory(options: MemoryOptions = defaultMemoryOptions): Promise<void> {
  const { meetings: m, participantsPerMeeting: per, settleMs } = options;
  const secrets = await loadOrCreateSecrets();
  const tenant = await provisionTenant(databaseUrl(secrets), "bench room memory");
  const meetings = await Promise.all(
    Array.from({ length: m }, () =>
      postJson<{ id: string }>("/v1/meetings", tenant.apiKey, { title: "bench memory", maxParticipants: per }),
    ),
  );
  const urls: string[] = [];
  await runBounded(m * per, 16, async (i) => {
    const meeting = meetings[i % m]!;
    urls[i] = (
      await postJson<{ connectUrl: string }>(`/v1/meetings/${meeting.id}/tokens`, tenant.apiKey, {
        identity: `idle-${i}`,
        role: "participant",
        ttlSeconds: 900,
      })
    ).connectUrl;
  });
  const pid = workerdPid();
  const before = residentBytes(pid);
  const sockets: WebSocket[] = [];
  try {
    await runBounded(m * per, 20, async (i) => {
      sockets[i] = await joinIdle(urls[i]!);
    });
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const after = residentBytes(pid);
    const perParticipant = (after - before) / (m * per);
    console.log(
      `\nIdle participants: ${m * per} sockets in ${m} meetings, quiet for ${settleMs / 1000} s: workerd RSS ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MiB,` +
        ` ${(perParticipant / 1024).toFixed(1)} KiB per connected participant (RSS includes the isolate heap the GC grows in steps: an estimate)`,
    );
  } finally {
    await Promise.allSettled(meetings.map((meeting) => postJson(`/v1/meetings/${meeting.id}/end`, tenant.apiKey, {})));
    for (const socket of sockets) socket?.terminate();
  }
}
