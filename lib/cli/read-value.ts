/**
 * The new value of a secret comes from stdin only, never from the command line (shell history, `ps`, npm's
 * banner): a hidden prompt on a terminal, or a pipe.
 */

/** Pure: piped input to the value: one trailing line break (\n or \r\n) dropped, nothing else. */
export function valueFromPipedInput(text: string): string {
  return text.replace(/\r?\n$/, '');
}

export async function readPiped(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return valueFromPipedInput(Buffer.concat(chunks).toString('utf8'));
}

/** Reads one line from a terminal with echo off (raw mode); the prompt goes to stderr. */
export function readHidden(stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  // Echo off BEFORE the prompt shows: a value pasted as soon as the prompt appears must not be echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (action: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      action();
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(value));
        if (ch === '\u0003') return done(() => reject(new Error('cancelled')));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The value: hidden prompt on a terminal, else all of stdin. */
export function readValue(prompt: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  return stdin.isTTY ? readHidden(stdin, prompt) : readPiped(stdin);
}
