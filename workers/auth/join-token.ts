import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { MeetingId, ParticipantIdentity, TenantId } from "../../protocol/ids.ts";
import { ParticipantRole } from "../../protocol/roles.ts";
import { storableLine } from "../../protocol/text.ts";
import type { VerifiedParticipant } from "../../protocol/room-contract.ts";
import { JoinTokenError } from "./errors.ts";
import type { SigningKeys } from "./signing-keys.ts";

/** Audience fixed for join tokens so no other JWT we might ever sign can be replayed as one. */
export const joinTokenAudience = "meeting-join";

const claimsSchema = z.object({
  sub: ParticipantIdentity,
  tid: TenantId,
  mid: MeetingId,
  role: ParticipantRole,
  name: storableLine().max(128).optional(),
  /** The signed-in person who minted it for themselves; a server key's tokens name no one. */
  uid: z.uuid().optional(),
  jti: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
});

export interface MintJoinToken {
  tenantId: TenantId;
  meetingId: MeetingId;
  identity: string;
  role: ParticipantRole;
  name?: string;
  /** The signed-in person minting it (a deactivation then makes it fail at connect). */
  mintedBy?: string;
  ttlSeconds: number;
  issuer: string;
  now?: Date;
}

export async function mintJoinToken(keys: SigningKeys, input: MintJoinToken): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const expiresAt = issuedAt + input.ttlSeconds;
  const token = await new SignJWT({
    tid: input.tenantId,
    mid: input.meetingId,
    role: input.role,
    ...(input.name ? { name: input.name } : {}),
    ...(input.mintedBy ? { uid: input.mintedBy } : {}),
  })
    .setProtectedHeader({ alg: "ES256", kid: keys.active.kid, typ: "JWT" })
    .setSubject(input.identity)
    .setIssuer(input.issuer)
    .setAudience(joinTokenAudience)
    .setJti(crypto.randomUUID())
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(keys.active.key);
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

/** Verifies signature (ES256 only: `none` and HS* are refused), issuer, audience, expiry and claim shapes. */
export async function verifyJoinToken(
  keys: SigningKeys,
  token: string,
  options: { issuer: string; now?: Date },
): Promise<VerifiedParticipant> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, keys.verifier, {
      algorithms: ["ES256"],
      issuer: options.issuer,
      audience: joinTokenAudience,
      clockTolerance: 5,
      ...(options.now ? { currentDate: options.now } : {}),
    }));
  } catch (error) {
    throw new JoinTokenError(error instanceof joseErrors.JWTExpired ? "join_token_expired" : "invalid_join_token");
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new JoinTokenError("invalid_join_token");
  const c = claims.data;
  return {
    tenantId: c.tid,
    meetingId: c.mid,
    identity: c.sub,
    role: c.role,
    ...(c.name ? { name: c.name } : {}),
    tokenId: c.jti,
    expiresAt: new Date(c.exp * 1000),
    ...(c.uid ? { mintedBy: c.uid } : {}),
  };
}
