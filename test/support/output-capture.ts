/**
 * Captures everything written to stdout/stderr and through console.* while active, and does not
 * pass it on (tests must never print secret values; captured text is only searched).
 */
export class OutputCapture {
  private chunks: string[] = [];
  private restore: (() => void)[] = [];

  get text(): string {
    return this.chunks.join('');
  }

  start(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof stream.write;
      this.restore.push(() => (stream.write = original));
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        this.chunks.push(
          args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' ') +
            '\n',
        );
      };
      this.restore.push(() => (console[method] = original));
    }
  }

  add(text: string): void {
    this.chunks.push(text);
  }

  stop(): void {
    for (const r of this.restore.reverse()) r();
    this.restore = [];
  }

  /** Parsed JSON lines (structured logs and EMF records). */
  jsonLines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }
}

/** Every form a secret value may leak in: itself, for URLs also the password (raw and decoded), for JSON its secret fields. */
export function secretForms(values: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    forms.add(value);
    const url = /^postgres(?:ql)?:\/\/[^:]*:([^@]*)@/.exec(value);
    if (url) {
      forms.add(url[1]);
      forms.add(decodeURIComponent(url[1]));
    }
    try {
      const json = JSON.parse(value) as Record<string, unknown>;
      // RDS credentials' password; the AUTH_SECRET key ring's keys.
      for (const field of ['password', 'current', 'next', 'previous']) {
        if (typeof json[field] === 'string') forms.add(json[field] as string);
      }
    } catch {
      /* not JSON */
    }
  }
  return [...forms].filter((f) => f.length >= 8);
}

/** Indices (never values) of the secret forms found in `text`. */
export function leakedSecretIndices(text: string, secrets: string[]): number[] {
  return secrets.flatMap((s, i) => (text.includes(s) ? [i] : []));
}
