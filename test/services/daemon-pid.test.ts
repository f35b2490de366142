import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive, runningPid, sleep, startDaemon, stopDaemon } from "../../scripts/lib/daemon.ts";
import { runDir } from "../../scripts/lib/paths.ts";

const name = `daemon-pid-test-${process.pid}`;

afterAll(async () => {
  await stopDaemon(name, 1000);
});

describe("daemon pid files", () => {
  it("name the process started, and a reused pid is not taken for it (nor stopped in its place)", async () => {
    const { pid, started } = startDaemon({ name, command: "sleep", args: ["60"] });
    expect(started).toBe(true);
    expect(runningPid(name)).toBe(pid);
    expect(startDaemon({ name, command: "sleep", args: ["60"] })).toEqual({ pid, started: false });

    // The same file pointing at a live process that is not the one started (this test's own pid, as a reused
    // pid would after a SIGKILL) reads as not running, and stopping the daemon leaves that process alone.
    const file = path.join(runDir, `${name}.pid`);
    writeFileSync(file, `${process.pid} 1`);
    expect(runningPid(name)).toBeUndefined();
    expect(await stopDaemon(name, 1000)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);

    // The daemon itself is still ours to stop by pid.
    process.kill(-pid, "SIGTERM");
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(20);
    expect(isAlive(pid)).toBe(false);
  });
});
