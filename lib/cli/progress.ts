/**
 * Progress of a command on stderr: on a terminal, a task list whose running step has a spinner (each finished step
 * stays as a ✔ line); piped or in CI, one plain line per step. The outcome itself goes to stdout.
 */
export interface Progress {
  /** A new step starts (the previous one, if still running, is marked done). */
  step(text: string): void;
  /** The running step finished. */
  done(text?: string): void;
  /** The running step failed. */
  fail(text: string): void;
  /** A note under the current step. */
  info(text: string): void;
  /** Stops the spinner (always call it). */
  close(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(stream: NodeJS.WriteStream = process.stderr, program = 'fleapo-secrets'): Progress {
  return stream.isTTY && !process.env.CI ? new TerminalProgress(stream) : new PlainProgress(stream, program);
}

/** One line per event: `fleapo-secrets: <text>`. */
export class PlainProgress implements Progress {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly program: string,
  ) {}
  private line(text: string): void {
    this.stream.write(`${this.program}: ${text}\n`);
  }
  step(text: string): void {
    this.line(text);
  }
  done(text?: string): void {
    if (text) this.line(text);
  }
  fail(text: string): void {
    this.line(`FAILED: ${text}`);
  }
  info(text: string): void {
    this.line(text);
  }
  close(): void {}
}

class TerminalProgress implements Progress {
  private current: string | undefined;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  private render(): void {
    if (this.current === undefined) return;
    const width = Math.max(20, (this.stream.columns ?? 100) - 3);
    this.stream.write(`\r\x1b[2K${FRAMES[this.frame % FRAMES.length]} ${this.current.slice(0, width)}`);
  }
  private settle(mark: string, text: string): void {
    this.stream.write(`\r\x1b[2K${mark} ${text}\n`);
    this.current = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
  step(text: string): void {
    if (this.current !== undefined) this.settle('✔', this.current);
    this.current = text;
    this.render();
    this.timer = setInterval(() => {
      this.frame += 1;
      this.render();
    }, 100);
    this.timer.unref();
  }
  done(text?: string): void {
    if (this.current !== undefined || text) this.settle('✔', text ?? this.current!);
  }
  fail(text: string): void {
    this.settle('✖', text);
  }
  info(text: string): void {
    this.stream.write(`\r\x1b[2K  ${text}\n`);
    this.render();
  }
  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.current !== undefined) this.stream.write('\n');
    this.current = undefined;
  }
}
