import { and, desc, eq, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { PageCursor } from "../meetings/page-cursor.ts";
import type { TenantId } from "../../protocol/ids.ts";
import { users } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { TenantRole } from "../../protocol/permissions.ts";

export interface SignedInUser {
  id: string;
  tenantId: string;
  email: string;
  displayName: string | null;
  role: TenantRole;
  status: "active" | "deactivated";
  createdAt: Date;
  lastSignInAt: Date | null;
}

export interface SignInIdentity {
  issuer: string;
  subject: string;
  email: string;
  displayName: string | null;
}

const columns = {
  id: users.id,
  tenantId: users.tenantId,
  email: users.email,
  displayName: users.displayName,
  role: users.role,
  status: users.status,
  createdAt: users.createdAt,
  lastSignInAt: users.lastSignInAt,
};

/**
 * The user a sign-in is: the one with this issuer and subject; else an invited user with this email who has not
 * signed in yet (linked now); else a new user with `role`, provisioned just in time. The role is only ever set
 * here for a new user: later sign-ins keep what the tenant's admins have made of it.
 */
export async function userForSignIn(db: QueryDatabase, tenantId: TenantId, who: SignInIdentity, role: TenantRole): Promise<SignedInUser> {
  const now = new Date();
  const seen = { email: who.email, displayName: who.displayName, lastSignInAt: now, updatedAt: now };
  const [known] = await db
    .update(users)
    .set(seen)
    .where(and(eq(users.tenantId, tenantId), eq(users.idpIssuer, who.issuer), eq(users.idpSubject, who.subject)))
    .returning(columns);
  if (known) return asUser(known);
  const [invited] = await db
    .update(users)
    .set({ ...seen, idpIssuer: who.issuer, idpSubject: who.subject })
    .where(and(eq(users.tenantId, tenantId), sql`lower(${users.email}) = ${who.email}`, isNull(users.idpSubject)))
    .returning(columns);
  if (invited) return asUser(invited);
  const [created] = await db
    .insert(users)
    .values({ tenantId, ...seen, idpIssuer: who.issuer, idpSubject: who.subject, role, createdAt: now })
    .onConflictDoNothing()
    .returning(columns);
  if (created) return asUser(created);
  // Another identity of the same tenant already holds this email (say, from the tenant's previous provider).
  throw new EmailTakenError();
}

export async function findUser(db: QueryDatabase, tenantId: TenantId, userId: string): Promise<SignedInUser | undefined> {
  const [row] = await db
    .select(columns)
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)));
  return row ? asUser(row) : undefined;
}

export class EmailTakenError extends Error {
  constructor() {
    super("another identity of this tenant already has this email");
  }
}

/** Newest first, by (createdAt, id) keyset pages. */
export async function listUsers(
  db: QueryDatabase,
  tenantId: TenantId,
  options: { limit: number; after?: PageCursor },
): Promise<SignedInUser[]> {
  const { after } = options;
  const rows = await db
    .select(columns)
    .from(users)
    .where(
      and(
        eq(users.tenantId, tenantId),
        after ? or(lt(users.createdAt, after.createdAt), and(eq(users.createdAt, after.createdAt), lt(users.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(options.limit);
  return rows.map(asUser);
}

/** An invitation: a user known by email, who becomes themselves at their first sign-in (userForSignIn links them). */
export async function inviteUser(db: QueryDatabase, tenantId: TenantId, email: string, role: TenantRole): Promise<SignedInUser> {
  const now = new Date();
  const [created] = await db
    .insert(users)
    .values({ tenantId, email, role, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning(columns);
  if (!created) throw new EmailTakenError();
  return asUser(created);
}

export async function updateUser(
  db: QueryDatabase,
  tenantId: TenantId,
  userId: string,
  change: { role?: TenantRole; status?: "active" | "deactivated" },
): Promise<SignedInUser | undefined> {
  const now = new Date();
  const deactivation = change.status === "deactivated" ? { deactivatedAt: now } : change.status === "active" ? { deactivatedAt: null } : {};
  const [row] = await db
    .update(users)
    .set({ ...change, ...deactivation, updatedAt: now })
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)))
    .returning(columns);
  return row ? asUser(row) : undefined;
}

/** What a person edits of themselves (PATCH /v1/me). */
export interface Profile {
  displayName: string | null;
  timeZone: string | null;
  locale: string | null;
  avatarKey: string | null;
  preferences: unknown;
}

/** A user with their profile, in one read (GET /v1/me). */
export async function findProfile(
  db: QueryDatabase,
  tenantId: TenantId,
  userId: string,
): Promise<(Profile & Pick<SignedInUser, "id" | "tenantId" | "role"> & { email: string | null }) | undefined> {
  const [row] = await db
    .select({
      id: users.id,
      tenantId: users.tenantId,
      email: users.email,
      role: users.role,
      displayName: users.displayName,
      timeZone: users.timeZone,
      locale: users.locale,
      avatarKey: users.avatarKey,
      preferences: users.preferences,
    })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)));
  return row;
}

export async function updateProfile(db: QueryDatabase, tenantId: TenantId, userId: string, change: Partial<Profile>): Promise<void> {
  await db
    .update(users)
    .set({ ...change, updatedAt: new Date() })
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)));
}

/** Active owners of the tenant other than `excluding`. */
export async function otherActiveOwners(db: QueryDatabase, tenantId: TenantId, excluding: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.role, "owner"), eq(users.status, "active"), ne(users.id, excluding)));
  return row?.count ?? 0;
}

function asUser(row: Omit<SignedInUser, "email"> & { email: string | null }): SignedInUser {
  return { ...row, email: row.email ?? "" };
}
