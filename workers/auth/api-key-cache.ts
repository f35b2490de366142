import type { ActiveApiKey } from "./api-key-repository.ts";
import { BoundedLru } from "./bounded-lru.ts";

/**
 * API keys resolved without a Postgres round trip per request: an in-isolate LRU in front of a shared cache
 * (Redis) in front of Postgres, all keyed by SHA-256(key) alone, never the key and nothing else a caller sends.
 *
 * Staleness is bounded by when Postgres last said yes, not by how many layers an answer passed through: an entry
 * carries `validUntil` = (start of the Postgres read) + `stalenessBoundMs`, capped by the key's own expiry, and no
 * layer serves it after that. So a key revoked or a tenant suspended by any means is refused within 30 s; through
 * `revokeApiKey`/`setTenantStatus`, which also purge the shared entry, within `localTtlMs` (2 s), the longest an
 * isolate answers from its own memory. Unknown keys are remembered only in this isolate, in their own small LRU, so
 * guessing can evict neither a real key nor anything in Redis. A shared-cache failure is a miss: Postgres decides.
 */
export const stalenessBoundMs = 30_000;
export const localTtlMs = 2_000;
const positiveCapacity = 1_000;
const negativeCapacity = 256;

export interface CachedApiKey extends ActiveApiKey {
  /** Epoch ms after which this answer must be re-checked against Postgres. */
  validUntil: number;
}

/** The shared layer (Redis); every method may throw, which the resolver treats as a miss. */
export interface SharedApiKeyCache {
  get(keyHash: string): Promise<CachedApiKey | undefined>;
  set(keyHash: string, entry: CachedApiKey, ttlMs: number): Promise<void>;
  delete(keyHashes: readonly string[]): Promise<void>;
}

export interface ApiKeyCacheDependencies {
  shared: SharedApiKeyCache;
  /** Postgres: the key if it is active now, with its expiry. */
  load(keyHash: string): Promise<(ActiveApiKey & { expiresAt: Date | null }) | undefined>;
  /** Keeps a background write alive after the response (ctx.waitUntil). */
  defer(work: Promise<unknown>): void;
  now?: () => number;
}

export class ApiKeyCache {
  private readonly positives = new BoundedLru<string, { key: CachedApiKey; localUntil: number }>(positiveCapacity);
  private readonly negatives = new BoundedLru<string, number>(negativeCapacity);

  async resolve(keyHash: string, deps: ApiKeyCacheDependencies): Promise<ActiveApiKey | undefined> {
    const now = (deps.now ?? Date.now)();
    const local = this.positives.get(keyHash);
    if (local && now < local.localUntil) return publicPart(local.key);
    this.positives.delete(keyHash);
    const refused = this.negatives.get(keyHash);
    if (refused !== undefined && now < refused) return undefined;

    const shared = await deps.shared.get(keyHash).catch(() => undefined);
    if (shared && now < shared.validUntil) {
      this.positives.set(keyHash, { key: shared, localUntil: Math.min(now + localTtlMs, shared.validUntil) });
      return publicPart(shared);
    }

    // The bound counts from before the read: a revocation committed while it runs is still covered.
    const found = await deps.load(keyHash);
    if (!found) {
      this.negatives.set(keyHash, now + localTtlMs);
      return undefined;
    }
    const validUntil = Math.min(now + stalenessBoundMs, found.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY);
    const entry: CachedApiKey = { keyId: found.keyId, tenantId: found.tenantId, validUntil };
    this.negatives.delete(keyHash);
    this.positives.set(keyHash, { key: entry, localUntil: Math.min(now + localTtlMs, validUntil) });
    if (validUntil > now) deps.defer(deps.shared.set(keyHash, entry, validUntil - now).catch(() => {}));
    return publicPart(entry);
  }

  /** Drops this isolate's copies (the revoking request's own isolate then refuses at once). */
  forget(keyHashes: readonly string[]): void {
    for (const hash of keyHashes) this.positives.delete(hash);
  }
}

const publicPart = ({ keyId, tenantId }: CachedApiKey): ActiveApiKey => ({ keyId, tenantId });
