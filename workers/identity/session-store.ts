import type { Redis } from "@upstash/redis/cloudflare";
import { z } from "zod";
import { randomToken } from "../crypto/random-token.ts";
import { sha256Hex } from "../crypto/sha256-hex.ts";
import { sessionTiming, sessionTtlMs, sessionVerdict } from "./core/session-rules.ts";

/**
 * Signed-in sessions, server-side in Redis: the cookie carries a random id, Redis keeps its hash → who and when
 * (core/session-rules.ts decides expiry and rotation), and each user's set of session hashes, so signing out
 * everywhere (or deactivating the user) deletes them all at once. The CSRF token is per session and survives rotation.
 */
const Session = z
  .object({
    userId: z.string(),
    tenantId: z.string(),
    csrfToken: z.string(),
    createdAt: z.number(),
    issuedAt: z.number(),
    lastSeenAt: z.number(),
    retiresAt: z.number().optional(),
  })
  .strict();
export type Session = z.infer<typeof Session>;

/** How stale `lastSeenAt` may get before a request writes it back (a session in use is not rewritten per request). */
const touchEveryMs = 60_000;

const sessionKey = (hash: string) => `session:v1:${hash}`;
const userSessionsKey = (userId: string) => `user-sessions:v1:${userId}`;

export interface ResolvedSession {
  session: Session;
  /** A new id to set in the cookie: the session was rotated by this request. */
  rotatedId?: string;
}

export class SessionStore {
  constructor(private readonly redis: Redis) {}

  async create(userId: string, tenantId: string, now = Date.now()): Promise<{ id: string; session: Session }> {
    const session: Session = { userId, tenantId, csrfToken: randomToken(), createdAt: now, issuedAt: now, lastSeenAt: now };
    const id = randomToken();
    await this.write(await sha256Hex(id), session, now);
    return { id, session };
  }

  async resolve(id: string | undefined, now = Date.now()): Promise<ResolvedSession | undefined> {
    if (!id || id.length > 128) return undefined;
    const hash = await sha256Hex(id);
    const parsed = Session.safeParse(await this.redis.get(sessionKey(hash)));
    if (!parsed.success) return undefined;
    const session = parsed.data;
    const verdict = sessionVerdict(session, now);
    if (verdict === "expired") {
      await this.forget(hash, session.userId);
      return undefined;
    }
    if (verdict === "rotate") {
      const rotatedId = randomToken();
      const fresh: Session = { ...session, issuedAt: now, lastSeenAt: now };
      delete fresh.retiresAt;
      await this.write(await sha256Hex(rotatedId), fresh, now);
      await this.write(hash, { ...session, lastSeenAt: now, retiresAt: now + sessionTiming.rotationGraceMs }, now);
      return { session: fresh, rotatedId };
    }
    if (now - session.lastSeenAt >= touchEveryMs) await this.write(hash, { ...session, lastSeenAt: now }, now);
    return { session };
  }

  async revoke(id: string): Promise<void> {
    const hash = await sha256Hex(id);
    const parsed = Session.safeParse(await this.redis.get(sessionKey(hash)));
    await this.forget(hash, parsed.success ? parsed.data.userId : undefined);
  }

  /** Every session of the user, on every device: sign-out everywhere, and deactivation. */
  async revokeAll(userId: string): Promise<number> {
    const hashes = await this.redis.smembers(userSessionsKey(userId));
    if (hashes.length) await this.redis.del(...hashes.map(sessionKey));
    await this.redis.del(userSessionsKey(userId));
    return hashes.length;
  }

  private async write(hash: string, session: Session, now: number): Promise<void> {
    const ttl = sessionTtlMs(session, now);
    const pipeline = this.redis.pipeline();
    pipeline.set(sessionKey(hash), session, { px: Math.ceil(ttl) });
    pipeline.sadd(userSessionsKey(session.userId), hash);
    pipeline.pexpire(userSessionsKey(session.userId), sessionTiming.absoluteMs);
    await pipeline.exec();
  }

  private async forget(hash: string, userId: string | undefined): Promise<void> {
    await this.redis.del(sessionKey(hash));
    if (userId) await this.redis.srem(userSessionsKey(userId), hash);
  }
}
