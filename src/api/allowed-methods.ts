// The methods each route path takes, so that a known path asked with another method is answered
// 405 with Allow (RFC 9110 15.5.6) rather than 404.

interface PathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

export class AllowedMethods {
  readonly #paths = new Map<string, PathMethods>();

  /** A route: its URL as fastify spells it (`/api/calls/:id`, `/static/*`) and its methods. */
  add(url: string, method: string | readonly string[]): void {
    let entry = this.#paths.get(url);
    if (entry === undefined) {
      const source = url
        .split('/')
        .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      entry = { pattern: new RegExp(`^${source}$`), methods: new Set() };
      this.#paths.set(url, entry);
    }
    for (const m of [method].flat()) entry.methods.add(m);
  }

  /** The methods of the routes matching `path` (no query), sorted; empty when none does. */
  of(path: string): string[] {
    const methods = new Set<string>();
    for (const entry of this.#paths.values()) if (entry.pattern.test(path)) for (const m of entry.methods) methods.add(m);
    return [...methods].sort();
  }
}
