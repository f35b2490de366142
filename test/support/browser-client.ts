/**
 * A browser's side of a redirect-based sign-in, without a browser: follows redirects by hand, keeps cookies per
 * origin the way a browser sends them back (name → value; a Max-Age=0 or past expiry removes one), and can stop
 * at a URL so a test can tamper with what the browser would send next.
 */
export class BrowserClient {
  private readonly jar = new Map<string, Map<string, string>>();

  cookies(origin: string): Map<string, string> {
    let cookies = this.jar.get(origin);
    if (!cookies) {
      cookies = new Map();
      this.jar.set(origin, cookies);
    }
    return cookies;
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const headers = new Headers(init.headers);
    const cookies = [...this.cookies(origin)].map(([name, value]) => `${name}=${value}`).join("; ");
    if (cookies) headers.set("cookie", cookies);
    // Bounded, so a hang shows as this request's failure rather than the whole test's timeout.
    const response = await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(15_000) });
    for (const line of response.headers.getSetCookie()) this.store(origin, line);
    return response;
  }

  private store(origin: string, line: string): void {
    const [pair, ...attributes] = line.split(";").map((part) => part.trim());
    const at = pair!.indexOf("=");
    const name = pair!.slice(0, at);
    const value = pair!.slice(at + 1);
    const gone = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
    if (gone) this.cookies(origin).delete(name);
    else this.cookies(origin).set(name, value);
  }
}

export const location = (response: Response, base: string) => new URL(response.headers.get("location")!, base).toString();
