import { z } from "zod";

/**
 * The RRULE values a meeting may repeat by (RFC 5545 §3.3.10), checked part by part so only rules every calendar
 * expands the same way get through: a frequency, an interval, an end (COUNT or UNTIL, not both), and the BY parts
 * meetings use. Pure.
 */
const frequencies = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"];
const weekday = /^(?:[+-]?(?:[1-9]|[1-4]\d|5[0-3]))?(?:MO|TU|WE|TH|FR|SA|SU)$/;
const numberList = (min: number, max: number) => (value: string) =>
  value.split(",").every((n) => /^[+-]?\d{1,3}$/.test(n) && Math.abs(Number(n)) >= min && Math.abs(Number(n)) <= max && Number(n) !== 0);

const parts: Record<string, (value: string) => boolean> = {
  FREQ: (v) => frequencies.includes(v),
  INTERVAL: (v) => /^\d{1,3}$/.test(v) && Number(v) >= 1,
  COUNT: (v) => /^\d{1,4}$/.test(v) && Number(v) >= 1 && Number(v) <= 1000,
  UNTIL: (v) =>
    /^\d{8}T\d{6}Z$/.test(v) &&
    !Number.isNaN(
      Date.parse(`${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(9, 11)}:${v.slice(11, 13)}:${v.slice(13, 15)}Z`),
    ),
  BYDAY: (v) => v.split(",").every((d) => weekday.test(d)),
  BYMONTHDAY: numberList(1, 31),
  BYMONTH: (v) => v.split(",").every((m) => /^\d{1,2}$/.test(m) && Number(m) >= 1 && Number(m) <= 12),
  BYSETPOS: numberList(1, 366),
  WKST: (v) => /^(?:MO|TU|WE|TH|FR|SA|SU)$/.test(v),
};

export function recurrenceProblem(rule: string): string | null {
  if (rule.length > 256) return "a recurrence rule is at most 256 characters";
  const seen = new Map<string, string>();
  for (const part of rule.split(";")) {
    const [name, value, ...rest] = part.split("=");
    if (!name || value === undefined || rest.length) return `"${part}" is not NAME=VALUE`;
    const check = parts[name];
    if (!check) return `${name} is not a supported rule part`;
    if (seen.has(name)) return `${name} appears twice`;
    if (!check(value)) return `${name}=${value} is not valid`;
    seen.set(name, value);
  }
  if (!seen.has("FREQ")) return "FREQ is required";
  if (seen.has("COUNT") && seen.has("UNTIL")) return "COUNT and UNTIL can't both be given";
  return null;
}

export const RecurrenceRule = z
  .string()
  .trim()
  .toUpperCase()
  .superRefine((rule, ctx) => {
    const problem = recurrenceProblem(rule);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
