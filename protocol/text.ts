import { z } from "zod";

/**
 * What text we accept anywhere it will be stored (Postgres `text` and `jsonb`, DO storage, logs): well-formed
 * UTF-16 (no unpaired surrogate, which UTF-8 can't encode) and no control characters; Postgres refuses NUL
 * outright, and the other C0/C1 controls have no business in a title, a name or a chat line. Multi-line text
 * may hold tabs and line breaks. One definition, used by the room's frames and the API's bodies alike.
 */
// biome-ignore-start lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const unpairedSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const lineControl = /[\u0000-\u001F\u007F-\u009F]/;
const textControl = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: matching control characters is the point

export const storableTextMessage = "must be well-formed text without control characters";

/** One line: a title, a name, an emoji, a reason. */
export const isStorableLine = (value: string): boolean => !lineControl.test(value) && !unpairedSurrogate.test(value);

/** Free text that may span lines: a chat message. */
export const isStorableText = (value: string): boolean => !textControl.test(value) && !unpairedSurrogate.test(value);

/** Every string in a JSON value (keys included) is storable text: what `jsonb` will take. */
export function isStorableJson(value: unknown): boolean {
  if (typeof value === "string") return isStorableText(value);
  if (Array.isArray(value)) return value.every(isStorableJson);
  if (value && typeof value === "object") return Object.entries(value).every(([key, item]) => isStorableLine(key) && isStorableJson(item));
  return true;
}

/** zod strings with those rules, for schemas built on plain zod. */
export const storableLine = () => z.string().refine(isStorableLine, storableTextMessage);
export const storableText = () => z.string().refine(isStorableText, storableTextMessage);
