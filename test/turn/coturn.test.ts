import crypto from "node:crypto";
import dgram from "node:dgram";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runningPid } from "../../scripts/lib/daemon.ts";
import { loadOrCreateSecrets, ports, workerVars, type LocalSecrets } from "../../scripts/lib/local-config.ts";
import { issueTurnCredentials } from "../../workers/turn/turn-credentials.ts";
import { parseTurnUrls } from "../../workers/turn/turn-urls.ts";
import { MessageType, encodeStunMessage, magicCookie, newTransactionId, requestedTransport } from "./stun-message.ts";
import { TurnClient, type TurnCredentials } from "./turn-client.ts";

// Runs against the coturn that test/global-setup.ts starts (TEST_SERVICES=turn).
const server = { address: "127.0.0.1", port: ports.turn };

let secrets: LocalSecrets;
let urls: string[];
const opened: TurnClient[] = [];
const peers: dgram.Socket[] = [];

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
  urls = parseTurnUrls(workerVars(secrets).TURN_URLS);
});

afterEach(async () => {
  for (const client of opened.splice(0)) client.close();
  for (const peer of peers.splice(0)) peer.close();
});

async function client(localPort = 0): Promise<TurnClient> {
  const opening = await TurnClient.open(server, localPort);
  opened.push(opening);
  return opening;
}

async function credentialsFor(userId: string, now = new Date(), ttlSeconds = 600): Promise<TurnCredentials> {
  const ice = await issueTurnCredentials({ secret: secrets.turnSecret, ttlSeconds, userId, urls, now });
  return { username: ice.username, password: ice.credential };
}

/** Allocates, checks the relay is ours, and releases it so repeated runs don't use up the port range. */
async function expectAllocationWorks(turn: TurnClient, credentials: TurnCredentials) {
  const result = await turn.allocate(credentials);
  expect(result).toMatchObject({ ok: true, relayed: { address: "127.0.0.1" } });
  if (!result.ok) return;
  expect(result.relayed.port).toBeGreaterThanOrEqual(ports.turnRelayMin);
  expect(result.relayed.port).toBeLessThanOrEqual(ports.turnRelayMax);
  expect(await turn.refresh(0)).toBeUndefined();
}

async function udpPeer(): Promise<dgram.Socket> {
  const peer = dgram.createSocket("udp4");
  peers.push(peer);
  await new Promise<void>((resolve) => peer.bind(0, "127.0.0.1", resolve));
  return peer;
}

function nextDatagram(socket: dgram.Socket, timeoutMs = 3000): Promise<{ data: Buffer; from: dgram.RemoteInfo }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no datagram within ${timeoutMs} ms`)), timeoutMs);
    socket.once("message", (data, from) => {
      clearTimeout(timer);
      resolve({ data, from });
    });
  });
}

describe("coturn with REST-style credentials", () => {
  it("credentials from issueTurnCredentials allocate a relay address on 127.0.0.1", async () => {
    const turn = await client();
    const result = await turn.allocate(await credentialsFor("participant-alloc"));
    expect(result).toMatchObject({ ok: true, relayed: { address: "127.0.0.1" } });
    if (!result.ok) return;
    expect(result.relayed.port).toBeGreaterThanOrEqual(ports.turnRelayMin);
    expect(result.relayed.port).toBeLessThanOrEqual(ports.turnRelayMax);
    expect(result.mapped).toEqual(turn.local);
    // coturn signs its answer with the key derived from our password: both sides computed the same credential.
    expect(result.responseIntegrity).toBe(true);
    expect(await turn.refresh(0)).toBeUndefined();
  });

  it("relays datagrams both ways between the client and a permitted peer", async () => {
    const turn = await client();
    const result = await turn.allocate(await credentialsFor("participant-relay"));
    if (!result.ok) throw new Error(`allocate failed: ${result.code} ${result.reason}`);
    const peer = await udpPeer();
    const peerAddress = { address: "127.0.0.1", port: peer.address().port };
    expect(await turn.createPermission(peerAddress)).toBeUndefined();

    const outbound = nextDatagram(peer);
    await turn.sendToPeer(peerAddress, Buffer.from("ping"));
    const { data, from } = await outbound;
    expect(data.toString()).toBe("ping");
    // The peer sees the relayed address, never the client's own.
    expect({ address: from.address, port: from.port }).toEqual(result.relayed);

    peer.send("pong", result.relayed.port, result.relayed.address);
    const inbound = await turn.receiveFromPeer();
    expect(inbound.data.toString()).toBe("pong");
    expect(inbound.peer).toEqual(peerAddress);
    expect(await turn.refresh(0)).toBeUndefined();
  });

  it("a wrong password is refused with 401", async () => {
    const { username } = await credentialsFor("participant-wrong");
    const result = await (await client()).allocate({ username, password: crypto.randomBytes(20).toString("base64") });
    expect(result).toMatchObject({ ok: false, code: 401 });
  });

  it("a credential minted with another secret is refused with 401", async () => {
    const forged = await issueTurnCredentials({
      secret: crypto.randomBytes(24).toString("base64url"),
      ttlSeconds: 600,
      userId: "participant-forged",
      urls,
      now: new Date(),
    });
    const result = await (await client()).allocate({ username: forged.username, password: forged.credential });
    expect(result).toMatchObject({ ok: false, code: 401 });
  });

  it("expired credentials (expiry in the past) are refused with 401", async () => {
    // Minted two hours ago with a one-hour lifetime: the signature is valid, the expiry is not.
    const expired = await credentialsFor("participant-expired", new Date(Date.now() - 2 * 3600_000), 3600);
    expect(Number(expired.username.split(":")[0])).toBeLessThan(Date.now() / 1000);
    const result = await (await client()).allocate(expired);
    expect(result).toMatchObject({ ok: false, code: 401 });
  });

  it("a port whose earlier owner left its allocation (437 there) is left for another, and the answer is the credential's", async () => {
    const leaver = await client();
    expect(await leaver.allocate(await credentialsFor("participant-leaver"))).toMatchObject({ ok: true });
    const { port } = leaver.local;
    leaver.close(); // a crashed browser: no Refresh(0), the allocation stays on its 5-tuple

    const heir = await client(port);
    const expired = await credentialsFor("participant-heir", new Date(Date.now() - 2 * 3600_000), 3600);
    expect(await heir.allocate(expired)).toMatchObject({ ok: false, code: 401 });
    expect(heir.local.port).not.toBe(port);
    await expectAllocationWorks(heir, await credentialsFor("participant-heir"));
  });

  it("extending the expiry in the username invalidates the credential", async () => {
    const genuine = await credentialsFor("participant-extend");
    const [expiry, userId] = genuine.username.split(":");
    const extended = { ...genuine, username: `${Number(expiry) + 30 * 86_400}:${userId}` };
    const result = await (await client()).allocate(extended);
    expect(result).toMatchObject({ ok: false, code: 401 });
  });

  it("garbage datagrams do not crash coturn: a later allocate still works", async () => {
    const pidBefore = runningPid("turn");
    expect(pidBefore).toBeDefined();
    const attacker = await client();
    const header = (type: number, length: number) => {
      const bytes = Buffer.alloc(20);
      bytes.writeUInt16BE(type, 0);
      bytes.writeUInt16BE(length, 2);
      bytes.writeUInt32BE(magicCookie, 4);
      newTransactionId().copy(bytes, 8);
      return bytes;
    };
    const validAllocate = encodeStunMessage({
      type: MessageType.AllocateRequest,
      transactionId: newTransactionId(),
      attributes: [requestedTransport()],
    });
    const malformed = [
      Buffer.alloc(0),
      Buffer.from([0x00]),
      header(MessageType.AllocateRequest, 0xfffc), // length far beyond the datagram
      // USERNAME claiming 65535 bytes inside an 8-byte body
      Buffer.concat([header(MessageType.AllocateRequest, 8), Buffer.from([0x00, 0x06, 0xff, 0xff, 0x41, 0x41, 0x41, 0x41])]),
      // zero-length MESSAGE-INTEGRITY
      Buffer.concat([header(MessageType.AllocateRequest, 4), Buffer.from([0x00, 0x08, 0x00, 0x00])]),
      Buffer.concat([header(0x3fff, 0)]), // unknown method
      validAllocate.subarray(0, validAllocate.length - 2), // truncated
      Buffer.from([0x40, 0x00, 0xff, 0xff, 1, 2, 3, 4]), // ChannelData claiming 64 KiB
      Buffer.alloc(1500, 0xff),
      ...Array.from({ length: 200 }, () => crypto.randomBytes(crypto.randomInt(1, 1400))),
    ];
    for (const datagram of malformed) await attacker.sendRaw(datagram);

    await expectAllocationWorks(await client(), await credentialsFor("participant-after-garbage"));
    expect(runningPid("turn")).toBe(pidBefore);
  });
});
