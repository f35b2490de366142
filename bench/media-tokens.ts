import { exportJWK, generateKeyPair } from "jose";
import { AccessToken, TokenVerifier } from "livekit-server-sdk";
import { mintAccessToken } from "../media-fleet/livekit/access-tokens.ts";
import type { MediaPolicy } from "../media-fleet/media-grants.ts";
import { meetingMediaRoom } from "../media-fleet/meeting-media-room.ts";
import { participantRoles } from "../protocol/roles.ts";
import { mintJoinToken, verifyJoinToken } from "../workers/auth/join-token.ts";
import type { VerifiedParticipant } from "../protocol/room-contract.ts";
import { loadSigningKeys, type SigningKeys } from "../workers/auth/signing-keys.ts";
import { MeetingId, TenantId } from "../protocol/ids.ts";
import { summarize, type LatencySummary } from "./latency-stats.ts";

/**
 * Media credentials per participant when a meeting moves to the SFU (issue 5). Ours is the whole chain: verify
 * the ES256 join token as the Worker does (verifyJoinToken, real issuer/audience/claims checks), derive the
 * grant from its role and a policy (mediaAccess, inside mintAccessToken), mint the LiveKit token as
 * media-fleet/livekit/access-tokens.ts does, and verify it with TokenVerifier as the SFU would. The baseline is
 * livekit-server-sdk alone: AccessToken + TokenVerifier. Pure CPU in one process, no services; ops run one at
 * a time, so the figures are per core. Node's WebCrypto stands in for workerd's here.
 */

export interface MediaTokensBenchOptions {
  /** Rows with an ES256 verify in them (ours, and its join-token half): each op costs ~10x an HS256 one. */
  es256Ops: number;
  /** Rows that only sign and verify HS256 (the baseline, and the LiveKit half of ours). */
  hs256Ops: number;
  warmupOps: number;
  /** Distinct join tokens, minted before any timing; ops cycle through them. */
  joinTokens: number;
}

export const defaultMediaTokensBenchOptions: MediaTokensBenchOptions = {
  es256Ops: 3_000,
  hs256Ops: 10_000,
  warmupOps: 500,
  joinTokens: 1_000,
};

/** The Worker's default `JOIN_TOKEN_ISSUER` (workers/env.ts). */
const issuer = "edge-meetings";
const node = { url: "http://127.0.0.1:7880", apiKey: "bench-api-key" };
/** Policies a meeting might carry: the default, guests muted, participants without screen share. */
const policies: MediaPolicy[] = [
  { guestsCanPublish: true },
  { guestsCanPublish: false },
  { guestsCanPublish: true, guestSources: ["microphone"], participantSources: ["camera", "microphone"] },
];

async function joinTokenKeys(): Promise<SigningKeys> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  // Through loadSigningKeys, so verification looks the key up by kid in a local JWKS exactly as the Worker does.
  return loadSigningKeys(JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "bench-1" }]));
}

/** Join tokens as tenants mint them: a few tenants and meetings, every role, a name on most. */
async function mintJoinTokens(keys: SigningKeys, count: number): Promise<string[]> {
  const tenants = Array.from({ length: 4 }, () => TenantId.parse(crypto.randomUUID()));
  const meetings = Array.from({ length: 50 }, () => MeetingId.parse(crypto.randomUUID()));
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      mintJoinToken(keys, {
        tenantId: tenants[i % tenants.length]!,
        meetingId: meetings[i % meetings.length]!,
        identity: `user-${i}`,
        role: participantRoles[i % participantRoles.length]!,
        ...(i % 5 ? { name: `Participant ${i}` } : {}),
        ttlSeconds: 600,
        issuer,
      }).then((minted) => minted.token),
    ),
  );
}

async function measure(count: number, op: (i: number) => Promise<unknown>): Promise<LatencySummary> {
  const samples = new Array<number>(count);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await op(i);
    samples[i] = performance.now() - t0;
  }
  return summarize(samples, performance.now() - started);
}

const us = (ms: number) => `${(ms * 1000).toFixed(1).padStart(7)} µs`;
const row = (name: string, s: LatencySummary) =>
  `${name.padEnd(58)} ${s.perSecond.toFixed(0).padStart(7)}/s  p50 ${us(s.p50)}  p99 ${us(s.p99)}  (${s.count} ops)`;

export async function benchMediaTokens(options: MediaTokensBenchOptions = defaultMediaTokensBenchOptions): Promise<void> {
  const keys = await joinTokenKeys();
  const apiSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const livekitKey = { ...node, apiSecret };
  const sfuVerifier = new TokenVerifier(node.apiKey, apiSecret);
  const joinTokens = await mintJoinTokens(keys, options.joinTokens);
  // Claims decoded once up front, so the LiveKit half is timed without the join-token half.
  const claimsPool = await Promise.all(joinTokens.map((token) => verifyJoinToken(keys, token, { issuer })));

  const joinVerify = (i: number) => verifyJoinToken(keys, joinTokens[i % joinTokens.length]!, { issuer });

  const livekitMintVerify = async (claims: VerifiedParticipant, i: number) => {
    const room = meetingMediaRoom(claims.tenantId, claims.meetingId);
    const { token } = await mintAccessToken(livekitKey, {
      room,
      identity: claims.identity,
      ...(claims.name ? { name: claims.name } : {}),
      role: claims.role,
      policy: policies[i % policies.length]!,
    });
    const verified = await sfuVerifier.verify(token);
    // A token the SFU would read as someone else, or for another room, would make the figures meaningless.
    if (verified.sub !== claims.identity || verified.video?.room !== room)
      throw new Error("LiveKit token does not carry the join token's identity and room");
    return token;
  };

  const chain = async (i: number) => livekitMintVerify(await joinVerify(i), i);
  const livekitHalf = (i: number) => livekitMintVerify(claimsPool[i % claimsPool.length]!, i);

  const sdkAlone = async (i: number) => {
    const claims = claimsPool[i % claimsPool.length]!;
    const room = `${claims.tenantId}:${claims.meetingId}`;
    const at = new AccessToken(node.apiKey, apiSecret, { identity: claims.identity, ttl: 600 });
    at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
    const token = await at.toJwt();
    const verified = await sfuVerifier.verify(token);
    if (verified.sub !== claims.identity || verified.video?.room !== room)
      throw new Error("SDK token does not carry the identity and room");
    return token;
  };

  // Warm-up: every path runs before any is measured, so the JIT and the key caches are settled for all of them.
  for (const op of [sdkAlone, chain, joinVerify, livekitHalf]) {
    for (let i = 0; i < options.warmupOps; i++) await op(i);
  }

  const baseline = await measure(options.hs256Ops, sdkAlone);
  const ours = await measure(options.es256Ops, chain);
  const joinOnly = await measure(options.es256Ops, joinVerify);
  const livekitOnly = await measure(options.hs256Ops, livekitHalf);

  const ourBytes = (await chain(0)).length;
  const baselineBytes = (await sdkAlone(0)).length;
  console.log(
    `\nMedia tokens per participant on the move to the SFU (ES256 join token in, HS256 LiveKit token out; sequential ops, pure CPU, one process)`,
  );
  console.log(row("baseline: SDK AccessToken.toJwt + TokenVerifier.verify", baseline));
  console.log(row("ours: join verify → mediaAccess → mint → LiveKit verify", ours));
  console.log(row("  half: join-token verify (ES256, jose + zod claims)", joinOnly));
  console.log(row("  half: mediaAccess + mintAccessToken + TokenVerifier", livekitOnly));
  console.log(
    `${options.joinTokens} distinct join tokens (4 roles, 3 policies), ${options.warmupOps} warm-up ops per row;` +
      ` LiveKit token ${ourBytes} bytes ours (per-source grant, role attribute, name) vs ${baselineBytes} baseline`,
  );
  console.log(
    `ratio (ours / baseline): throughput ${(ours.perSecond / baseline.perSecond).toFixed(2)}x, p50 latency ${(ours.p50 / baseline.p50).toFixed(2)}x;` +
      ` LiveKit half alone ${(livekitOnly.perSecond / baseline.perSecond).toFixed(2)}x throughput`,
  );
}
