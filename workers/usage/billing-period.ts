/**
 * Billing periods are calendar months in UTC, named `yyyy-mm`. A record belongs to the period (and the hour or day
 * bucket) its fact ended in: usage is counted when it completes, so one record is never split between invoices. Pure.
 */
export interface BillingPeriod {
  name: string;
  start: Date;
  /** Exclusive. */
  end: Date;
}

const periodPattern = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Undefined for anything but a real `yyyy-mm` (2000-01 … 2999-12). */
export function parseBillingPeriod(name: string): BillingPeriod | undefined {
  const match = periodPattern.exec(name);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  if (year < 2000 || year > 2999) return undefined;
  return { name, start: new Date(Date.UTC(year, month, 1)), end: new Date(Date.UTC(year, month + 1, 1)) };
}

export function billingPeriodOf(at: Date): BillingPeriod {
  const name = `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, "0")}`;
  return parseBillingPeriod(name)!;
}

/** A period can be closed once it is over: before that its numbers are still growing. */
export const canClose = (period: BillingPeriod, now: Date) => period.end.getTime() <= now.getTime();
